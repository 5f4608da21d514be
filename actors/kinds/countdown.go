package kinds

import (
	"math"
	"strings"
	"time"
)

// CountdownConfig is the countdown's config (seed: CountdownTimerConfig).
type CountdownConfig struct {
	Title    string `json:"title"`
	Text     string `json:"text"`
	Duration int64  `json:"duration"` // seconds
	// TimerID is accepted for clients written from the widgets plan; unused.
	TimerID string `json:"timerId,omitempty"`
	Appearance
}

// CountdownState is the countdown's state (seed: CountdownTimerState).
// DurationLeft is the remaining time at LastTickTimestamp; while Enabled the
// remaining time now is DurationLeft - (now - LastTickTimestamp), so the
// stored state stays right across restarts without persisting every tick.
type CountdownState struct {
	DurationLeft      float64    `json:"duration_left"`
	Enabled           bool       `json:"enabled"`
	LastTickTimestamp time.Time  `json:"last_tick_timestamp"`
	Finished          bool       `json:"finished"`
	FinishedAt        *time.Time `json:"finished_at,omitempty"`
}

// MaxCountdownSeconds bounds duration and added time (one week: subathons).
const MaxCountdownSeconds = 7 * 24 * 3600

func init() { Register(Erase[CountdownConfig, CountdownState](Countdown{})) }

// Countdown is the countdown timer kind.
type Countdown struct{}

var _ Kind[CountdownConfig, CountdownState] = Countdown{}

// Info implements Kind.
func (Countdown) Info() Info {
	return Info{
		Type: "countdown", Name: "Countdown Timer", Description: "A countdown shown as mm:ss with a title and a line of text.",
		ConfigSchema: withAppearance(objectSchema([]string{"duration"}, map[string]any{
			"title":    stringSchema("Title (shown on stream)", 200),
			"text":     stringSchema("Text", 500),
			"duration": durationSchema("Duration", MaxCountdownSeconds),
		}, "title", "text", "duration")),
		Actions: []ActionSpec{
			{Name: "start", Label: "Start", ActiveWhen: &StateMatch{Field: "enabled", Equals: true}},
			{Name: "pause", Label: "Pause", ActiveWhen: &StateMatch{Field: "enabled", Equals: false}},
			{Name: "reset", Label: "Reset"},
			{Name: "add_time", Label: "Add time", PayloadSchema: objectSchema([]string{"seconds"}, map[string]any{
				"seconds": signedDurationSchema("Time to add (negative removes)", MaxCountdownSeconds),
			})},
		},
	}
}

// Defaults implements Kind.
func (Countdown) Defaults() CountdownConfig {
	return CountdownConfig{Title: "Starting soon", Duration: 300, Appearance: DefaultAppearance()}
}

// Validate implements Kind.
func (Countdown) Validate(c CountdownConfig) error {
	switch {
	case c.Duration < 1 || c.Duration > MaxCountdownSeconds:
		return InvalidConfig("duration must be between 1 and %d seconds", MaxCountdownSeconds)
	case len([]rune(c.Title)) > 200:
		return InvalidConfig("title must be at most 200 characters")
	case len([]rune(c.Text)) > 500:
		return InvalidConfig("text must be at most 500 characters")
	case len(c.TimerID) > 100:
		return InvalidConfig("timerId must be at most 100 characters")
	}
	return c.Appearance.Validate()
}

// Initial implements Kind.
func (Countdown) Initial(c CountdownConfig, now time.Time) CountdownState {
	return CountdownState{DurationLeft: float64(c.Duration), LastTickTimestamp: now.UTC()}
}

// Remaining is the time left at now.
func (s CountdownState) Remaining(now time.Time) float64 {
	if !s.Enabled {
		return s.DurationLeft
	}
	elapsed := now.Sub(s.LastTickTimestamp).Seconds()
	if elapsed < 0 { // the clock went back: never count up
		elapsed = 0
	}
	return math.Max(0, roundMillis(s.DurationLeft-elapsed))
}

// Apply implements Kind.
func (k Countdown) Apply(c CountdownConfig, s CountdownState, a Action, now time.Time) (CountdownState, []Event, error) {
	s, err := k.apply(c, s, a, now.UTC())
	return s, nil, err
}

func (k Countdown) apply(c CountdownConfig, s CountdownState, a Action, now time.Time) (CountdownState, error) {
	s, _, _ = k.Settle(c, s, now)
	switch strings.TrimSpace(a.Name) {
	case "start":
		if err := noPayload(a); err != nil {
			return s, err
		}
		if s.Finished || s.DurationLeft <= 0 {
			return s, Rejected("the countdown has finished; reset it or add time first")
		}
		if !s.Enabled {
			s.Enabled, s.LastTickTimestamp = true, now
		}
		return s, nil
	case "pause":
		if err := noPayload(a); err != nil {
			return s, err
		}
		return pauseAt(s, now), nil
	case "reset":
		if err := noPayload(a); err != nil {
			return s, err
		}
		return k.Initial(c, now), nil
	case "add_time":
		var p struct {
			Seconds *int64 `json:"seconds"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, InvalidPayload("add_time: %v", err)
		}
		if p.Seconds == nil || *p.Seconds == 0 || *p.Seconds > MaxCountdownSeconds || *p.Seconds < -MaxCountdownSeconds {
			return s, InvalidPayload("add_time needs a non-zero integer seconds between %d and %d", -MaxCountdownSeconds, MaxCountdownSeconds)
		}
		running := s.Enabled
		s = pauseAt(s, now)
		s.DurationLeft = math.Min(MaxCountdownSeconds, math.Max(0, s.DurationLeft+float64(*p.Seconds)))
		s.Enabled = running && s.DurationLeft > 0
		if s.DurationLeft > 0 {
			s.Finished, s.FinishedAt = false, nil
		} else {
			s = finishAt(s, now)
		}
		return s, nil
	default:
		return s, UnknownAction("countdown", a.Name)
	}
}

// Settle implements Kind: a running countdown that reached zero stops and
// records when it finished (the deadline, not the moment we noticed).
func (Countdown) Settle(_ CountdownConfig, s CountdownState, now time.Time) (CountdownState, []Event, bool) {
	if !s.Enabled || s.Remaining(now) > 0 {
		return s, nil, false
	}
	deadline := s.LastTickTimestamp.Add(time.Duration(s.DurationLeft * float64(time.Second)))
	return finishAt(s, deadline), []Event{{Name: "finished"}}, true
}

// Timer implements Kind: a running countdown ticks (viewers re-sync to the
// server clock every second) and wakes exactly at its deadline.
func (Countdown) Timer(_ CountdownConfig, s CountdownState, _ time.Time) Timer {
	if !s.Enabled {
		return Timer{}
	}
	return Timer{Tick: true, At: s.LastTickTimestamp.Add(time.Duration(s.DurationLeft * float64(time.Second)))}
}

// Reconfigure implements Kind: a countdown that was never started follows a
// new duration; one in progress keeps its remaining time.
func (k Countdown) Reconfigure(old, next CountdownConfig, s CountdownState, now time.Time) CountdownState {
	if !s.Enabled && !s.Finished && s.DurationLeft == float64(old.Duration) {
		return k.Initial(next, now)
	}
	return s
}

// View implements Kind: a running countdown as of now, so a viewer that
// renders duration_left - (now - last_tick_timestamp) sees the same second.
func (Countdown) View(_ CountdownConfig, s CountdownState, now time.Time) CountdownState {
	if s.Enabled {
		s.DurationLeft, s.LastTickTimestamp = s.Remaining(now), now.UTC()
	}
	return s
}

func pauseAt(s CountdownState, now time.Time) CountdownState {
	if !s.Enabled {
		return s
	}
	s.DurationLeft = s.Remaining(now)
	s.Enabled, s.LastTickTimestamp = false, now
	return s
}

func finishAt(s CountdownState, at time.Time) CountdownState {
	at = at.UTC()
	s.DurationLeft, s.Enabled, s.Finished = 0, false, true
	s.LastTickTimestamp, s.FinishedAt = at, &at
	return s
}

func roundMillis(x float64) float64 { return math.Round(x*1000) / 1000 }
