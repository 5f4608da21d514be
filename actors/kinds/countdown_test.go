package kinds

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func TestCountdownTransitions(t *testing.T) {
	cfg := CountdownConfig{Title: "Soon", Duration: 300}
	fresh := CountdownState{DurationLeft: 300, LastTickTimestamp: t0}
	running := CountdownState{DurationLeft: 300, Enabled: true, LastTickTimestamp: t0}
	finishedAt := at(300)
	cases := []struct {
		name     string
		state    CountdownState
		action   string
		payload  string
		now      time.Time
		wantLeft float64 // remaining at now, after the action
		wantRun  bool
		wantFin  bool
		wantCode string
	}{
		{"start runs", fresh, "start", "", at(0), 300, true, false, ""},
		{"start twice keeps the original start", running, "start", "", at(10), 290, true, false, ""},
		{"pause keeps the remaining time", running, "pause", "", at(42.5), 257.5, false, false, ""},
		{"pause when paused is a no-op", fresh, "pause", "", at(99), 300, false, false, ""},
		{"reset restores the duration", running, "reset", "", at(100), 300, false, false, ""},
		{"add_time while running", running, "add_time", `{"seconds":60}`, at(100), 260, true, false, ""},
		{"add_time while paused", fresh, "add_time", `{"seconds":30}`, at(5), 330, false, false, ""},
		{"negative add_time finishes", running, "add_time", `{"seconds":-500}`, at(1), 0, false, true, ""},
		{"start after the end is rejected", running, "start", "", at(400), 0, false, true, CodeRejected},
		{"add_time revives a finished countdown", CountdownState{Finished: true, FinishedAt: &finishedAt, LastTickTimestamp: finishedAt}, "add_time", `{"seconds":10}`, at(301), 10, false, false, ""},
		{"add_time needs seconds", fresh, "add_time", `{}`, at(0), 300, false, false, CodeInvalidPayload},
		{"add_time refuses zero", fresh, "add_time", `{"seconds":0}`, at(0), 300, false, false, CodeInvalidPayload},
		{"add_time refuses fractions", fresh, "add_time", `{"seconds":1.5}`, at(0), 300, false, false, CodeInvalidPayload},
		{"add_time refuses strings", fresh, "add_time", `{"seconds":"10"}`, at(0), 300, false, false, CodeInvalidPayload},
		{"add_time refuses a week and more", fresh, "add_time", `{"seconds":604801}`, at(0), 300, false, false, CodeInvalidPayload},
		{"payload on start is refused", fresh, "start", `{"x":1}`, at(0), 300, false, false, CodeInvalidPayload},
		{"unknown action", fresh, "explode", "", at(0), 300, false, false, CodeUnknownAction},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := Countdown{}.Apply(cfg, tc.state, Action{Name: tc.action, Payload: json.RawMessage(tc.payload)}, tc.now)
			if tc.wantCode != "" {
				var ke *Error
				if !errors.As(err, &ke) || ke.Code != tc.wantCode {
					t.Fatalf("err = %v, want code %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if left := got.Remaining(tc.now); left != tc.wantLeft {
				t.Errorf("remaining = %v, want %v", left, tc.wantLeft)
			}
			if got.Enabled != tc.wantRun || got.Finished != tc.wantFin {
				t.Errorf("enabled=%v finished=%v, want %v/%v", got.Enabled, got.Finished, tc.wantRun, tc.wantFin)
			}
		})
	}
}

func TestCountdownNeverCountsWhilePaused(t *testing.T) {
	s := CountdownState{DurationLeft: 120, LastTickTimestamp: t0}
	for _, later := range []float64{1, 60, 86400} {
		if got := s.Remaining(at(later)); got != 120 {
			t.Fatalf("paused countdown shows %v after %vs, want 120", got, later)
		}
	}
}

func TestCountdownRemainingIsDerivedFromStoredStateAndClock(t *testing.T) {
	// What a restarted node sees: only the stored state and the clock.
	stored, _ := json.Marshal(CountdownState{DurationLeft: 300, Enabled: true, LastTickTimestamp: t0})
	var s CountdownState
	if err := json.Unmarshal(stored, &s); err != nil {
		t.Fatal(err)
	}
	if got := s.Remaining(at(123.25)); got != 176.75 {
		t.Fatalf("remaining after reload = %v, want 176.75", got)
	}
	if got := s.Remaining(at(-5)); got != 300 {
		t.Fatalf("clock going back counted up/down: %v", got)
	}
}

func TestCountdownSettleFinishesAtTheDeadline(t *testing.T) {
	cfg := CountdownConfig{Duration: 10}
	s := CountdownState{DurationLeft: 10, Enabled: true, LastTickTimestamp: t0}
	if _, _, changed := (Countdown{}).Settle(cfg, s, at(9.9)); changed {
		t.Fatal("settled before the deadline")
	}
	got, events, changed := Countdown{}.Settle(cfg, s, at(3600))
	if !changed || got.Enabled || !got.Finished || got.DurationLeft != 0 {
		t.Fatalf("after the deadline: %+v changed=%v", got, changed)
	}
	if len(events) != 1 || events[0].Name != "finished" {
		t.Fatalf("events = %+v, want one finished event", events)
	}
	if got.FinishedAt == nil || !got.FinishedAt.Equal(at(10)) {
		t.Fatalf("finished_at = %v, want the deadline %v", got.FinishedAt, at(10))
	}
}

func TestCountdownReconfigure(t *testing.T) {
	old, next := CountdownConfig{Duration: 300}, CountdownConfig{Duration: 600}
	fresh := CountdownState{DurationLeft: 300, LastTickTimestamp: t0}
	if got := (Countdown{}).Reconfigure(old, next, fresh, at(1)); got.DurationLeft != 600 {
		t.Fatalf("unstarted countdown did not follow the new duration: %v", got.DurationLeft)
	}
	paused := CountdownState{DurationLeft: 120, LastTickTimestamp: t0}
	if got := (Countdown{}).Reconfigure(old, next, paused, at(1)); got.DurationLeft != 120 {
		t.Fatalf("countdown in progress lost its time: %v", got.DurationLeft)
	}
}

func TestCountdownConfigValidation(t *testing.T) {
	def := Erase[CountdownConfig, CountdownState](Countdown{})
	cases := []struct {
		name, patch string
		ok          bool
	}{
		{"defaults", `{}`, true},
		{"seed fields", `{"title":"T","text":"x","duration":60,"timerId":"abc"}`, true},
		{"zero duration", `{"duration":0}`, false},
		{"too long", `{"duration":604801}`, false},
		{"string duration", `{"duration":"60"}`, false},
		{"unknown field", `{"colour":"red"}`, false},
		{"not an object", `[1]`, false},
		{"trailing data", `{} {}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := def.MergeConfig(nil, json.RawMessage(tc.patch))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			var ke *Error
			if err != nil && (!errors.As(err, &ke) || ke.Code != CodeInvalidConfig) {
				t.Fatalf("err %v is not an invalid_config error", err)
			}
		})
	}
}

func TestCountdownViewIsEquivalentToTheStoredState(t *testing.T) {
	s := CountdownState{DurationLeft: 300, Enabled: true, LastTickTimestamp: t0}
	v := Countdown{}.View(CountdownConfig{}, s, at(12.5))
	if v.DurationLeft != 287.5 || !v.LastTickTimestamp.Equal(at(12.5)) {
		t.Fatalf("view = %+v", v)
	}
	for _, later := range []float64{12.5, 20, 299} {
		if s.Remaining(at(later)) != v.Remaining(at(later)) {
			t.Fatalf("view and stored state disagree at %vs", later)
		}
	}
}
