package widgetsink_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/widgetsink"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
)

type call struct{ owner, id, action string }

func setup(t *testing.T) (persistence.Store, func(id string, err error), func() []call, *widgetsink.Sink) {
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var mu sync.Mutex
	var calls []call
	fail := map[string]error{}
	sink := widgetsink.NewWithAct(func(_ context.Context, owner, id, action string, _ json.RawMessage) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{owner, id, action})
		return fail[id]
	}, st, "twitch", nil)
	sink.CacheFor = 0
	return st, func(id string, err error) { mu.Lock(); fail[id] = err; mu.Unlock() },
		func() []call { mu.Lock(); defer mu.Unlock(); return append([]call(nil), calls...) }, sink
}

func put(t *testing.T, st persistence.Store, id, owner, typ string, active bool, config string) {
	t.Helper()
	now := time.Now()
	if _, err := st.Put(context.Background(), persistence.Record{ID: id, UserID: owner, Type: typ, Title: id, Active: active,
		Config: json.RawMessage(config), State: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now}, 0); err != nil {
		t.Fatal(err)
	}
}

// TestDeliversToTheOwnersActiveWidgetsOfTheType: never another user's
// widget, never an inactive one, and config-matched actions only where the
// config says so.
func TestDeliversToTheOwnersActiveWidgetsOfTheType(t *testing.T) {
	st, _, calls, sink := setup(t)
	put(t, st, "a1", "alice", "alerts", true, `{}`)
	put(t, st, "a2", "alice", "alerts", false, `{}`)
	put(t, st, "b1", "bob", "alerts", true, `{}`)
	put(t, st, "g1", "alice", "goal", true, `{"source":"twitch_follows"}`)
	put(t, st, "g2", "alice", "goal", true, `{}`)

	if err := sink.Deliver(context.Background(), "alice", integrations.NewAction("alerts", "enqueue", map[string]any{"id": "m1"})); err != nil {
		t.Fatal(err)
	}
	goal := integrations.NewAction("goal", "increment", map[string]any{"by": 1})
	goal.ConfigMatch = map[string]string{"source": "twitch_follows"}
	if err := sink.Deliver(context.Background(), "alice", goal); err != nil {
		t.Fatal(err)
	}
	want := []call{{"alice", "a1", "enqueue"}, {"alice", "g1", "increment"}}
	if got := calls(); !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	ids, _ := sink.Widgets(context.Background(), "alice", "alerts")
	if !slices.Equal(ids, []string{"a1"}) {
		t.Fatalf("widgets %v", ids)
	}
}

func TestOnlyRetryableRefusalsFailTheDelivery(t *testing.T) {
	st, fail, _, sink := setup(t)
	put(t, st, "a1", "alice", "alerts", true, `{}`)
	put(t, st, "a2", "alice", "alerts", true, `{}`)
	fail("a1", &actors.Error{Code: actors.CodeInactive, Message: "switched off meanwhile"})
	if err := sink.Deliver(context.Background(), "alice", integrations.NewAction("alerts", "enqueue", map[string]any{})); err != nil {
		t.Fatalf("a permanent refusal failed the delivery: %v", err)
	}
	fail("a2", &actors.Error{Code: actors.CodeUnavailable, Message: "member leaving"})
	err := sink.Deliver(context.Background(), "alice", integrations.NewAction("alerts", "enqueue", map[string]any{}))
	if !errors.Is(err, &actors.Error{Code: actors.CodeUnavailable}) {
		t.Fatalf("a retryable refusal: %v", err)
	}
}
