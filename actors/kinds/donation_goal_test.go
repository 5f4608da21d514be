package kinds

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestDonationGoalTransitions(t *testing.T) {
	usd := DonationGoal{}.Defaults()
	plain := usd
	plain.Currency = ""
	// s10 has one donation of 10 from streamlabs event "a".
	s10 := DonationGoalState{Current: 10, Count: 1, Seen: []string{donationKey("streamlabs", "a")},
		Latest: &Donor{Name: "Ann", Amount: 10, Currency: "USD", Source: "streamlabs", At: t0}}
	cases := []struct {
		name     string
		cfg      DonationGoalConfig
		state    DonationGoalState
		action   string
		payload  string
		want     func(DonationGoalState) bool
		events   string
		wantCode string
	}{
		{"a donation counts and is the latest", usd, DonationGoalState{}, "donate", `{"source":"streamelements","event_id":"e1","amount":5.5,"name":"Bob","currency":"usd"}`,
			func(s DonationGoalState) bool {
				return s.Current == 5.5 && s.Count == 1 && s.Latest.Name == "Bob" && s.Latest.Currency == "USD" && s.Latest.Source == "streamelements" && len(s.Seen) == 1
			}, "donation", ""},
		{"the same source and event id again counts once", usd, s10, "donate", `{"source":"streamlabs","event_id":"a","amount":10,"name":"Ann"}`,
			func(s DonationGoalState) bool { return s.Current == 10 && s.Count == 1 && len(s.Seen) == 1 }, "", ""},
		{"the same event id from another source counts", usd, s10, "donate", `{"source":"kofi","event_id":"a","amount":3}`,
			func(s DonationGoalState) bool {
				return s.Current == 13 && s.Count == 2 && len(s.Seen) == 2 && s.Latest.Name == ""
			}, "donation", ""},
		{"cents add up exactly", usd, DonationGoalState{Current: 0.1}, "donate", `{"source":"kofi","event_id":"c","amount":0.2}`,
			func(s DonationGoalState) bool { return s.Current == 0.3 }, "donation", ""},
		{"no currency in the payload takes the goal's", usd, DonationGoalState{}, "donate", `{"source":"kofi","event_id":"c","amount":1}`,
			func(s DonationGoalState) bool { return s.Latest.Currency == "USD" }, "donation", ""},
		{"a goal without a currency counts any", plain, DonationGoalState{}, "donate", `{"source":"kofi","event_id":"c","amount":1,"currency":"EUR"}`,
			func(s DonationGoalState) bool { return s.Current == 1 && s.Latest.Currency == "EUR" }, "donation", ""},
		{"a person adds a cash donation", usd, s10, "add", `{"amount":20,"name":"Mum"}`,
			func(s DonationGoalState) bool {
				return s.Current == 30 && s.Count == 2 && s.Latest.Name == "Mum" && s.Latest.Source == "manual" && len(s.Seen) == 1
			}, "donation", ""},
		{"set corrects the total, the latest donor stays", usd, s10, "set", `{"value":42}`,
			func(s DonationGoalState) bool { return s.Current == 42 && s.Latest.Name == "Ann" }, "", ""},
		{"reset keeps the window: a replay after it still counts once", usd, s10, "reset", ``,
			func(s DonationGoalState) bool {
				return s.Current == 0 && s.Count == 0 && s.Latest == nil && len(s.Seen) == 1
			}, "", ""},
		{"markup in a name is plain text", usd, DonationGoalState{}, "donate", `{"source":"kofi","event_id":"x","amount":1,"name":"<script>alert(1)</script>{{amount}}"}`,
			func(s DonationGoalState) bool { return s.Latest.Name == "<script>alert(1)</script>{{amount}}" }, "donation", ""},

		{"another currency is refused, not counted", usd, s10, "donate", `{"source":"kofi","event_id":"b","amount":5,"currency":"EUR"}`, nil, "", CodeRejected},
		{"a currency that is not a code", usd, s10, "donate", `{"source":"kofi","event_id":"b","amount":5,"currency":"dollars"}`, nil, "", CodeInvalidPayload},
		{"no source", usd, s10, "donate", `{"event_id":"b","amount":5}`, nil, "", CodeInvalidPayload},
		{"a source with spaces", usd, s10, "donate", `{"source":"stream labs","event_id":"b","amount":5}`, nil, "", CodeInvalidPayload},
		{"no event id", usd, s10, "donate", `{"source":"kofi","amount":5}`, nil, "", CodeInvalidPayload},
		{"an oversize event id", usd, s10, "donate", `{"source":"kofi","event_id":"` + strings.Repeat("i", 201) + `","amount":5}`, nil, "", CodeInvalidPayload},
		{"a zero amount", usd, s10, "donate", `{"source":"kofi","event_id":"b","amount":0}`, nil, "", CodeInvalidPayload},
		{"a negative amount (refunds are set by hand)", usd, s10, "donate", `{"source":"kofi","event_id":"b","amount":-5}`, nil, "", CodeInvalidPayload},
		{"an amount over a billion", usd, s10, "donate", `{"source":"kofi","event_id":"b","amount":1e10}`, nil, "", CodeInvalidPayload},
		{"an amount as text", usd, s10, "donate", `{"source":"kofi","event_id":"b","amount":"5"}`, nil, "", CodeInvalidPayload},
		{"an oversize name", usd, s10, "add", `{"amount":1,"name":"` + strings.Repeat("n", 101) + `"}`, nil, "", CodeInvalidPayload},
		{"add needs an amount", usd, s10, "add", `{"name":"x"}`, nil, "", CodeInvalidPayload},
		{"set refuses a negative total", usd, s10, "set", `{"value":-1}`, nil, "", CodeInvalidPayload},
		{"past the range", usd, DonationGoalState{Current: maxGoalValue}, "add", `{"amount":1}`, nil, "", CodeRejected},
		{"reset takes no payload", usd, s10, "reset", `{"all":true}`, nil, "", CodeInvalidPayload},
		{"unknown action", usd, s10, "tip", `{}`, nil, "", CodeUnknownAction},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := json.Marshal(tc.state)
			got, events, err := DonationGoal{}.Apply(tc.cfg, tc.state, Action{Name: tc.action, Payload: json.RawMessage(tc.payload), By: By{Role: RoleOwner}}, at(1))
			if after, _ := json.Marshal(tc.state); string(after) != string(before) {
				t.Fatalf("Apply changed its input state: %s -> %s", before, after)
			}
			if kerr(err) != tc.wantCode {
				t.Fatalf("err = %v, want code %q", err, tc.wantCode)
			}
			if tc.wantCode != "" {
				return
			}
			if out, _ := json.Marshal(got); !tc.want(got) {
				t.Fatalf("state %s", out)
			}
			if n := evNames(events); n != tc.events {
				t.Fatalf("events %q, want %q", n, tc.events)
			}
		})
	}
}

// TestDonationGoalWindowIsBounded: the window keeps the last DonationWindow
// donations; one older than that is counted again (the bound's price).
func TestDonationGoalWindowIsBounded(t *testing.T) {
	cfg := DonationGoal{}.Defaults()
	s := DonationGoal{}.Initial(cfg, t0)
	donate := func(id int) {
		t.Helper()
		var err error
		s, _, err = DonationGoal{}.Apply(cfg, s, Action{Name: "donate", Payload: json.RawMessage(fmt.Sprintf(`{"source":"streamlabs","event_id":"%d","amount":1}`, id))}, t0)
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < DonationWindow+10; i++ {
		donate(i)
	}
	if len(s.Seen) != DonationWindow || s.Current != DonationWindow+10 {
		t.Fatalf("window %d, total %v", len(s.Seen), s.Current)
	}
	donate(DonationWindow + 5) // recent: counted once
	if s.Current != DonationWindow+10 {
		t.Fatalf("a recent duplicate counted: %v", s.Current)
	}
	stored, _ := json.Marshal(s)
	t.Logf("state with a full window: %d bytes", len(stored))
	if len(stored) > 25_000 {
		t.Fatalf("state with a full window is %d bytes", len(stored))
	}
	def, _ := Default().Lookup("donation_goal")
	c, _ := def.MergeConfig(nil, nil)
	view, err := def.View(c, stored, t0)
	if err != nil || strings.Contains(string(view), "seen") || len(view) > 500 {
		t.Fatalf("the view carries the window: %d bytes %v", len(view), err)
	}
}

func TestDonationGoalConfig(t *testing.T) {
	def := Erase[DonationGoalConfig, DonationGoalState](DonationGoal{})
	for patch, code := range map[string]string{
		`{"title":"Charity","target":1000,"currency":"EUR","show_latest":false}`: "",
		`{"currency":""}`:      "",
		`{"currency":"usd"}`:   CodeInvalidConfig,
		`{"currency":"EURO"}`:  CodeInvalidConfig,
		`{"target":0}`:         CodeInvalidConfig,
		`{"target":-10}`:       CodeInvalidConfig,
		`{"title":"<script>"}`: "",
	} {
		if _, err := def.MergeConfig(nil, json.RawMessage(patch)); kerr(err) != code {
			t.Errorf("%s: err = %v, want %q", patch, err, code)
		}
	}
}
