package kinds

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzApply applies every action of every registered kind with a fuzzed
// payload, in a chain from the initial state with fuzzed time between steps:
// Apply never panics and either refuses with a *Error of a stable code
// (the state untouched) or returns a state that is valid JSON the kind
// accepts again (Apply, Settle, View and Running all read it). CI runs it
// briefly (.ci/test).
func FuzzApply(f *testing.F) {
	for _, s := range []string{
		``, `null`, `{}`, `{"seconds":60}`, `{"seconds":-604800}`, `{"seconds":0}`, `{"seconds":1e400}`,
		`{"value":42.5}`, `{"value":-1e12}`, `{"by":1}`, `{"by":1e308}`, `{"by":"1"}`, `{"nonsense":true}`,
		`[]`, `"x"`, `{"value":1}{"value":2}`, `{"seconds":9007199254740993}`, `{"value":1,"value":null}`,
	} {
		f.Add([]byte(s), uint32(1000), uint8(0))
	}
	// One realistic payload per kind's action, so the fuzzer starts from
	// inputs that pass decoding and reaches the transitions behind it.
	for _, s := range []string{
		`{"type":"cheer"}`, `{"id":"manual-1"}`, `{"id":"manual-1","seq":1}`,
		`{"id":"evt-1","type":"resub","name":"Viewer","amount":5,"tier":"1000","months":14,"message":"hi <3 & thanks","priority":5,"test":false}`,
		`{"id":"m1","user_id":"u1","name":"Viewer","color":"#ff4500","badges":["moderator","subscriber"],"text":"hello <b>chat</b>","ts":"2025-03-01T20:00:00Z"}`,
		`{"id":"m1"}`, `{"user_id":"u1"}`, `{"amount":12.5,"name":"Donor"}`, `{"value":1e12}`,
		`{"source":"streamlabs","event_id":"tip-1","amount":5,"name":"Donor","currency":"USD"}`,
		`{"id":"e1","type":"raid","name":"Raider","amount":42,"message":"hi"}`, `{"by":-1e12}`,
		`{"title":"Song","artist":"Artist","album":"Album","art_url":"https://i.example/a.jpg","started_at":"2025-03-01T19:59:00Z","duration_ms":210000,"source":"spotify"}`,
		`{"duration_seconds":30}`, `{"voter":"viewer1","option":2}`,
		`{"id":"p1","question":"Which game?","options":[{"id":"a","title":"A","votes":3},{"id":"b","title":"B","votes":5}],"status":"open","ends_at":"2025-03-01T20:01:00Z"}`,
		`{"id":"p1","question":"Which game?","options":[{"id":"a","title":"A","votes":3},{"id":"b","title":"B","votes":5}],"status":"closed","ends_at":"9999-12-31T23:59:59Z"}`,
		`{"name":"Follower","amount":100}`, `{"event_type":"cheer","name":"Cheerer","amount":100}`,
		`{"title":"Stream","start":"2025-03-02T18:00:00Z","end":"2025-03-02T21:00:00Z","category":"Games","id":"s1"}`, `{"id":"s1"}`,
		`{"segments":[{"title":"Stream","start":"2025-03-02T18:00:00Z"},{"title":"Far","start":"9000-01-01T00:00:00Z","id":"far"}]}`,
		`{"viewers":120,"followers":5000,"subscribers":300,"live":true,"started_at":"2025-03-01T18:00:00Z"}`,
	} {
		f.Add([]byte(s), uint32(1000), uint8(0))
		f.Add([]byte(s), uint32(15_000), uint8(1))
	}
	f.Add([]byte(`{"seconds":5}`), uint32(6_000), uint8(3))
	f.Add([]byte(`{}`), uint32(0), uint8(1))
	stable := map[string]bool{CodeInvalidPayload: true, CodeRejected: true}
	reg := Default()
	t0 := time.Date(2025, 3, 1, 20, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, payload []byte, stepMillis uint32, rotate uint8) {
		step := time.Duration(stepMillis%(8*24*3600*1000)) * time.Millisecond // up to 8 days between actions
		for _, info := range reg.Infos() {
			def, _ := reg.Lookup(info.Type)
			cfg, err := def.MergeConfig(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			now := t0
			state, err := def.InitialState(cfg, now)
			if err != nil {
				t.Fatal(err)
			}
			n := len(info.Actions)
			for k := 0; k < 2*n; k++ {
				a := info.Actions[(k+int(rotate))%n]
				act := Action{Name: a.Name, Payload: payload, By: By{Role: RoleOwner}}
				next, _, err := def.Apply(cfg, state, act, now)
				checkStep(t, def, cfg, state, act, now, next, err, info.Type+" "+a.Name)
				if err != nil {
					var ke *Error
					if !errors.As(err, &ke) || !stable[ke.Code] || ke.Message == "" {
						t.Fatalf("%s %s(%q): error %#v, want a *kinds.Error invalid_payload or action_rejected", info.Type, a.Name, payload, err)
					}
				} else {
					checkAccepted(t, def, cfg, next, now.Add(step), info.Type+" "+a.Name)
					state = next
				}
				now = now.Add(step)
			}
		}
	})
}

// checkAccepted: a state Apply returned is valid JSON the kind reads back.
func checkAccepted(t *testing.T, def Definition, cfg, state json.RawMessage, later time.Time, what string) {
	t.Helper()
	if !json.Valid(state) {
		t.Fatalf("%s returned invalid JSON %q", what, state)
	}
	if _, _, _, err := def.Settle(cfg, state, later); err != nil {
		t.Fatalf("%s returned a state Settle refuses: %s: %v", what, state, err)
	}
	if _, err := def.View(cfg, state, later); err != nil {
		t.Fatalf("%s returned a state View refuses: %s: %v", what, state, err)
	}
	// The grain settles only when the state's Timer says a wake is due: a
	// state that asks for no time must have nothing to settle.
	if tm := def.Timer(cfg, state, later); !tm.Tick && tm.At.IsZero() {
		if _, _, changed, err := def.Settle(cfg, state, later.Add(30*24*time.Hour)); err == nil && changed {
			t.Fatalf("%s: a state that asks for no wake changes when settled a month later (the grain would never settle it): %s", what, state)
		}
	}
	// A wake the state asks for must settle something when it comes: the
	// grain re-arms the same wake at once otherwise, in a loop.
	if tm := def.Timer(cfg, state, later); !tm.At.IsZero() {
		at := tm.At.Add(time.Millisecond)
		if at.Before(later) {
			at = later
		}
		if next, _, changed, err := def.Settle(cfg, state, at); err == nil && !changed {
			if again := def.Timer(cfg, next, at); !again.At.IsZero() && !again.At.After(at) {
				t.Fatalf("%s: a wake at %v settles nothing and asks for %v again (the grain would spin): %s", what, tm.At, again.At, state)
			}
		}
	}
	_, _, err := def.Apply(cfg, state, Action{Name: "no-such-action"}, later)
	var ke *Error
	if !errors.As(err, &ke) || ke.Code != CodeUnknownAction {
		t.Fatalf("%s returned a state the kind does not read back: %s: %v", what, state, err)
	}
}

// checkStep: Step (what the grain runs for an action) is Apply, plus the
// new state's Timer and View at the same time, as if asked separately.
func checkStep(t *testing.T, def Definition, cfg, state json.RawMessage, a Action, now time.Time, applied json.RawMessage, applyErr error, what string) {
	t.Helper()
	step, err := def.Step(cfg, state, a, now)
	if (err == nil) != (applyErr == nil) || err != nil && err.Error() != applyErr.Error() {
		t.Fatalf("%s: Step error %v, Apply error %v", what, err, applyErr)
	}
	if err != nil {
		return
	}
	if string(step.State) != string(applied) {
		t.Fatalf("%s: Step state %s, Apply state %s", what, step.State, applied)
	}
	if tm := def.Timer(cfg, applied, now); tm.Tick != step.Timer.Tick || !tm.At.Equal(step.Timer.At) {
		t.Fatalf("%s: Step timer %+v, Timer %+v", what, step.Timer, tm)
	}
	if view, err := def.View(cfg, applied, now); err != nil || string(view) != string(step.View) {
		t.Fatalf("%s: Step view %s, View %s (%v)", what, step.View, view, err)
	}
}
