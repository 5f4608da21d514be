package kinds

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRecentFollowerTransitions(t *testing.T) {
	follow := RecentFollower{}.Defaults()
	cheer := follow
	cheer.EventType = "cheer"
	kim := RecentFollowerState{Name: "Kim", At: t0, Count: 3}
	amount := func(s RecentFollowerState) float64 {
		if s.Amount == nil {
			return -1
		}
		return *s.Amount
	}
	cases := []struct {
		name     string
		cfg      RecentFollowerConfig
		state    RecentFollowerState
		action   string
		payload  string
		want     func(RecentFollowerState) bool
		wantCode string
	}{
		{"a follow on a follower card", follow, RecentFollowerState{}, "record", `{"event_type":"follow","name":"Ann"}`,
			func(s RecentFollowerState) bool {
				return s.Name == "Ann" && s.Count == 1 && s.At.Equal(at(1)) && s.Amount == nil
			}, ""},
		{"a cheer on a cheer card keeps its amount", cheer, RecentFollowerState{}, "record", `{"event_type":"cheer","name":"Bob","amount":500}`,
			func(s RecentFollowerState) bool { return s.Name == "Bob" && amount(s) == 500 }, ""},
		{"another type is ignored, not an error", follow, kim, "record", `{"event_type":"tip","name":"Rich","amount":20}`,
			func(s RecentFollowerState) bool { return s.Name == "Kim" && s.Count == 3 && s.At.Equal(t0) }, ""},
		{"the same name again still counts (the overlay replays its entrance)", follow, kim, "record", `{"event_type":"follow","name":"Kim"}`,
			func(s RecentFollowerState) bool { return s.Name == "Kim" && s.Count == 4 && s.At.Equal(at(1)) }, ""},
		{"a person sets it", follow, kim, "set", `{"name":"  Zed  "}`,
			func(s RecentFollowerState) bool { return s.Name == "Zed" && s.Count == 4 }, ""},
		{"a person sets an amount", cheer, kim, "set", `{"name":"Zed","amount":12.5}`,
			func(s RecentFollowerState) bool { return amount(s) == 12.5 }, ""},
		{"markup is plain text", follow, kim, "set", `{"name":"<script>alert(1)</script>{{name}}"}`,
			func(s RecentFollowerState) bool { return s.Name == "<script>alert(1)</script>{{name}}" }, ""},
		{"clear empties the card", follow, kim, "clear", ``,
			func(s RecentFollowerState) bool { return s.Name == "" && s.Count == 4 }, ""},
		{"clear of an empty card changes nothing", follow, RecentFollowerState{Count: 2}, "clear", `{}`,
			func(s RecentFollowerState) bool { return s.Count == 2 }, ""},

		{"an unknown event type", follow, kim, "record", `{"event_type":"raid","name":"X"}`, nil, CodeInvalidPayload},
		{"a missing event type", follow, kim, "record", `{"name":"X"}`, nil, CodeInvalidPayload},
		{"a record of another type is still checked", follow, kim, "record", `{"event_type":"tip","name":""}`, nil, CodeInvalidPayload},
		{"no name", follow, kim, "record", `{"event_type":"follow"}`, nil, CodeInvalidPayload},
		{"a blank name", follow, kim, "set", `{"name":"   "}`, nil, CodeInvalidPayload},
		{"an oversize name", follow, kim, "set", `{"name":"` + strings.Repeat("a", 101) + `"}`, nil, CodeInvalidPayload},
		{"a negative amount", cheer, kim, "set", `{"name":"X","amount":-5}`, nil, CodeInvalidPayload},
		{"an amount too large", cheer, kim, "set", `{"name":"X","amount":1e10}`, nil, CodeInvalidPayload},
		{"an amount as text", cheer, kim, "set", `{"name":"X","amount":"5"}`, nil, CodeInvalidPayload},
		{"clear takes no payload", follow, kim, "clear", `{"name":"X"}`, nil, CodeInvalidPayload},
		{"unknown action", follow, kim, "follow", `{}`, nil, CodeUnknownAction},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, events, err := RecentFollower{}.Apply(tc.cfg, tc.state, Action{Name: tc.action, Payload: json.RawMessage(tc.payload), By: By{Role: RoleService, Service: "twitch"}}, at(1))
			if kerr(err) != tc.wantCode {
				t.Fatalf("err = %v, want code %q", err, tc.wantCode)
			}
			if tc.wantCode != "" {
				return
			}
			if out, _ := json.Marshal(got); !tc.want(got) || len(events) != 0 {
				t.Fatalf("state %s, events %v", out, events)
			}
		})
	}
}

func TestRecentFollowerSwitchingTypeForgetsTheName(t *testing.T) {
	follow := RecentFollower{}.Defaults()
	tip := follow
	tip.EventType = "tip"
	s := RecentFollowerState{Name: "Ann", At: t0, Count: 5}
	if got := (RecentFollower{}).Reconfigure(follow, tip, s, at(1)); got.Name != "" || got.Count != 6 {
		t.Fatalf("a follower card turned tip card still shows %+v", got)
	}
	follow.Title = "New followers"
	if got := (RecentFollower{}).Reconfigure(RecentFollower{}.Defaults(), follow, s, at(1)); got != s {
		t.Fatalf("a new title changed the state: %+v", got)
	}
}

func TestRecentFollowerConfigValidation(t *testing.T) {
	def := Erase[RecentFollowerConfig, RecentFollowerState](RecentFollower{})
	for patch, code := range map[string]string{
		`{"event_type":"tip","unit":"€","title":"Top tip","animation":"pop"}`: "",
		`{"event_type":"sub","show_amount":false,"animation":"none"}`:         "",
		`{"event_type":"raid"}`:                      CodeInvalidConfig,
		`{"event_type":"FOLLOW"}`:                    CodeInvalidConfig,
		`{"animation":"explode"}`:                    CodeInvalidConfig,
		`{"unit":"` + strings.Repeat("b", 17) + `"}`: CodeInvalidConfig,
		`{"title":"{{name}} <b>hi</b>"}`:             "",
	} {
		if _, err := def.MergeConfig(nil, json.RawMessage(patch)); kerr(err) != code {
			t.Errorf("%s: err = %v, want %q", patch, err, code)
		}
	}
}
