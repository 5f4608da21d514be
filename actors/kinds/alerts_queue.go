package kinds

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Statuses of the alert queue: what is on stream now.
const (
	AlertsIdle    = "idle"    // nothing on screen; the queue runs
	AlertsShowing = "showing" // an alert is on screen
	AlertsPaused  = "paused"  // nothing on screen and the queue holds
)

// Lanes: the queue shows one alert at a time with a gap between them;
// alerts of a "bypass" type show at once, beside it.
const (
	laneQueue  = "queue"
	laneBypass = "bypass"
)

// How an alert left the screen: alert_ended's reason and the log's outcome.
const (
	outcomeEnded    = "ended"     // an OBS view showed it to its end
	outcomeTimedOut = "timed_out" // a view showed it and never said it ended: the server's fallback ended it
	outcomeUnseen   = "unseen"    // no OBS view showed it within max_hold
	outcomeSkipped  = "skipped"
	outcomeCleared  = "cleared"
)

const (
	maxQueuedAlerts  = 1000
	maxQueueBytes    = 160 << 10
	maxLoggedAlerts  = 100
	maxLogBytes      = 80 << 10
	maxBypassShowing = 3
	// maxAlertsBytes bounds config and state together: a DynamoDB item holds
	// 400 KB, and the record's other attributes need a few. The queue gets
	// what the config, the log and a full screen leave (see queueBudget).
	maxAlertsBytes = 380 << 10
	// alertGrace is how long past an alert's duration the server waits for
	// the view's "ended" before it ends the alert itself.
	alertGrace = 3 * time.Second
)

// Alert is one alert as received.
type Alert struct {
	ID         string    `json:"id"`
	Seq        int64     `json:"seq"` // this play's number: a replay is a new play of the same id
	Type       string    `json:"type"`
	Name       string    `json:"name"`
	Amount     float64   `json:"amount,omitempty"`
	Tier       int       `json:"tier,omitempty"`
	Months     int       `json:"months,omitempty"`
	Message    string    `json:"message,omitempty"`
	Test       bool      `json:"test,omitempty"`
	Replay     bool      `json:"replay,omitempty"`
	Bypass     bool      `json:"bypass,omitempty"` // a bypass type held in the queue (paused, or the screen full)
	Priority   int       `json:"priority,omitempty"`
	Source     string    `json:"source"` // owner, control, or the integration ("twitch")
	ReceivedAt time.Time `json:"received_at"`
}

// ShownAlert is an alert on screen, resolved from the config when it started.
type ShownAlert struct {
	Alert
	Lane       string     `json:"lane"`
	Text       string     `json:"text"` // plain text: overlays set it with textContent
	ImageURL   string     `json:"image_url,omitempty"`
	SoundURL   string     `json:"sound_url,omitempty"`
	Volume     int        `json:"volume"`
	DurationMs int64      `json:"duration_ms"`
	Animation  string     `json:"animation"`
	Variation  int        `json:"variation,omitempty"` // the matching rule, from 1; 0: none
	StartedAt  time.Time  `json:"started_at"`
	ShownAt    *time.Time `json:"shown_at,omitempty"` // when the first OBS view showed it
}

// LoggedAlert is a past alert, kept to replay.
type LoggedAlert struct {
	Alert
	Outcome string    `json:"outcome"`
	EndedAt time.Time `json:"ended_at"`
}

// AlertsState is the alert box's persisted state. Queue and Log stay out of
// what viewers receive (View); the REST record has them.
type AlertsState struct {
	Status  string       `json:"status"`
	Paused  bool         `json:"paused"`
	Showing []ShownAlert `json:"showing"`
	Queued  int          `json:"queued"`
	// NextAt: the queue's next alert starts no earlier (the gap after the last).
	NextAt time.Time `json:"next_at,omitzero"`
	Seq    int64     `json:"seq"` // the last play number given
	// Queue is in showing order: held bypass alerts, replays, then by priority and arrival.
	Queue []Alert `json:"queue,omitempty"`
	// Log is the last alerts that left the screen, oldest first (bounded).
	Log []LoggedAlert `json:"log,omitempty"`
}

// Apply implements Kind.
func (Alerts) Apply(c AlertsConfig, s AlertsState, a Action, now time.Time) (AlertsState, []Event, error) {
	now = now.UTC()
	next, events := s.own().settle(c, now)
	next, more, err := next.apply(c, a, now)
	if err != nil {
		return s, nil, err
	}
	next, after := next.settle(c, now)
	return next.finish(), append(append(events, more...), after...), nil
}

func (s AlertsState) apply(c AlertsConfig, a Action, now time.Time) (AlertsState, []Event, error) {
	switch strings.TrimSpace(a.Name) {
	case "enqueue":
		al, priority, err := decodeEnqueue(a)
		if err != nil {
			return s, nil, err
		}
		if al.ID != "" && s.known(al.ID) {
			return s, nil, nil // a redelivery: already queued, on screen or in the log
		}
		return s.admit(c, al, priority, a.By, now)
	case "test":
		al, err := testAlert(a, s.Seq+1)
		if err != nil {
			return s, nil, err
		}
		return s.admit(c, al, nil, a.By, now)
	case "pause", "resume":
		if err := noPayload(a); err != nil {
			return s, nil, err
		}
		s.Paused = a.Name == "pause"
		return s, nil, nil
	case "skip":
		if err := noPayload(a); err != nil {
			return s, nil, err
		}
		if len(s.Showing) == 0 {
			return s, nil, Rejected("no alert is showing")
		}
		s, events := s.endAll(c, outcomeSkipped, now)
		return s, events, nil
	case "clear":
		if err := noPayload(a); err != nil {
			return s, nil, err
		}
		s, events := s.endAll(c, outcomeCleared, now)
		for _, al := range s.Queue {
			s = s.log(al, outcomeCleared, now)
		}
		s.Queue = nil
		return s, events, nil
	case "replay":
		return s.replay(c, a, now)
	case "shown":
		ref, err := decodeRef(a)
		if err != nil {
			return s, nil, err
		}
		if i := s.find(ref); i >= 0 && s.Showing[i].ShownAt == nil {
			at := now
			s.Showing[i].ShownAt = &at
		}
		return s, nil, nil // an acknowledgement of a past alert is ignored
	case "ended":
		ref, err := decodeRef(a)
		if err != nil {
			return s, nil, err
		}
		if i := s.find(ref); i >= 0 {
			s, ev := s.end(c, i, outcomeEnded, now)
			return s, []Event{ev}, nil
		}
		return s, nil, nil
	default:
		return s, nil, UnknownAction("alerts", a.Name)
	}
}

// admit gives a new alert its play number and shows it at once (a bypass
// type, when the screen has room and the queue runs) or queues it.
func (s AlertsState) admit(c AlertsConfig, al Alert, priority *int, by By, now time.Time) (AlertsState, []Event, error) {
	s.Seq++
	al.Seq, al.Source, al.ReceivedAt = s.Seq, source(by), now
	if al.ID == "" {
		al.ID = fmt.Sprintf("manual-%d", al.Seq)
	}
	if priority != nil {
		al.Priority = *priority
	} else {
		for _, p := range c.Priorities {
			if p.Type == al.Type {
				al.Priority = p.Priority
			}
		}
	}
	if slices.Contains(c.BypassTypes, al.Type) {
		if !s.Paused && s.onScreen(laneBypass) < maxBypassShowing {
			sh := present(c, al, laneBypass, now)
			s.Showing = append(s.Showing, sh)
			return s, []Event{started(sh)}, nil
		}
		al.Bypass = true
	}
	if err := s.room(c, al); err != nil {
		return s, nil, err
	}
	s.Queue = insertAlert(s.Queue, al)
	return s, nil, nil
}

// replay queues a logged alert again, ahead of the regular queue.
func (s AlertsState) replay(c AlertsConfig, a Action, now time.Time) (AlertsState, []Event, error) {
	ref, err := decodeRef(a)
	if err != nil {
		return s, nil, err
	}
	i := -1
	for j := len(s.Log) - 1; j >= 0 && i < 0; j-- { // the newest play of that id
		if s.Log[j].ID == ref.ID && (ref.Seq == 0 || s.Log[j].Seq == ref.Seq) {
			i = j
		}
	}
	switch {
	case i < 0:
		return s, nil, Rejected("no alert %q in the log (it keeps the last %d)", ref.ID, maxLoggedAlerts)
	case s.queuedOrShowing(ref.ID):
		return s, nil, Rejected("alert %q is already waiting or on screen", ref.ID)
	}
	al := s.Log[i].Alert
	s.Seq++
	al.Seq, al.Replay, al.Bypass, al.ReceivedAt, al.Source = s.Seq, true, false, now, source(a.By)
	if err := s.room(c, al); err != nil {
		return s, nil, err
	}
	s.Queue = insertAlert(s.Queue, al)
	return s, nil, nil
}

// Settle implements Kind: alerts whose time ran out end (the fallback when
// no view acknowledges), and the queue's next alert starts after the gap.
func (Alerts) Settle(c AlertsConfig, s AlertsState, now time.Time) (AlertsState, []Event, bool) {
	next, events := s.own().settle(c, now.UTC())
	if len(events) == 0 {
		return s, nil, false
	}
	return next.finish(), events, true
}

func (s AlertsState) settle(c AlertsConfig, now time.Time) (AlertsState, []Event) {
	var events []Event
	for {
		i, due := -1, time.Time{}
		for j, sh := range s.Showing {
			if d := sh.deadline(c); !now.Before(d) && (i < 0 || d.Before(due)) {
				i, due = j, d
			}
		}
		if i >= 0 {
			outcome := outcomeUnseen
			if s.Showing[i].ShownAt != nil {
				outcome = outcomeTimedOut
			}
			var ev Event
			s, ev = s.end(c, i, outcome, due)
			events = append(events, ev)
			continue
		}
		if s.Paused || s.onScreen(laneQueue) > 0 || len(s.Queue) == 0 || now.Before(s.NextAt) {
			return s, events
		}
		// Started now, not at NextAt: after a long outage the queue resumes
		// one alert at a time instead of timing out a backlog at once.
		sh := present(c, s.Queue[0], laneQueue, now)
		s.Queue = slices.Delete(s.Queue, 0, 1)
		s.Showing = append(s.Showing, sh)
		events = append(events, started(sh))
	}
}

// Timer implements Kind: wake at the next alert's fallback end or the end of the gap.
func (Alerts) Timer(c AlertsConfig, s AlertsState, now time.Time) Timer {
	var at time.Time
	for _, sh := range s.Showing {
		if d := sh.deadline(c); at.IsZero() || d.Before(at) {
			at = d
		}
	}
	if !s.Paused && s.onScreen(laneQueue) == 0 && len(s.Queue) > 0 {
		next := s.NextAt
		if next.IsZero() {
			next = now
		}
		if at.IsZero() || next.Before(at) {
			at = next
		}
	}
	return Timer{At: at}
}

// View implements Kind: viewers get what is on screen and how many wait,
// not the queue and the log (the REST record has them), so fan-out stays small.
func (Alerts) View(_ AlertsConfig, s AlertsState, _ time.Time) AlertsState {
	s.Queue, s.Log = nil, nil
	return s
}

// deadline is when the server ends an alert no view said had ended: its
// duration and a grace after the first view showed it, or max_hold after
// it started if no view showed it.
func (sh ShownAlert) deadline(c AlertsConfig) time.Time {
	if sh.ShownAt != nil {
		return sh.ShownAt.Add(time.Duration(sh.DurationMs)*time.Millisecond + alertGrace)
	}
	return sh.StartedAt.Add(time.Duration(c.MaxHold) * time.Second)
}

// end takes the i-th alert off the screen at `at` and logs it.
func (s AlertsState) end(c AlertsConfig, i int, outcome string, at time.Time) (AlertsState, Event) {
	sh := s.Showing[i]
	s.Showing = slices.Delete(s.Showing, i, i+1)
	if sh.Lane == laneQueue {
		s.NextAt = at.Add(time.Duration(c.Gap * float64(time.Second)))
	}
	s = s.log(sh.Alert, outcome, at)
	return s, Event{Name: "alert_ended", Data: map[string]any{"id": sh.ID, "seq": sh.Seq, "lane": sh.Lane, "reason": outcome}}
}

func (s AlertsState) endAll(c AlertsConfig, outcome string, now time.Time) (AlertsState, []Event) {
	var events []Event
	for len(s.Showing) > 0 {
		var ev Event
		s, ev = s.end(c, 0, outcome, now)
		events = append(events, ev)
	}
	return s, events
}

// log appends a past alert, dropping the oldest beyond the log's bounds.
func (s AlertsState) log(al Alert, outcome string, at time.Time) AlertsState {
	al.Bypass = false
	s.Log = append(s.Log, LoggedAlert{Alert: al, Outcome: outcome, EndedAt: at})
	size := 0
	for _, l := range s.Log {
		size += alertSize(l.Alert) + loggedBytes
	}
	drop := 0
	for ; len(s.Log)-drop > maxLoggedAlerts || size > maxLogBytes; drop++ {
		size -= alertSize(s.Log[drop].Alert) + loggedBytes
	}
	s.Log = slices.Delete(s.Log, 0, drop)
	return s
}

// room refuses an alert the queue has no room for.
func (s AlertsState) room(c AlertsConfig, al Alert) error {
	size := alertSize(al)
	for _, q := range s.Queue {
		size += alertSize(q)
	}
	if len(s.Queue) >= maxQueuedAlerts || size > queueBudget(c) {
		return Rejected("the alert queue is full (%d waiting); clear it or let it play", len(s.Queue))
	}
	return nil
}

// queueBudget is the queue's share of maxAlertsBytes: what the config, a
// full log and a full screen (maxBypassShowing + 1 alerts, each with its
// text and the longest media links of the config) leave, at most
// maxQueueBytes. Reserving the screen matters because an alert goes on
// screen by a timer: a write nobody asked for, which the store must not refuse.
func queueBudget(c AlertsConfig) int {
	raw, _ := json.Marshal(c)
	links := 0
	for _, r := range c.Rules {
		links = max(links, jsonLen(r.ImageURL)+jsonLen(r.SoundURL))
	}
	links = max(links, jsonLen(c.ImageURL)+jsonLen(c.SoundURL))
	shown := maxAlertBytes + shownBytes + 6*maxAlertTextLen + links
	return min(maxQueueBytes, maxAlertsBytes-len(raw)-maxLogBytes-(maxBypassShowing+1)*shown)
}

const (
	// maxAlertBytes bounds alertSize: every field at its longest, escaped.
	maxAlertBytes = 120 + 6*maxAlertIDLen + 6*maxAlertNameLen + 16 + 64 + 13 + 6*maxAlertMessageLen + 103
	// shownBytes is what showing adds besides text and links (lane, times, …).
	shownBytes = 240
	// loggedBytes is what logging adds (outcome, ended_at).
	loggedBytes = 72
)

// alertSize bounds an alert's stored size in bytes (its JSON).
func alertSize(al Alert) int {
	n := 100 + jsonLen(al.ID) + jsonLen(al.Type) + jsonLen(al.Name) + jsonLen(al.Source) // keys, seq, received_at
	if al.Message != "" {
		n += 13 + jsonLen(al.Message)
	}
	// Optional fields at their longest (`,"amount":999999999.99`).
	for _, f := range []struct {
		set   bool
		bytes int
	}{{al.Amount != 0, 24}, {al.Tier != 0, 10}, {al.Months != 0, 14}, {al.Test, 12}, {al.Replay, 14}, {al.Bypass, 14}, {al.Priority != 0, 15}} {
		if f.set {
			n += f.bytes
		}
	}
	return n
}

// jsonLen is a string's length once encoded by encoding/json, which writes
// <, > and & as six-byte escapes: "<<<" must not fit six times the budget.
func jsonLen(s string) int {
	n := len(s)
	for _, r := range s {
		switch r {
		case '<', '>', '&':
			n += 5
		case '"', '\\':
			n++
		case '\u2028', '\u2029':
			n += 3
		}
	}
	return n
}

// insertAlert keeps the queue in showing order; equal keys keep arrival order.
func insertAlert(q []Alert, al Alert) []Alert {
	i := slices.IndexFunc(q, func(x Alert) bool { return alertBefore(al, x) })
	if i < 0 {
		return append(q, al)
	}
	return slices.Insert(q, i, al)
}

func alertBefore(a, b Alert) bool {
	class := func(x Alert) int {
		switch {
		case x.Bypass:
			return 0
		case x.Replay:
			return 1
		}
		return 2
	}
	if ca, cb := class(a), class(b); ca != cb {
		return ca < cb
	}
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return a.Seq < b.Seq
}

func started(sh ShownAlert) Event { return Event{Name: "alert_started", Data: sh} }

func (s AlertsState) onScreen(lane string) int {
	n := 0
	for _, sh := range s.Showing {
		if sh.Lane == lane {
			n++
		}
	}
	return n
}

func (s AlertsState) find(ref alertRef) int {
	return slices.IndexFunc(s.Showing, func(sh ShownAlert) bool { return sh.ID == ref.ID && (ref.Seq == 0 || sh.Seq == ref.Seq) })
}

func (s AlertsState) queuedOrShowing(id string) bool {
	return slices.ContainsFunc(s.Showing, func(sh ShownAlert) bool { return sh.ID == id }) ||
		slices.ContainsFunc(s.Queue, func(a Alert) bool { return a.ID == id })
}

// known is the dedupe window: everything waiting or on screen and the log.
func (s AlertsState) known(id string) bool {
	return s.queuedOrShowing(id) || slices.ContainsFunc(s.Log, func(l LoggedAlert) bool { return l.ID == id })
}

// own copies the slices, so a transition never writes into its input's arrays.
func (s AlertsState) own() AlertsState {
	s.Showing, s.Queue, s.Log = slices.Clone(s.Showing), slices.Clone(s.Queue), slices.Clone(s.Log)
	return s
}

// finish derives the fields views read from the rest.
func (s AlertsState) finish() AlertsState {
	if s.Showing == nil {
		s.Showing = []ShownAlert{}
	}
	s.Queued = len(s.Queue)
	switch {
	case len(s.Showing) > 0:
		s.Status = AlertsShowing
	case s.Paused:
		s.Status = AlertsPaused
	default:
		s.Status = AlertsIdle
	}
	return s
}
