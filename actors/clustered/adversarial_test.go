package clustered_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// Inputs a hostile (or careless) widget owner controls, against the grain.

// countingKind counts how often the grain asks a real kind to settle and
// to compute its view.
type countingKind struct {
	kinds.Definition
	settles *atomic.Int64
	views   *atomic.Int64
}

func (k countingKind) View(config, state json.RawMessage, now time.Time) (json.RawMessage, error) {
	if k.views != nil {
		k.views.Add(1)
	}
	return k.Definition.View(config, state, now)
}

func (k countingKind) Settle(config, state json.RawMessage, now time.Time) (json.RawMessage, []kinds.Event, bool, error) {
	k.settles.Add(1)
	return k.Definition.Settle(config, state, now)
}

func kindNode(t *testing.T, typ string) (*node, *atomic.Int64) {
	t.Helper()
	def, ok := kinds.Default().Lookup(typ)
	if !ok {
		t.Fatalf("no kind %q", typ)
	}
	settles := new(atomic.Int64)
	reg, err := kinds.NewRegistry(countingKind{Definition: def, settles: settles})
	if err != nil {
		t.Fatal(err)
	}
	return startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute, func(d *actors.Deps) { d.Kinds = reg }), settles
}

// A schedule entry (or a mirrored poll's ends_at) thousands of years ahead
// is a time the kind asks to be woken at. Its delay does not fit a
// time.Duration: it must not wrap around into "now" and wake the grain in a
// loop, burning a core for as long as the widget exists.
func TestAWakeFarInTheFutureDoesNotSpin(t *testing.T) {
	t.Parallel()
	n, settles := kindNode(t, "schedule")
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "sched", actors.CreateInput{Type: "schedule", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.Act(ctx, alice, "sched", "add", json.RawMessage(`{"title":"Far away","start":"9000-01-01T00:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	before := settles.Load()
	time.Sleep(500 * time.Millisecond)
	if woke := settles.Load() - before; woke > 2 {
		t.Fatalf("the grain settled %d times in 0.5 s for a stream in the year 9000: its wake wrapped around and spins", woke)
	}
}

// balloon is a test kind whose timer grows its state past what a store item
// holds: the write nobody asked for is refused by the store.
type balloonState struct {
	Air    string    `json:"air,omitempty"`
	PopsAt time.Time `json:"pops_at,omitzero"`
}

type balloon struct {
	kinds.Plain[struct{}, balloonState]
}

func (balloon) Info() kinds.Info {
	return kinds.Info{Type: "balloon", Name: "Balloon", ConfigSchema: map[string]any{"type": "object", "properties": map[string]any{}},
		Actions: []kinds.ActionSpec{{Name: "inflate", Label: "Inflate"}, {Name: "deflate", Label: "Deflate"}}}
}
func (balloon) Defaults() struct{}                       { return struct{}{} }
func (balloon) Validate(struct{}) error                  { return nil }
func (balloon) Initial(struct{}, time.Time) balloonState { return balloonState{} }
func (balloon) Timer(_ struct{}, s balloonState, _ time.Time) kinds.Timer {
	return kinds.Timer{At: s.PopsAt}
}

func (balloon) Apply(_ struct{}, s balloonState, a kinds.Action, now time.Time) (balloonState, []kinds.Event, error) {
	switch a.Name {
	case "inflate":
		s.PopsAt = now.Add(200 * time.Millisecond)
	case "deflate":
		s = balloonState{}
	}
	return s, nil, nil
}

func (balloon) Settle(_ struct{}, s balloonState, now time.Time) (balloonState, []kinds.Event, bool) {
	if s.PopsAt.IsZero() || now.Before(s.PopsAt) {
		return s, nil, false
	}
	return balloonState{Air: strings.Repeat("x", 500<<10)}, nil, true
}

// itemLimited refuses records over DynamoDB's item size, as its store does.
type itemLimited struct {
	persistence.Store
	refused atomic.Int64
}

func (s *itemLimited) Put(ctx context.Context, rec persistence.Record, expected int64) (persistence.Record, error) {
	if len(rec.Config)+len(rec.State) > 400<<10 {
		s.refused.Add(1)
		return persistence.Record{}, persistence.ErrTooLarge
	}
	return s.Store.Put(ctx, rec, expected)
}

// When the store refuses a write a timer caused (the state outgrew an
// item), the widget must stay the owner's: readable, reconfigurable and
// deletable, and the grain must not retry the same refused write forever.
func TestATimedWriteTheStoreRefusesLeavesTheWidgetManageable(t *testing.T) {
	// Sequential (no t.Parallel): it counts writes in wall-clock windows.
	reg, err := kinds.NewRegistry(kinds.Erase[struct{}, balloonState](balloon{}))
	if err != nil {
		t.Fatal(err)
	}
	var store *itemLimited
	clock := actortest.NewClock(start)
	n := startNode(t, t.TempDir(), clock, time.Minute, func(d *actors.Deps) {
		d.Kinds = reg
		store = &itemLimited{Store: d.Store}
		d.Store = store
	})
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "b", actors.CreateInput{Type: "balloon", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.Act(ctx, alice, "b", "inflate", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	waitFor(t, 2*time.Second, func() bool { return store.refused.Load() > 0 }, "the timed write to be refused")
	if _, err := n.w.Get(ctx, alice, "b"); err != nil {
		t.Errorf("get after a refused timed write: %v", err)
	}
	if _, err := n.w.Update(ctx, alice, "b", actors.UpdateInput{Title: ptr("renamed")}); err != nil {
		t.Errorf("rename after a refused timed write: %v", err)
	}
	// The rename's save re-arms the wake once, so one more refusal may come
	// (on a loaded machine after the window starts); a grain retrying on its
	// own would refuse again and again.
	before := store.refused.Load()
	time.Sleep(1500 * time.Millisecond)
	if again := store.refused.Load() - before; again > 1 {
		t.Errorf("the grain retried the refused write %d times on its own", again)
	}
	if _, err := n.w.Delete(ctx, alice, "b"); err != nil {
		t.Fatalf("the owner cannot delete a widget whose timed write was refused: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// Every action name gets its own per-widget budget. Names the kind does not
// have must share one: otherwise a script inventing a new name per request
// is never limited (each still decodes the whole state to be refused), and
// the grain keeps a bucket per invented name for as long as it lives.
func TestUnknownActionNamesShareOneBudget(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute, func(d *actors.Deps) {
		d.ActionsPerSecond, d.ActionBurst = 1, 5
	})
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "g", actors.CreateInput{Type: "goal", Active: true}); err != nil {
		t.Fatal(err)
	}
	limited := 0
	for i := 0; i < 50; i++ {
		_, err := n.w.Act(ctx, alice, "g", fmt.Sprintf("made-up-%d", i), nil)
		switch code(err) {
		case actors.CodeRateLimited:
			limited++
		case kinds.CodeUnknownAction:
		default:
			t.Fatalf("unknown action %d: %v", i, err)
		}
	}
	if limited < 40 {
		t.Fatalf("%d of 50 invented action names were limited (burst 5): each name got a budget of its own", limited)
	}
	if _, err := n.w.Act(ctx, alice, "g", "increment", json.RawMessage(`{"by":1}`)); err != nil {
		t.Fatalf("the kind's own actions must keep their budget: %v", err)
	}
}

// A widget deleted while its kind waits for a time (an alert on screen)
// leaves nothing behind: no wake runs, no grain comes back, nothing is written.
func TestADeletedWidgetsTimerDoesNotFire(t *testing.T) {
	t.Parallel()
	n, settles := kindNode(t, "alerts")
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "a", actors.CreateInput{Type: "alerts", Active: true, Config: json.RawMessage(`{"max_hold":1}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.Act(ctx, alice, "a", "test", json.RawMessage(`{"type":"follow"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.Delete(ctx, alice, "a"); err != nil {
		t.Fatal(err)
	}
	kind := n.m.Cluster.GetClusterKind("Widget")
	waitFor(t, 2*time.Second, func() bool { return kind.Count() == 0 }, "the deleted widget's grain to stop")
	before := settles.Load()
	n.clock.Advance(2 * time.Second)
	time.Sleep(1500 * time.Millisecond)
	if woke, active := settles.Load()-before, kind.Count(); woke != 0 || active != 0 {
		t.Fatalf("after the delete: %d settles, %d grains active", woke, active)
	}
	if _, err := n.store.Get(ctx, "a"); err == nil {
		t.Fatal("the deleted widget is back in the store")
	}
}

// Settling decodes the whole config and state (1.5 ms for a full alert box
// of 250 KB). A grain that waits for no time yet must not pay it on every
// call: an OBS link's holder (or a console) sending refused or rate-limited
// actions and reads, 2,000 a second from one address, would otherwise keep
// a core busy and every real action of that widget waiting behind them.
func TestCallsSettleOnlyWhenAWakeIsDue(t *testing.T) {
	t.Parallel()
	n, settles := kindNode(t, "alerts")
	alice := actors.UserCaller("alice")
	rec, err := n.w.Create(ctx, alice, "a", actors.CreateInput{Type: "alerts", Active: true, Config: json.RawMessage(`{"max_hold":600}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.Act(ctx, alice, "a", "test", json.RawMessage(`{"type":"follow"}`)); err != nil {
		t.Fatal(err) // on screen, waiting up to 600 s for OBS
	}
	obs := actors.TokenCaller(rec.AccessToken)
	before := settles.Load()
	for i := 0; i < 100; i++ {
		_, _ = n.w.Act(ctx, obs, "a", "skip", nil)                                       // forbidden
		_, _ = n.w.Act(ctx, obs, "a", "shown", json.RawMessage(`{"id":"not-this-one"}`)) // changes nothing, then limited
		if _, err := n.w.Get(ctx, alice, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if got := settles.Load() - before; got > 0 {
		t.Fatalf("300 calls while nothing was due settled %d times", got)
	}
	// When the wake is due, a call settles it at once.
	n.clock.Advance(601 * time.Second)
	got, err := n.w.Get(ctx, alice, "a")
	if err != nil {
		t.Fatal(err)
	}
	var s kinds.AlertsState
	if err := json.Unmarshal(got.State, &s); err != nil || len(s.Showing) != 0 || len(s.Log) != 1 || s.Log[0].Outcome != "unseen" {
		t.Fatalf("after max_hold the alert is not ended unseen: %s", got.State)
	}
}

// A subscribe answers with the kind's view of the state, which decodes the
// whole state. An OBS link's holder re-subscribing in a loop (100 sockets
// from one address, 20 messages a second each) must not make the grain
// decode it every time: the view of a state that does not tick is the same
// until the state changes.
func TestSubscribesReuseTheViewUntilTheStateChanges(t *testing.T) {
	def, _ := kinds.Default().Lookup("alerts")
	settles, views := new(atomic.Int64), new(atomic.Int64)
	reg, err := kinds.NewRegistry(countingKind{Definition: def, settles: settles, views: views})
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute, func(d *actors.Deps) { d.Kinds = reg })
	alice := actors.UserCaller("alice")
	rec, err := n.w.Create(ctx, alice, "a", actors.CreateInput{Type: "alerts", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	obs := actors.TokenCaller(rec.AccessToken)
	p := newProbe(n)
	before := views.Load()
	for i := 0; i < 100; i++ {
		got, _, err := n.w.Subscribe(ctx, obs, "a", p.pid)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && got.Version != rec.Version {
			t.Fatalf("subscribe answered version %d, want %d", got.Version, rec.Version)
		}
	}
	if got := views.Load() - before; got > 1 {
		t.Fatalf("100 subscribes to an unchanged widget computed its view %d times", got)
	}
	// A change makes a new view: the next subscribe shows the alert.
	if _, err := n.w.Act(ctx, alice, "a", "test", json.RawMessage(`{"type":"raid"}`)); err != nil {
		t.Fatal(err)
	}
	got, _, err := n.w.Subscribe(ctx, obs, "a", p.pid)
	if err != nil {
		t.Fatal(err)
	}
	var s kinds.AlertsState
	if err := json.Unmarshal(got.State, &s); err != nil || len(s.Showing) != 1 {
		t.Fatalf("the subscribe after a change answered a stale view: %s", got.State)
	}
}
