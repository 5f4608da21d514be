package clustered_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/cluster/clustertest"
	"github.com/streamwidgets/streamwidgets/cluster/member"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
)

var start = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)

type node struct {
	m     *clustertest.Node
	w     *actors.Client
	store persistence.Store
	clock *actortest.Clock
}

func startNode(t *testing.T, dir string, clock *actortest.Clock, idle time.Duration, mutate ...func(*actors.Deps)) *node {
	t.Helper()
	store, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	deps := actors.Deps{Store: store, Clock: clock.Now, IdleTimeout: idle, TickInterval: 50 * time.Millisecond}
	for _, m := range mutate {
		m(&deps)
	}
	m, err := clustertest.StartMember(member.Config{}, deps, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	n := &node{m: m, w: m.Widgets, store: store, clock: clock}
	t.Cleanup(n.stop)
	return n
}

func (n *node) stop() {
	if n.m != nil {
		n.m.Stop()
		_ = n.store.Close()
		n.m = nil
	}
}

var ctx = context.Background()

func createCountdown(t *testing.T, n *node, id, user string, duration int) persistence.Record {
	t.Helper()
	rec, err := n.w.Create(ctx, actors.UserCaller(user), id, actors.CreateInput{
		Title: "Starting soon", Type: "countdown", Config: json.RawMessage(fmt.Sprintf(`{"duration":%d}`, duration)), Active: true,
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return rec
}

func countdownState(t *testing.T, rec persistence.Record) kinds.CountdownState {
	t.Helper()
	var s kinds.CountdownState
	if err := json.Unmarshal(rec.State, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGrainScopesEveryCallToTheOwner(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute)
	rec := createCountdown(t, n, "w1", "alice", 300)
	if rec.UserID != "alice" || rec.Version != 1 || len(rec.AccessToken) < 22 {
		t.Fatalf("created record: %+v", rec)
	}
	mallory := actors.UserCaller("mallory")
	token := actors.TokenCaller(rec.AccessToken)
	if _, err := n.w.Get(ctx, mallory, "w1"); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("foreign get: %v, want not_found", err)
	}
	if _, err := n.w.Act(ctx, mallory, "w1", "start", nil); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("foreign act: %v, want not_found", err)
	}
	if _, err := n.w.Update(ctx, mallory, "w1", actors.UpdateInput{Config: json.RawMessage(`{"duration":1}`)}); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("foreign update: %v", err)
	}
	if _, err := n.w.RegenerateToken(ctx, mallory, "w1"); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("foreign regenerate: %v", err)
	}
	if _, err := n.w.Delete(ctx, mallory, "w1"); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("foreign delete: %v", err)
	}
	got, err := n.w.Get(ctx, token, "w1")
	if err != nil || got.AccessToken != "" || got.ID != "w1" {
		t.Fatalf("token get: %+v %v (must see the widget without its token)", got, err)
	}
	if _, err := n.w.Act(ctx, token, "w1", "start", nil); !errors.Is(err, actors.ErrForbidden) {
		t.Errorf("token act: %v, want forbidden", err)
	}
	if _, err := n.w.Delete(ctx, token, "w1"); !errors.Is(err, actors.ErrForbidden) {
		t.Errorf("token delete: %v, want forbidden", err)
	}
	createCountdown(t, n, "w2", "alice", 60)
	if _, err := n.w.Get(ctx, token, "w2"); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("token reached another widget: %v", err)
	}
	after, _ := n.store.Get(ctx, "w1")
	if after.Version != 1 || countdownState(t, after).Enabled {
		t.Fatalf("refused calls changed the widget: %+v", after)
	}
}

func TestCountdownThroughTheGrainFollowsTheClock(t *testing.T) {
	t.Parallel()
	clock := actortest.NewClock(start)
	n := startNode(t, t.TempDir(), clock, time.Minute)
	alice := actors.UserCaller("alice")
	createCountdown(t, n, "w1", "alice", 300)
	if _, err := n.w.Act(ctx, alice, "w1", "start", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(100 * time.Second)
	rec, err := n.w.Act(ctx, alice, "w1", "pause", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := countdownState(t, rec); s.Enabled || s.DurationLeft != 200 {
		t.Fatalf("after 100s and pause: %+v, want 200 left, paused", s)
	}
	clock.Advance(time.Hour)
	rec, _ = n.w.Get(ctx, alice, "w1")
	if s := countdownState(t, rec); s.DurationLeft != 200 {
		t.Fatalf("paused countdown moved: %+v", s)
	}
	if _, err := n.w.Act(ctx, alice, "w1", "add_time", json.RawMessage(`{"seconds":"x"}`)); err == nil {
		t.Fatal("bad payload accepted")
	} else if e := new(actors.Error); !errors.As(err, &e) || e.Code != kinds.CodeInvalidPayload {
		t.Fatalf("bad payload error = %v, want invalid_payload", err)
	}
}

func TestRunningCountdownFinishesAndIsPersistedWithoutAReader(t *testing.T) {
	t.Parallel()
	clock := actortest.NewClock(start)
	n := startNode(t, t.TempDir(), clock, time.Minute)
	createCountdown(t, n, "w1", "alice", 5)
	if _, err := n.w.Act(ctx, actors.UserCaller("alice"), "w1", "start", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(6 * time.Second)
	waitFor(t, 3*time.Second, func() bool {
		rec, err := n.store.Get(ctx, "w1")
		return err == nil && countdownState(t, rec).Finished
	}, "the grain's timer to persist the finished countdown")
	rec, _ := n.store.Get(ctx, "w1")
	s := countdownState(t, rec)
	if s.Enabled || s.DurationLeft != 0 || s.FinishedAt == nil || !s.FinishedAt.Equal(start.Add(5*time.Second)) {
		t.Fatalf("finished state: %+v", s)
	}
}

func TestConcurrentActionsAreNeverLost(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute, func(d *actors.Deps) { d.ActionBurst = 1000 })
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "g1", actors.CreateInput{Type: "goal", Active: true, Config: json.RawMessage(`{"target":1000}`)}); err != nil {
		t.Fatal(err)
	}
	const clients, each = 20, 10
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := n.w.Act(ctx, alice, "g1", "increment", json.RawMessage(`{"by":1}`)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	rec, _ := n.store.Get(ctx, "g1")
	var s kinds.GoalState
	_ = json.Unmarshal(rec.State, &s)
	if s.Current != clients*each || rec.Version != 1+clients*each {
		t.Fatalf("current=%v version=%d, want %d and %d", s.Current, rec.Version, clients*each, 1+clients*each)
	}
}

func TestStaleGrainReloadsInsteadOfOverwriting(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute)
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "g1", actors.CreateInput{Type: "goal", Active: true}); err != nil {
		t.Fatal(err)
	}
	// Another activation (a failover, a split brain) writes behind this grain's back.
	other, _ := n.store.Get(ctx, "g1")
	other.State = json.RawMessage(`{"current":40}`)
	if _, err := n.store.Put(ctx, other, other.Version); err != nil {
		t.Fatal(err)
	}
	rec, err := n.w.Act(ctx, alice, "g1", "increment", json.RawMessage(`{"by":2}`))
	if err != nil {
		t.Fatalf("act after a foreign write: %v", err)
	}
	if string(rec.State) != `{"current":42}` || rec.Version != 3 {
		t.Fatalf("state %s@%d, want current 42 at version 3 (both writes kept)", rec.State, rec.Version)
	}
}

func TestWidgetAndRemainingTimeSurviveARestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := actortest.NewClock(start)
	n := startNode(t, dir, clock, time.Minute)
	alice := actors.UserCaller("alice")
	createCountdown(t, n, "w1", "alice", 300)
	if _, err := n.w.Act(ctx, alice, "w1", "start", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	n.stop()
	clock.Advance(45 * time.Second) // the node is down for 45 s; the countdown keeps running
	n2 := startNode(t, dir, clock, time.Minute)
	rec, err := n2.w.Get(ctx, alice, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if got := countdownState(t, rec).Remaining(clock.Now()); got != 225 {
		t.Fatalf("remaining after restart = %v, want 225", got)
	}
}

func TestIdleGrainsPassivateButRunningTimersStay(t *testing.T) {
	t.Parallel()
	clock := actortest.NewClock(start)
	n := startNode(t, t.TempDir(), clock, 200*time.Millisecond)
	alice := actors.UserCaller("alice")
	createCountdown(t, n, "idle", "alice", 300)
	createCountdown(t, n, "busy", "alice", 300)
	if _, err := n.w.Act(ctx, alice, "busy", "start", nil); err != nil {
		t.Fatal(err)
	}
	kind := n.m.Cluster.GetClusterKind("Widget")
	waitFor(t, 3*time.Second, func() bool { return kind.Count() == 1 }, "the idle grain to passivate")
	time.Sleep(500 * time.Millisecond)
	if c := kind.Count(); c != 1 {
		t.Fatalf("%d grains active, want only the running countdown", c)
	}
	if _, err := n.w.Get(ctx, alice, "idle"); err != nil {
		t.Fatalf("passivated grain does not come back: %v", err)
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestActionFloodIsLimitedPerWidget(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute, func(d *actors.Deps) {
		d.ActionsPerSecond, d.ActionBurst = 1, 5
	})
	alice := actors.UserCaller("alice")
	for _, id := range []string{"g1", "g2"} {
		if _, err := n.w.Create(ctx, alice, id, actors.CreateInput{Type: "goal", Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	limited := 0
	for i := 0; i < 10; i++ {
		_, err := n.w.Act(ctx, alice, "g1", "increment", json.RawMessage(`{"by":1}`))
		if e := new(actors.Error); errors.As(err, &e) && e.Code == actors.CodeRateLimited {
			limited++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if limited < 4 {
		t.Fatalf("%d of 10 rapid actions were limited, want at least 4 (burst 5)", limited)
	}
	rec, _ := n.store.Get(ctx, "g1")
	if want := fmt.Sprintf(`{"current":%d}`, 10-limited); string(rec.State) != want {
		t.Fatalf("state %s, want %s: limited actions must change nothing", rec.State, want)
	}
	if _, err := n.w.Act(ctx, alice, "g2", "increment", json.RawMessage(`{"by":1}`)); err != nil {
		t.Fatalf("another widget's budget was spent: %v", err)
	}
}
