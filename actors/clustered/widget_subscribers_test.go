package clustered_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
)

// probe is a stand-in connection actor that records the events the relay
// hands it, turned back into grain events for the assertions.
type probe struct {
	mu        sync.Mutex
	events    []*widgetpb.WidgetEvent
	pid       *actor.PID
	tokenHash string // a token session: only its own token's REVOKED counts
}

func newProbe(n *node) *probe {
	p := &probe{}
	p.pid = n.m.System.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		d, ok := c.Message().(*actors.Delivery)
		if !ok || (d.Kind == widgetpb.WidgetEvent_REVOKED && d.TokenHash != p.hash()) || p.revoked() {
			return // like a connection: after its own revocation it holds nothing
		}
		var wire struct {
			State    json.RawMessage `json:"state"`
			Title    string          `json:"title"`
			Event    string          `json:"event"`
			Data     json.RawMessage `json:"data"`
			OBS      int32           `json:"obs"`
			Managers int32           `json:"managers"`
		}
		_ = json.Unmarshal(d.Frame, &wire)
		p.mu.Lock()
		p.events = append(p.events, &widgetpb.WidgetEvent{WidgetId: d.WidgetID, Kind: d.Kind, Version: d.Version,
			StateJson: wire.State, Title: wire.Title, TokenHash: d.TokenHash, EventName: wire.Event, DataJson: wire.Data,
			Obs: wire.OBS, Managers: wire.Managers})
		p.mu.Unlock()
	}))
	return p
}

func (p *probe) revoked() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range p.events {
		if ev.Kind == widgetpb.WidgetEvent_REVOKED {
			return true
		}
	}
	return false
}

func (p *probe) hash() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenHash
}

func (p *probe) snapshot() []*widgetpb.WidgetEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*widgetpb.WidgetEvent(nil), p.events...)
}

func (p *probe) last(kind widgetpb.WidgetEvent_Kind) *widgetpb.WidgetEvent {
	evs := p.snapshot()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind {
			return evs[i]
		}
	}
	return nil
}

func subscribe(t *testing.T, n *node, caller *widgetpb.Caller, id string, p *probe) {
	t.Helper()
	p.mu.Lock()
	p.tokenHash = caller.GetTokenHash()
	p.mu.Unlock()
	actors.JoinRelay(n.m.System, id, p.pid)
	g := widgetpb.GetWidgetGrainClient(n.m.Cluster, id)
	if _, err := g.Subscribe(&widgetpb.SubscribeRequest{Caller: caller, WidgetId: id, Subscriber: p.pid}); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
}

func TestBurstsAreThrottledAndTheFinalStateAlwaysArrives(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute, func(d *actors.Deps) {
		d.MaxBroadcastRate, d.ActionBurst = 5, 1000
	})
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "g", actors.CreateInput{Type: "goal", Active: true}); err != nil {
		t.Fatal(err)
	}
	p := newProbe(n)
	subscribe(t, n, alice, "g", p)
	const burst = 50
	for i := 0; i < burst; i++ {
		if _, err := n.w.Act(ctx, alice, "g", "increment", json.RawMessage(`{"by":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 3*time.Second, func() bool {
		ev := p.last(widgetpb.WidgetEvent_STATE)
		return ev != nil && string(ev.StateJson) == `{"current":50}`
	}, "the final state")
	time.Sleep(300 * time.Millisecond)
	states := 0
	var lastVersion int64
	for _, ev := range p.snapshot() {
		if ev.Version < lastVersion {
			t.Fatalf("versions went backwards: %d after %d", ev.Version, lastVersion)
		}
		lastVersion = ev.Version
		states++
	}
	if states >= burst/2 {
		t.Fatalf("%d broadcasts for %d changes: not throttled", states, burst)
	}
	if lastVersion != 1+burst {
		t.Fatalf("last version %d, want %d", lastVersion, 1+burst)
	}
}

func TestSubscribersSeeConfigDeleteRevokeAndTicks(t *testing.T) {
	t.Parallel()
	clock := actortest.NewClock(start)
	n := startNode(t, t.TempDir(), clock, time.Minute)
	alice := actors.UserCaller("alice")
	rec := createCountdown(t, n, "w", "alice", 300)
	owner, viewer := newProbe(n), newProbe(n)
	subscribe(t, n, alice, "w", owner)
	subscribe(t, n, actors.TokenCaller(rec.AccessToken), "w", viewer)

	if _, err := n.w.Act(ctx, alice, "w", "start", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	waitFor(t, 2*time.Second, func() bool {
		ev := viewer.last(widgetpb.WidgetEvent_STATE)
		return ev != nil && countdownLeft(t, ev) == 298
	}, "a tick with the time left now")

	title := "Be right back"
	if _, err := n.w.Update(ctx, alice, "w", actors.UpdateInput{Title: &title}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, func() bool {
		ev := viewer.last(widgetpb.WidgetEvent_CONFIG)
		return ev != nil && ev.Title == title
	}, "the config update")

	if _, err := n.w.RegenerateToken(ctx, alice, "w"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, func() bool { return viewer.last(widgetpb.WidgetEvent_REVOKED) != nil }, "the old token's viewer to be revoked")
	if owner.last(widgetpb.WidgetEvent_REVOKED) != nil {
		t.Fatal("the owner's session was revoked too")
	}
	before := len(viewer.snapshot())
	if _, err := n.w.Delete(ctx, alice, "w"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, func() bool { return owner.last(widgetpb.WidgetEvent_DELETED) != nil }, "the delete")
	if len(viewer.snapshot()) != before {
		t.Fatal("a revoked viewer still receives events")
	}
}

func countdownLeft(t *testing.T, ev *widgetpb.WidgetEvent) float64 {
	t.Helper()
	var s struct {
		DurationLeft float64 `json:"duration_left"`
	}
	_ = json.Unmarshal(ev.StateJson, &s)
	return s.DurationLeft
}

func TestDeadSubscribersAreForgottenAndIdleGrainsThenPassivate(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), 200*time.Millisecond)
	alice := actors.UserCaller("alice")
	createCountdown(t, n, "w", "alice", 300)
	p := newProbe(n)
	subscribe(t, n, alice, "w", p)
	kind := n.m.Cluster.GetClusterKind("Widget")
	time.Sleep(600 * time.Millisecond)
	if kind.Count() != 1 {
		t.Fatal("a grain with a subscriber passivated")
	}
	n.m.System.Root.Stop(p.pid) // the connection closes without unsubscribing
	waitFor(t, 3*time.Second, func() bool { return kind.Count() == 0 }, "the grain to notice the dead subscriber and passivate")
}
