package kinds

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func pollCfg() PollConfig {
	c := Poll{}.Defaults()
	c.Question, c.Options, c.DurationSeconds = "Next game?", []string{"Celeste", "Hades", "Tetris"}, 60
	return c
}

// pollStep applies one action, failing the test on an unexpected error code.
func pollStep(t *testing.T, s PollState, name, payload string, sec float64, wantCode string) (PollState, []Event) {
	t.Helper()
	next, events, err := Poll{}.Apply(pollCfg(), s, Action{Name: name, Payload: json.RawMessage(payload), By: By{Role: RoleService, Service: "twitch"}}, at(sec))
	if kerr(err) != wantCode {
		t.Fatalf("%s %s: err = %v, want code %q", name, payload, err, wantCode)
	}
	if err != nil {
		return s, nil
	}
	return next, events
}

func votes(s PollState) string {
	var v []string
	for _, o := range s.Options {
		v = append(v, fmt.Sprint(o.Votes))
	}
	return strings.Join(v, ",") + fmt.Sprintf(" total %d", s.Total)
}

func TestPollRunsAVote(t *testing.T) {
	s := Poll{}.Initial(pollCfg(), t0)
	if s.Status != PollIdle || len(s.Options) != 3 || s.Options[1].Title != "Hades" || s.Options[1].ID != "2" {
		t.Fatalf("initial %+v", s)
	}
	pollStep(t, s, "vote", `{"voter":"kim","option":1}`, 0, CodeRejected) // not open yet
	pollStep(t, s, "close", ``, 0, CodeRejected)

	s, _ = pollStep(t, s, "open", ``, 0, "")
	if s.Status != PollOpen || !s.EndsAt.Equal(at(60)) || s.ID != "poll-1" || s.Source != "manual" {
		t.Fatalf("opened %+v", s)
	}
	pollStep(t, s, "open", ``, 1, CodeRejected) // already open
	for _, v := range []struct {
		voter  string
		option int
		want   string
	}{
		{"kim", 1, "1,0,0 total 1"},
		{"ann", 2, "1,1,0 total 2"},
		{"bob", 2, "1,2,0 total 3"},
		{"KIM", 1, "1,2,0 total 3"},   // the same voter (logins ignore case), the same vote: nothing changes
		{" kim ", 3, "0,2,1 total 3"}, // a second vote moves it
	} {
		s, _ = pollStep(t, s, "vote", fmt.Sprintf(`{"voter":%q,"option":%d}`, v.voter, v.option), 5, "")
		if got := votes(s); got != v.want {
			t.Fatalf("%s votes %d: %s, want %s", v.voter, v.option, got, v.want)
		}
	}
	pollStep(t, s, "vote", `{"voter":"cid","option":4}`, 5, CodeInvalidPayload)
	pollStep(t, s, "vote", `{"voter":"cid","option":0}`, 5, CodeInvalidPayload)
	pollStep(t, s, "vote", `{"voter":"cid","option":"2"}`, 5, CodeInvalidPayload)
	pollStep(t, s, "vote", `{"voter":"   ","option":1}`, 5, CodeInvalidPayload)
	pollStep(t, s, "vote", `{"option":1}`, 5, CodeInvalidPayload)
	pollStep(t, s, "vote", `{"voter":"`+strings.Repeat("v", 101)+`","option":1}`, 5, CodeInvalidPayload)

	closed, events := pollStep(t, s, "close", `{}`, 10, "")
	if closed.Status != PollClosed || !closed.ClosedAt.Equal(at(10)) || strings.Join(closed.Winners, ",") != "2" {
		t.Fatalf("closed %+v", closed)
	}
	if len(events) != 1 || events[0].Name != "poll_closed" {
		t.Fatalf("events %v", events)
	}
	data, _ := json.Marshal(events[0].Data)
	if !strings.Contains(string(data), `"winners":[{"id":"2","title":"Hades","votes":2}]`) || !strings.Contains(string(data), `"total":3`) {
		t.Fatalf("poll_closed data %s", data)
	}
	pollStep(t, closed, "vote", `{"voter":"late","option":1}`, 11, CodeRejected)
	pollStep(t, closed, "close", ``, 11, CodeRejected)

	// Opening again starts a fresh round: no votes, no voters.
	again, _ := pollStep(t, closed, "open", `{"duration_seconds":0}`, 20, "")
	if again.ID != "poll-2" || votes(again) != "0,0,0 total 0" || len(again.Voters) != 0 || !again.EndsAt.IsZero() {
		t.Fatalf("second round %+v", again)
	}
	if tm := (Poll{}).Timer(pollCfg(), again, at(20)); !tm.At.IsZero() {
		t.Fatalf("a poll without a duration wakes at %v", tm.At)
	}
	reset, _ := pollStep(t, again, "reset", ``, 21, "")
	if reset.Status != PollIdle || reset.Round != 2 {
		t.Fatalf("reset %+v", reset)
	}
}

func TestPollClosesByItsTimer(t *testing.T) {
	s, _ := pollStep(t, Poll{}.Initial(pollCfg(), t0), "open", `{"duration_seconds":30}`, 0, "")
	s, _ = pollStep(t, s, "vote", `{"voter":"a","option":3}`, 1, "")
	if tm := (Poll{}).Timer(pollCfg(), s, at(1)); !tm.At.Equal(at(30)) || tm.Tick {
		t.Fatalf("timer %+v, want a wake at the end and no tick", tm)
	}
	if _, _, changed := (Poll{}).Settle(pollCfg(), s, at(29.9)); changed {
		t.Fatal("closed early")
	}
	closed, events, changed := Poll{}.Settle(pollCfg(), s, at(31))
	if !changed || closed.Status != PollClosed || !closed.ClosedAt.Equal(at(30)) || strings.Join(closed.Winners, ",") != "3" || evNames(events) != "poll_closed" {
		t.Fatalf("at its end: %+v %v", closed, events)
	}
	// A vote that arrives after the end is refused, even before the timer fired.
	pollStep(t, s, "vote", `{"voter":"b","option":1}`, 30.5, CodeRejected)
	// Nobody voted: closed without a winner.
	empty, _ := pollStep(t, Poll{}.Initial(pollCfg(), t0), "open", ``, 0, "")
	if c, _, _ := (Poll{}).Settle(pollCfg(), empty, at(61)); c.Status != PollClosed || len(c.Winners) != 0 {
		t.Fatalf("an empty poll closed as %+v", c)
	}
}

func TestPollTieHasSeveralWinners(t *testing.T) {
	s, _ := pollStep(t, Poll{}.Initial(pollCfg(), t0), "open", ``, 0, "")
	s, _ = pollStep(t, s, "vote", `{"voter":"a","option":1}`, 1, "")
	s, _ = pollStep(t, s, "vote", `{"voter":"b","option":3}`, 1, "")
	if c, _ := pollStep(t, s, "close", ``, 2, ""); strings.Join(c.Winners, ",") != "1,3" {
		t.Fatalf("tie winners %v", c.Winners)
	}
}

func TestPollVotersAreBoundedAndNeverSentToViewers(t *testing.T) {
	s, _ := pollStep(t, Poll{}.Initial(pollCfg(), t0), "open", `{"duration_seconds":0}`, 0, "")
	set := voterSet("")
	for i := 0; i < MaxPollVoters; i++ {
		set = set.with(voterKey(fmt.Sprintf("user%d", i)), 0)
	}
	s.Voters = string(set)
	s.Options[0].Votes, s.Total = MaxPollVoters, MaxPollVoters
	pollStep(t, s, "vote", `{"voter":"one-too-many","option":2}`, 1, CodeRejected)
	moved, _ := pollStep(t, s, "vote", `{"voter":"user7","option":2}`, 1, "") // a known voter may still move
	if votes(moved) != fmt.Sprintf("%d,1,0 total %d", MaxPollVoters-1, MaxPollVoters) {
		t.Fatalf("moved: %s", votes(moved))
	}
	if _, opt, _ := voterSet(s.Voters).find(voterKey("user7")); s.Options[1].Votes != 0 || opt != 0 {
		t.Fatal("Apply changed the state it was given")
	}
	stored, _ := json.Marshal(moved)
	if len(stored) > 120_000 || strings.Contains(string(stored), "user7") {
		t.Fatalf("stored state is %d bytes and names voters: %v", len(stored), strings.Contains(string(stored), "user7"))
	}
	t.Logf("state with %d voters: %d bytes", MaxPollVoters, len(stored))
	def, _ := Default().Lookup("poll")
	cfg, _ := def.MergeConfig(nil, nil)
	view, err := def.View(cfg, stored, at(2))
	if err != nil || strings.Contains(string(view), "voters") || len(view) > 1000 {
		t.Fatalf("view %d bytes: %.200s %v", len(view), view, err)
	}
}

func TestPollSyncMirrorsAPlatformPoll(t *testing.T) {
	open := `{"id":"tw-1","question":"Best boss?","options":[{"id":"a","title":"Hollow Knight","votes":3},{"id":"b","title":"Radiance","votes":5}],"status":"open","ends_at":"2026-11-23T20:01:00Z"}`
	s, events := pollStep(t, Poll{}.Initial(pollCfg(), t0), "sync", open, 0, "")
	if s.Status != PollOpen || s.Source != "twitch" || s.Question != "Best boss?" || votes(s) != "3,5 total 8" || !s.EndsAt.Equal(at(60)) || len(events) != 0 {
		t.Fatalf("synced %+v %v", s, events)
	}
	if same, _ := pollStep(t, s, "sync", open, 1, ""); !pollEqual(same, s) {
		t.Fatalf("a repeated sync changed the state: %+v", same)
	}
	pollStep(t, s, "vote", `{"voter":"kim","option":1}`, 2, CodeRejected) // Twitch counts its own votes
	// Twitch's end with the final counts: poll_closed once, with its winner.
	final := strings.Replace(strings.Replace(open, `"open"`, `"closed"`, 1), `"votes":3`, `"votes":9`, 1)
	closed, events := pollStep(t, s, "sync", final, 61, "")
	if closed.Status != PollClosed || strings.Join(closed.Winners, ",") != "a" || evNames(events) != "poll_closed" {
		t.Fatalf("closed %+v %v", closed, events)
	}
	if again, events := pollStep(t, closed, "sync", final, 62, ""); !pollEqual(again, closed) || len(events) != 0 {
		t.Fatalf("a repeated close: %+v %v", again, events)
	}
	// The integration went quiet: the mirrored poll closes itself 30 s after its end.
	if tm := (Poll{}).Timer(pollCfg(), s, at(1)); !tm.At.Equal(at(90)) {
		t.Fatalf("a mirrored poll wakes at %v, want its end + 30 s", tm.At)
	}
	if c, ev, changed := (Poll{}).Settle(pollCfg(), s, at(90)); !changed || c.Status != PollClosed || evNames(ev) != "poll_closed" {
		t.Fatalf("mirrored poll after its grace: %+v", c)
	}
	// Another poll replaces it.
	other := `{"id":"tw-2","question":"Snack?","options":[{"id":"x","title":"Chips","votes":0},{"id":"y","title":"Fruit","votes":0}],"status":"open"}`
	if n, _ := pollStep(t, closed, "sync", other, 100, ""); n.ID != "tw-2" || n.Status != PollOpen || n.Round != closed.Round+1 || len(n.Winners) != 0 {
		t.Fatalf("next poll %+v", n)
	}

	bad := map[string]string{
		"eleven options":       `{"id":"x","question":"Q","status":"open","options":[` + strings.TrimSuffix(strings.Repeat(`{"id":"i","title":"t","votes":0},`, 11), ",") + `]}`,
		"one option":           `{"id":"x","question":"Q","status":"open","options":[{"id":"a","title":"A","votes":0}]}`,
		"duplicate option ids": `{"id":"x","question":"Q","status":"open","options":[{"id":"a","title":"A","votes":0},{"id":"a","title":"B","votes":0}]}`,
		"unknown status":       `{"id":"x","question":"Q","status":"ACTIVE","options":[{"id":"a","title":"A","votes":0},{"id":"b","title":"B","votes":0}]}`,
		"negative votes":       `{"id":"x","question":"Q","status":"open","options":[{"id":"a","title":"A","votes":-1},{"id":"b","title":"B","votes":0}]}`,
		"no id":                `{"question":"Q","status":"open","options":[{"id":"a","title":"A","votes":0},{"id":"b","title":"B","votes":0}]}`,
		"empty title":          `{"id":"x","question":"Q","status":"open","options":[{"id":"a","title":" ","votes":0},{"id":"b","title":"B","votes":0}]}`,
		"ends_at in year 9000": `{"id":"x","question":"Q","status":"open","ends_at":"9000-01-01T00:00:00Z","options":[{"id":"a","title":"A","votes":0},{"id":"b","title":"B","votes":0}]}`,
		"ends_at two days ago": `{"id":"x","question":"Q","status":"open","ends_at":"2026-11-21T20:00:00Z","options":[{"id":"a","title":"A","votes":0},{"id":"b","title":"B","votes":0}]}`,
		"bad ends_at":          `{"id":"x","question":"Q","status":"open","ends_at":"soon","options":[{"id":"a","title":"A","votes":0},{"id":"b","title":"B","votes":0}]}`,
		"unknown option field": `{"id":"x","question":"Q","status":"open","options":[{"id":"a","title":"A","votes":0,"color":"red"},{"id":"b","title":"B","votes":0}]}`,
	}
	for name, payload := range bad {
		t.Run(name, func(t *testing.T) { pollStep(t, s, "sync", payload, 1, CodeInvalidPayload) })
	}
}

func TestPollConfig(t *testing.T) {
	def := Erase[PollConfig, PollState](Poll{})
	ten := `"1","2","3","4","5","6","7","8","9","10"`
	for patch, code := range map[string]string{
		`{"question":"Pick one","options":[` + ten + `]}`:       "",
		`{"options":[` + ten + `,"11"]}`:                        CodeInvalidConfig,
		`{"options":["only"]}`:                                  CodeInvalidConfig,
		`{"options":["Same","same "]}`:                          CodeInvalidConfig,
		`{"options":["ok",""]}`:                                 CodeInvalidConfig,
		`{"options":["ok","` + strings.Repeat("o", 101) + `"]}`: CodeInvalidConfig,
		`{"question":"  "}`:                                     CodeInvalidConfig,
		`{"duration_seconds":-1}`:                               CodeInvalidConfig,
		`{"duration_seconds":86401}`:                            CodeInvalidConfig,
		`{"hide_after_close":3601}`:                             CodeInvalidConfig,
		`{"options":[1,2]}`:                                     CodeInvalidConfig,
		`{"question":"<script>alert(1)</script>","options":["{{a}}","<b>b</b>"]}`: "",
	} {
		if _, err := def.MergeConfig(nil, json.RawMessage(patch)); kerr(err) != code {
			t.Errorf("%s: err = %v, want %q", patch, err, code)
		}
	}
	// A poll not opened yet follows its config; an open one keeps what viewers voted on.
	s := Poll{}.Initial(pollCfg(), t0)
	next := pollCfg()
	next.Options = []string{"A", "B"}
	if r := (Poll{}).Reconfigure(pollCfg(), next, s, t0); len(r.Options) != 2 || r.Options[0].Title != "A" {
		t.Fatalf("draft after reconfigure: %+v", r)
	}
	open, _ := pollStep(t, s, "open", ``, 0, "")
	if r := (Poll{}).Reconfigure(pollCfg(), next, open, t0); len(r.Options) != 3 {
		t.Fatalf("an open poll's options changed under its voters: %+v", r)
	}
}

func TestPollVoterSetStaysSorted(t *testing.T) {
	set := voterSet("")
	for i := 0; i < 300; i++ {
		set = set.with(voterKey(fmt.Sprint("v", i%200)), i%7) // the last 100 move earlier votes
	}
	if !set.valid() || set.len() != 200 {
		t.Fatalf("%d records (valid %v), want 200", set.len(), set.valid())
	}
	for i := 1; i < set.len(); i++ {
		if a, b := set[(i-1)*voterRecord:(i-1)*voterRecord+voterKeyLen], set[i*voterRecord:i*voterRecord+voterKeyLen]; a >= b {
			t.Fatalf("records %d and %d out of order: %s >= %s", i-1, i, a, b)
		}
	}
	for i := 0; i < 200; i++ {
		want := i % 7
		if i < 100 {
			want = (i + 200) % 7
		}
		if _, opt, ok := set.find(voterKey(fmt.Sprint("v", i))); !ok || opt != want {
			t.Fatalf("voter v%d: option %d (found %v), want %d", i, opt, ok, want)
		}
	}
	s, _ := pollStep(t, Poll{}.Initial(pollCfg(), t0), "open", `{"duration_seconds":0}`, 0, "")
	s.Voters = "damaged"
	pollStep(t, s, "vote", `{"voter":"kim","option":1}`, 1, CodeRejected)
}
