package kinds

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// alertBox drives an alert box through the erased definition, as the grain
// does: settle before each action, persist the result, wake at Timer.At.
type alertBox struct {
	t      *testing.T
	def    Definition
	cfg    json.RawMessage
	state  json.RawMessage
	events []Event // every event so far
}

func newAlertBox(t *testing.T, config string) *alertBox {
	t.Helper()
	def := Erase[AlertsConfig, AlertsState](Alerts{})
	cfg := mustConfig(t, def, config)
	state, err := def.InitialState(cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	return &alertBox{t: t, def: def, cfg: cfg, state: state}
}

// act runs an action at sec seconds after t0 as role; it returns the events and the error code.
func (b *alertBox) act(sec float64, role Role, name, payload string) ([]Event, string) {
	b.t.Helper()
	b.settle(sec)
	next, events, err := b.def.Apply(b.cfg, b.state, Action{Name: name, Payload: json.RawMessage(payload), By: By{Role: role, Service: map[bool]string{true: "twitch"}[role == RoleService]}}, at(sec))
	if err != nil {
		return nil, codeOf(err)
	}
	b.state = next
	b.events = append(b.events, events...)
	return events, ""
}

// must runs an owner action that must succeed.
func (b *alertBox) must(sec float64, name, payload string) []Event {
	b.t.Helper()
	events, code := b.act(sec, RoleOwner, name, payload)
	if code != "" {
		b.t.Fatalf("%s %s at %gs: %s", name, payload, sec, code)
	}
	return events
}

// ack sends an OBS view's acknowledgement.
func (b *alertBox) ack(sec float64, name, id string, seq int64) []Event {
	b.t.Helper()
	events, code := b.act(sec, RoleViewer, name, fmt.Sprintf(`{"id":%q,"seq":%d}`, id, seq))
	if code != "" {
		b.t.Fatalf("%s %s: %s", name, id, code)
	}
	return events
}

// settle applies what time alone causes at sec, as the grain's timer does.
func (b *alertBox) settle(sec float64) []Event {
	b.t.Helper()
	next, events, changed, err := b.def.Settle(b.cfg, b.state, at(sec))
	if err != nil {
		b.t.Fatal(err)
	}
	if changed {
		b.state = next
		b.events = append(b.events, events...)
	}
	return events
}

func (b *alertBox) s() AlertsState {
	b.t.Helper()
	var s AlertsState
	if err := json.Unmarshal(b.state, &s); err != nil {
		b.t.Fatal(err)
	}
	return s
}

func (b *alertBox) enqueue(sec float64, id, typ, name string, extra ...string) []Event {
	b.t.Helper()
	fields := append([]string{fmt.Sprintf(`"id":%q,"type":%q,"name":%q`, id, typ, name)}, extra...)
	return b.must(sec, "enqueue", "{"+strings.Join(fields, ",")+"}")
}

// onScreen lists "lane:id" of the alerts showing.
func (b *alertBox) onScreen() string {
	var out []string
	for _, sh := range b.s().Showing {
		out = append(out, sh.Lane+":"+sh.ID)
	}
	return strings.Join(out, ",")
}

func (b *alertBox) queueIDs() string {
	var out []string
	for _, a := range b.s().Queue {
		out = append(out, a.ID)
	}
	return strings.Join(out, ",")
}

// started lists the ids of every alert_started so far.
func (b *alertBox) started() string {
	var out []string
	for _, e := range b.events {
		if e.Name == "alert_started" {
			out = append(out, e.Data.(ShownAlert).ID)
		}
	}
	return strings.Join(out, ",")
}

func (b *alertBox) current() ShownAlert {
	b.t.Helper()
	s := b.s()
	if len(s.Showing) == 0 {
		b.t.Fatalf("nothing showing: %+v", s)
	}
	return s.Showing[0]
}

func eventNames(evs []Event) string {
	var out []string
	for _, e := range evs {
		switch d := e.Data.(type) {
		case ShownAlert:
			out = append(out, e.Name+":"+d.ID)
		case map[string]any:
			out = append(out, fmt.Sprintf("%s:%v:%v", e.Name, d["id"], d["reason"]))
		default:
			out = append(out, e.Name)
		}
	}
	return strings.Join(out, " ")
}

const fastAlerts = `{"duration":2,"gap":0.5,"max_hold":10}`

func TestAlertsQueueRunsOneAtATimeWithAcknowledgements(t *testing.T) {
	b := newAlertBox(t, fastAlerts)
	if ev := eventNames(b.enqueue(0, "a", "follow", "Ann")); ev != "alert_started:a" {
		t.Fatalf("an alert on an idle box starts at once: events %q", ev)
	}
	b.enqueue(0.1, "b", "cheer", "Bob", `"amount":100`)
	s := b.s()
	if s.Status != AlertsShowing || s.Queued != 1 || b.onScreen() != "queue:a" || s.Showing[0].DurationMs != 2000 {
		t.Fatalf("state %+v", s)
	}
	// The view shows it; a second view's "shown" does not move the clock.
	b.ack(0.3, "shown", "a", 1)
	b.ack(0.6, "shown", "a", 1)
	if got := b.current().ShownAt; got == nil || !got.Equal(at(0.3)) {
		t.Fatalf("shown_at %v, want the first view's %v", got, at(0.3))
	}
	if ev := eventNames(b.ack(2.3, "ended", "a", 1)); ev != "alert_ended:a:ended" {
		t.Fatalf("ended: events %q", ev)
	}
	if s := b.s(); s.Status != AlertsIdle || !s.NextAt.Equal(at(2.8)) || s.Queued != 1 {
		t.Fatalf("after the end: %+v (the gap runs to 2.8 s)", s)
	}
	if tm := b.def.Timer(b.cfg, b.state, at(2.3)); !tm.At.Equal(at(2.8)) || tm.Tick {
		t.Fatalf("timer %+v, want a wake at the end of the gap", tm)
	}
	if ev := b.settle(2.79); len(ev) != 0 {
		t.Fatalf("the next alert started inside the gap: %q", eventNames(ev))
	}
	if ev := eventNames(b.settle(2.8)); ev != "alert_started:b" {
		t.Fatalf("after the gap: %q", ev)
	}
	if b.current().Seq != 2 || !b.current().StartedAt.Equal(at(2.8)) {
		t.Fatalf("b started %+v", b.current())
	}
	log := b.s().Log
	if len(log) != 1 || log[0].ID != "a" || log[0].Outcome != outcomeEnded || log[0].Source != "owner" {
		t.Fatalf("log %+v", log)
	}
}

func TestAlertsTransitions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		run    func(t *testing.T, b *alertBox)
	}{
		{"a duplicate id is ignored while waiting, on screen and after it played", fastAlerts, func(t *testing.T, b *alertBox) {
			b.enqueue(0, "a", "follow", "Ann")
			b.enqueue(0, "b", "follow", "Bob")
			before := string(b.state)
			for _, id := range []string{"a", "b"} {
				if ev := b.enqueue(0.5, id, "follow", "Again"); len(ev) != 0 || string(b.state) != before {
					t.Fatalf("redelivery of %s changed the box: %q", id, eventNames(ev))
				}
			}
			b.ack(1, "ended", "a", 1)
			b.enqueue(1.2, "a", "follow", "Ann")
			if b.s().Queued != 1 || b.s().Seq != 2 {
				t.Fatalf("a played alert came back: %+v", b.s())
			}
		}},
		{"an acknowledgement of another alert is ignored", fastAlerts, func(t *testing.T, b *alertBox) {
			b.enqueue(0, "a", "follow", "Ann")
			b.enqueue(0, "b", "follow", "Bob")
			before := string(b.state)
			b.ack(0.5, "ended", "b", 2)   // queued, not on screen
			b.ack(0.5, "ended", "a", 9)   // a stale play of a
			b.ack(0.5, "shown", "zzz", 0) // unknown
			if string(b.state) != before {
				t.Fatalf("a stale acknowledgement changed the box: %s", b.state)
			}
			b.ack(0.6, "ended", "a", 0) // no seq: the id alone
			b.ack(0.7, "ended", "a", 1) // late duplicate after it ended
			if !b.s().Log[0].EndedAt.Equal(at(0.6)) || len(b.s().Log) != 1 {
				t.Fatalf("log %+v", b.s().Log)
			}
		}},
		{"the fallback ends an alert no view showed, after max_hold", fastAlerts, func(t *testing.T, b *alertBox) {
			b.enqueue(0, "a", "follow", "Ann")
			b.enqueue(0, "b", "follow", "Bob")
			if tm := b.def.Timer(b.cfg, b.state, at(0)); !tm.At.Equal(at(10)) {
				t.Fatalf("timer %v, want max_hold (10 s)", tm.At)
			}
			if ev := b.settle(9.9); len(ev) != 0 {
				t.Fatal("ended before max_hold")
			}
			if ev := eventNames(b.settle(10)); ev != "alert_ended:a:unseen" {
				t.Fatalf("events %q", ev)
			}
			if ev := eventNames(b.settle(10.5)); ev != "alert_started:b" {
				t.Fatalf("the queue stalled: %q", ev)
			}
		}},
		{"the fallback ends a shown alert the view never ended, after its duration and a grace", fastAlerts, func(t *testing.T, b *alertBox) {
			b.enqueue(0, "a", "follow", "Ann")
			b.ack(1, "shown", "a", 1)
			want := at(1).Add(2*time.Second + alertGrace)
			if tm := b.def.Timer(b.cfg, b.state, at(1)); !tm.At.Equal(want) {
				t.Fatalf("timer %v, want %v", tm.At, want)
			}
			b.settle(5.9)
			if ev := eventNames(b.settle(6)); ev != "alert_ended:a:timed_out" {
				t.Fatalf("events %q", ev)
			}
			if s := b.s(); s.Status != AlertsIdle || s.Log[0].Outcome != outcomeTimedOut {
				t.Fatalf("%+v", s)
			}
		}},
		{"pause lets the alert on screen finish and holds the queue until resume", fastAlerts, func(t *testing.T, b *alertBox) {
			b.enqueue(0, "a", "follow", "Ann")
			b.enqueue(0, "b", "follow", "Bob")
			b.must(0.5, "pause", "")
			if s := b.s(); s.Status != AlertsShowing || !s.Paused {
				t.Fatalf("pause while showing: %+v", s)
			}
			b.ack(1, "ended", "a", 1)
			b.settle(60)
			if s := b.s(); s.Status != AlertsPaused || s.Queued != 1 || len(s.Showing) != 0 {
				t.Fatalf("paused box: %+v", s)
			}
			if tm := b.def.Timer(b.cfg, b.state, at(60)); !tm.At.IsZero() {
				t.Fatalf("a paused, empty screen needs no timer: %v", tm.At)
			}
			b.must(61, "pause", "") // idempotent
			if ev := eventNames(b.must(62, "resume", "")); ev != "alert_started:b" {
				t.Fatalf("resume: %q", ev)
			}
		}},
		{"a bypass type shows at once beside the queue's alert", `{"duration":2,"gap":0.5,"bypass_types":["raid"]}`, func(t *testing.T, b *alertBox) {
			b.enqueue(0, "a", "follow", "Ann")
			b.enqueue(0, "b", "follow", "Bob")
			if ev := eventNames(b.enqueue(0.2, "r", "raid", "Rae", `"amount":50`)); ev != "alert_started:r" {
				t.Fatalf("bypass: %q", ev)
			}
			if got := b.onScreen(); got != "queue:a,bypass:r" {
				t.Fatalf("on screen %q", got)
			}
			b.ack(0.5, "ended", "r", 3)
			if s := b.s(); !s.NextAt.IsZero() || b.onScreen() != "queue:a" {
				t.Fatalf("a bypass alert's end must not start the gap: %+v", s)
			}
			// At most three at once; more wait at the front of the queue.
			for i := range 4 {
				b.enqueue(1, fmt.Sprintf("r%d", i), "raid", "Rae")
			}
			if got := b.queueIDs(); got != "r3,b" {
				t.Fatalf("queue %q, want the fourth raid first", got)
			}
		}},
		{"a bypass type waits while paused, first in line", `{"duration":2,"gap":0.5,"bypass_types":["raid"]}`, func(t *testing.T, b *alertBox) {
			b.must(0, "pause", "")
			b.enqueue(0, "a", "follow", "Ann")
			b.enqueue(0.1, "r", "raid", "Rae")
			if b.onScreen() != "" || b.queueIDs() != "r,a" {
				t.Fatalf("paused: on screen %q, queue %q", b.onScreen(), b.queueIDs())
			}
			b.must(1, "resume", "")
			if b.onScreen() != "queue:r" {
				t.Fatalf("after resume: %q", b.onScreen())
			}
		}},
		{"higher priority first, equal priority in arrival order", `{"duration":2,"gap":0,"priorities":[{"type":"raid","priority":10},{"type":"cheer","priority":5}]}`, func(t *testing.T, b *alertBox) {
			b.must(0, "pause", "")
			b.enqueue(0, "f1", "follow", "A")
			b.enqueue(0, "c1", "cheer", "B", `"amount":1`)
			b.enqueue(0, "r1", "raid", "C")
			b.enqueue(0, "f2", "follow", "D")
			b.enqueue(0, "c2", "cheer", "E", `"amount":1`)
			b.enqueue(0, "x", "follow", "F", `"priority":7`) // the payload's priority wins over the type's
			if got := b.queueIDs(); got != "r1,x,c1,c2,f1,f2" {
				t.Fatalf("queue order %q", got)
			}
			b.must(1, "resume", "")
			for i, id := range []string{"r1", "x", "c1", "c2", "f1", "f2"} {
				b.ack(2+float64(i), "ended", id, 0)
			}
			if got := b.started(); got != "r1,x,c1,c2,f1,f2" {
				t.Fatalf("shown in order %q", got)
			}
		}},
		{"the log keeps the last 100 alerts", `{"duration":0.1,"gap":0}`, func(t *testing.T, b *alertBox) {
			for i := range 130 {
				id := fmt.Sprintf("e%d", i)
				b.enqueue(float64(i), id, "follow", "F")
				b.ack(float64(i)+0.5, "ended", id, 0)
			}
			log := b.s().Log
			if len(log) != maxLoggedAlerts || log[0].ID != "e30" || log[99].ID != "e129" {
				t.Fatalf("log: %d entries, %s..%s", len(log), log[0].ID, log[len(log)-1].ID)
			}
			// The dedupe window is the log: e29 fell out of it and counts as new.
			b.enqueue(200, "e29", "follow", "F")
			b.enqueue(200, "e30", "follow", "F")
			if b.s().Seq != 131 {
				t.Fatalf("seq %d: e29 should be new, e30 a redelivery", b.s().Seq)
			}
		}},
		{"replay queues a logged alert ahead of the queue as a new play", fastAlerts, func(t *testing.T, b *alertBox) {
			b.enqueue(0, "a", "cheer", "Ann", `"amount":500`, `"message":"gg"`)
			b.ack(1, "ended", "a", 1)
			b.must(1.1, "pause", "")
			b.enqueue(1.2, "b", "follow", "Bob")
			b.must(1.3, "replay", `{"id":"a"}`)
			if got := b.queueIDs(); got != "a,b" {
				t.Fatalf("queue %q: a replay goes first", got)
			}
			q := b.s().Queue[0]
			if !q.Replay || q.Seq != 3 || q.Amount != 500 || q.Message != "gg" {
				t.Fatalf("replayed alert %+v", q)
			}
			if _, code := b.act(1.4, RoleOwner, "replay", `{"id":"a"}`); code != CodeRejected {
				t.Fatalf("replaying a waiting alert: %q", code)
			}
			if _, code := b.act(1.4, RoleOwner, "replay", `{"id":"nope"}`); code != CodeRejected {
				t.Fatalf("replaying an unknown alert: %q", code)
			}
			b.must(2, "resume", "")
			b.ack(2.5, "shown", "a", 3)
			b.ack(3, "ended", "a", 3)
			if log := b.s().Log; len(log) != 2 || log[1].Seq != 3 || !log[1].Replay {
				t.Fatalf("log %+v", log)
			}
		}},
		{"skip ends what is on screen and the gap follows", `{"duration":5,"gap":1,"bypass_types":["raid"]}`, func(t *testing.T, b *alertBox) {
			if _, code := b.act(0, RoleOwner, "skip", ""); code != CodeRejected {
				t.Fatalf("skip with nothing showing: %q", code)
			}
			b.enqueue(0, "a", "follow", "Ann")
			b.enqueue(0, "r", "raid", "Rae")
			b.enqueue(0, "b", "follow", "Bob")
			if ev := eventNames(b.must(1, "skip", "")); ev != "alert_ended:a:skipped alert_ended:r:skipped" {
				t.Fatalf("skip: %q", ev)
			}
			if ev := eventNames(b.settle(2)); ev != "alert_started:b" {
				t.Fatalf("after the gap: %q", ev)
			}
		}},
		{"clear empties the queue and the screen, keeping them in the log", fastAlerts, func(t *testing.T, b *alertBox) {
			b.enqueue(0, "a", "follow", "Ann")
			b.enqueue(0, "b", "follow", "Bob")
			b.enqueue(0, "c", "follow", "Cy")
			if ev := eventNames(b.must(1, "clear", "")); ev != "alert_ended:a:cleared" {
				t.Fatalf("clear: %q", ev)
			}
			s := b.s()
			if s.Status != AlertsIdle || s.Queued != 0 || len(s.Log) != 3 || s.Log[2].Outcome != outcomeCleared {
				t.Fatalf("%+v", s)
			}
			b.must(2, "replay", `{"id":"c"}`) // a cleared alert can still be replayed
			if b.onScreen() != "queue:c" {
				t.Fatalf("replayed %q", b.onScreen())
			}
		}},
		{"a test alert travels the real path, flagged", `{"duration":2,"bypass_types":["cheer"],"rules":[{"type":"cheer","min_amount":100,"template":"{name} cheered {amount}!"}]}`, func(t *testing.T, b *alertBox) {
			b.enqueue(0, "a", "follow", "Ann")
			b.must(0.1, "test", `{"type":"cheer"}`)
			sh := b.s().Showing[1]
			if !sh.Test || sh.Lane != laneBypass || sh.Text != "TestViewer cheered 500!" || sh.ID != "test-2" || sh.Variation != 1 {
				t.Fatalf("test alert %+v", sh)
			}
			if _, code := b.act(0.2, RoleOwner, "test", `{"type":"hug"}`); code != CodeInvalidPayload {
				t.Fatalf("test of an unknown type: %q", code)
			}
		}},
		{"integrations must name their alerts; the owner gets an id", fastAlerts, func(t *testing.T, b *alertBox) {
			if _, code := b.act(0, RoleService, "enqueue", `{"type":"follow","name":"Ann"}`); code != CodeInvalidPayload {
				t.Fatalf("service without id: %q", code)
			}
			if _, code := b.act(0, RoleService, "enqueue", `{"id":"tw-1","type":"sub","name":"Ann","tier":"2000"}`); code != "" {
				t.Fatal(code)
			}
			b.must(0.1, "enqueue", `{"type":"follow","name":"Bob"}`)
			s := b.s()
			if sh := s.Showing[0]; sh.Source != "twitch" || sh.Tier != 2 {
				t.Fatalf("service alert %+v", sh)
			}
			if q := s.Queue[0]; q.ID != "manual-2" || q.Source != "owner" {
				t.Fatalf("owner alert %+v", q)
			}
		}},
		{"after a long outage the queue resumes one alert at a time", fastAlerts, func(t *testing.T, b *alertBox) {
			for i := range 5 {
				b.enqueue(0, fmt.Sprintf("o%d", i), "follow", "F")
			}
			b.ack(0.5, "shown", "o0", 1)
			// The grain was down an hour: one settle ends o0 and starts only o1, now.
			if ev := eventNames(b.settle(3600)); ev != "alert_ended:o0:timed_out alert_started:o1" {
				t.Fatalf("events %q", ev)
			}
			if sh := b.current(); !sh.StartedAt.Equal(at(3600)) || b.s().Queued != 3 {
				t.Fatalf("%+v", b.s())
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newAlertBox(t, tc.config)) })
	}
}

func TestAlertsViewLeavesOutQueueAndLog(t *testing.T) {
	b := newAlertBox(t, fastAlerts)
	for i := range 20 {
		b.enqueue(0, fmt.Sprintf("v%d", i), "tip", "T", `"message":"`+strings.Repeat("x", 400)+`"`, `"amount":5`)
	}
	b.ack(0.5, "ended", "v0", 1)
	view, err := b.def.View(b.cfg, b.state, at(0.6))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(view, &v); err != nil {
		t.Fatal(err)
	}
	if v["queue"] != nil || v["log"] != nil || v["queued"] != float64(19) || v["status"] != AlertsIdle {
		t.Fatalf("view %s", view)
	}
	if len(view) > 1024 || len(b.state) < 8000 {
		t.Fatalf("view %d bytes of a %d-byte state", len(view), len(b.state))
	}
}

func TestAlertsPayloadsRefused(t *testing.T) {
	b := newAlertBox(t, fastAlerts)
	for _, tc := range []struct{ name, action, payload string }{
		{"unknown type", "enqueue", `{"id":"1","type":"hug","name":"A"}`},
		{"no name", "enqueue", `{"id":"1","type":"follow","name":"  "}`},
		{"long name", "enqueue", `{"id":"1","type":"follow","name":"` + strings.Repeat("n", 101) + `"}`},
		{"long message", "enqueue", `{"id":"1","type":"tip","name":"A","message":"` + strings.Repeat("m", 501) + `"}`},
		{"long id", "enqueue", `{"id":"` + strings.Repeat("i", 129) + `","type":"follow","name":"A"}`},
		{"negative amount", "enqueue", `{"id":"1","type":"tip","name":"A","amount":-5}`},
		{"bad tier", "enqueue", `{"id":"1","type":"sub","name":"A","tier":"4000"}`},
		{"tier out of range", "enqueue", `{"id":"1","type":"sub","name":"A","tier":7}`},
		{"months out of range", "enqueue", `{"id":"1","type":"resub","name":"A","months":-1}`},
		{"priority out of range", "enqueue", `{"id":"1","type":"follow","name":"A","priority":101}`},
		{"unknown field", "enqueue", `{"id":"1","type":"follow","name":"A","html":"<b>"}`},
		{"control characters", "enqueue", `{"id":"1","type":"follow","name":"A\u001b[2J"}`},
		{"ack without id", "shown", `{}`},
		{"ack with a string seq", "ended", `{"id":"a","seq":"1"}`},
		{"pause with a payload", "pause", `{"now":true}`},
		{"replay without id", "replay", `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := string(b.state)
			if _, code := b.act(0, RoleOwner, tc.action, tc.payload); code != CodeInvalidPayload {
				t.Fatalf("code %q, want invalid_payload", code)
			}
			if string(b.state) != before {
				t.Fatal("a refused action changed the state")
			}
		})
	}
	if _, code := b.act(0, RoleOwner, "explode", ""); code != CodeUnknownAction {
		t.Fatalf("unknown action: %q", code)
	}
}

// TestAlertsQueueBounds fills the queue through the typed kind (the erased
// one re-encodes the whole state per alert, as the grain does: slow for 1000).
func TestAlertsQueueBounds(t *testing.T) {
	k := Alerts{}
	cfg := k.Defaults()
	fill := func(t *testing.T, name, message string) (AlertsState, int) {
		s, _, err := k.Apply(cfg, k.Initial(cfg, t0), Action{Name: "pause"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; ; n++ {
			p := fmt.Sprintf(`{"id":"%d","type":"tip","name":%q,"message":%q,"amount":5.5,"tier":3,"priority":7}`, n, name, message)
			next, _, err := k.Apply(cfg, s, Action{Name: "enqueue", Payload: json.RawMessage(p), By: By{Role: RoleOwner}}, t0)
			if err != nil {
				if codeOf(err) != CodeRejected {
					t.Fatalf("alert %d: %v", n, err)
				}
				return s, n
			}
			s = next
		}
	}
	t.Run("a thousand alerts, then a clear refusal", func(t *testing.T) {
		s, n := fill(t, "F", "")
		raw := mustJSON(t, s)
		if n != maxQueuedAlerts || len(raw) > maxQueueBytes+4096 {
			t.Fatalf("%d alerts queued in %d bytes", n, len(raw))
		}
	})
	t.Run("long messages of escaped characters stay under the budget", func(t *testing.T) {
		s, n := fill(t, strings.Repeat("&ñ", maxAlertNameLen/2), strings.Repeat("<ü", maxAlertMessageLen/2))
		raw := mustJSON(t, s)
		if n < 40 || len(raw) > maxQueueBytes+4096 {
			t.Fatalf("%d long alerts queued in %d bytes (budget %d)", n, len(raw), maxQueueBytes)
		}
		// The log has its own budget: clear them all into it.
		s, _, err := k.Apply(cfg, s, Action{Name: "clear"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		s.Queue = nil
		if raw := mustJSON(t, s); len(raw) > maxLogBytes+4096 || len(s.Log) < 20 {
			t.Fatalf("log of %d alerts in %d bytes (budget %d)", len(s.Log), len(raw), maxLogBytes)
		}
	})
}
