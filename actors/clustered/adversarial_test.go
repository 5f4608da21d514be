package clustered_test

import (
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
	"github.com/streamwidgets/streamwidgets/actors/kinds"
)

// Inputs a hostile (or careless) widget owner controls, against the grain.

// countingKind counts how often the grain asks a real kind to settle.
type countingKind struct {
	kinds.Definition
	settles *atomic.Int64
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
