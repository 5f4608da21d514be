package actors

import (
	"encoding/json"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// subscriber is a connection actor that receives this widget's events.
type subscriber struct {
	pid *actor.PID
	// tokenHash is set for read-only sessions: when the widget's token is
	// replaced, those sessions are revoked.
	tokenHash string
}

// subscriberGone is how Terminated reaches the grain (see forwardTerminated).
type subscriberGone struct{ pid *actor.PID }

// flushState fires when a throttled state broadcast is due.
type flushState struct{}

// forwardTerminated hands Terminated to ReceiveDefault: the generated grain
// drops system messages, so without it Watch would seem to do nothing.
func forwardTerminated(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		if t, ok := env.Message.(*actor.Terminated); ok {
			next(c, &actor.MessageEnvelope{Header: env.Header, Message: subscriberGone{pid: t.Who}, Sender: env.Sender})
			return
		}
		next(c, env)
	}
}

func pidKey(p *actor.PID) string { return p.GetAddress() + "/" + p.GetId() }

func (g *widgetGrain) Subscribe(req *widgetpb.SubscribeRequest, ctx cluster.GrainContext) (*widgetpb.SubscribeReply, error) {
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	pid := req.GetSubscriber()
	if pid == nil || pid.GetId() == "" {
		return nil, grainError(&Error{Code: CodeInternal, Message: "subscribe without a subscriber"})
	}
	rec, _, err := g.authorize(req.GetCaller(), accessRead)
	if err != nil {
		return nil, grainError(err)
	}
	key := pidKey(pid)
	if _, ok := g.subs[key]; !ok {
		if len(g.subs) >= g.deps.MaxSubscribers {
			return nil, grainError(&Error{Code: CodeTooManySubscribers, Message: "this widget has too many viewers"})
		}
		ctx.Watch(pid)
		g.deps.Metrics.Subscribed(1)
		if g.subs == nil {
			g.subs, g.members = map[string]subscriber{}, map[string]int{}
		}
		g.members[pid.GetAddress()]++
	}
	g.subs[key] = subscriber{pid: pid, tokenHash: req.GetCaller().GetTokenHash()}
	g.viewersChanged()
	rec.State = g.viewOf(rec)
	reply, err := g.reply(rec, req.GetCaller())
	if err != nil {
		return nil, err
	}
	return &widgetpb.SubscribeReply{RecordJson: reply.GetRecordJson(), Grain: ctx.Self()}, nil
}

func (g *widgetGrain) Unsubscribe(req *widgetpb.UnsubscribeRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	if pid := req.GetSubscriber(); pid != nil {
		if _, ok := g.subs[pidKey(pid)]; ok {
			g.dropSubscriber(pidKey(pid))
			ctx.Unwatch(pid)
		}
	}
	return &widgetpb.WidgetReply{}, nil
}

// publishChanges tells subscribers what a saved write changed.
func (g *widgetGrain) publishChanges(old, saved persistence.Record) {
	if len(g.subs) == 0 {
		return
	}
	if old.Title != saved.Title || old.Active != saved.Active || string(old.Config) != string(saved.Config) {
		g.send(g.event(widgetpb.WidgetEvent_CONFIG, saved), nil)
	}
	if string(old.State) != string(saved.State) {
		g.publishState()
	}
	if old.AccessToken != "" && old.AccessToken != saved.AccessToken {
		oldHash := persistence.TokenHash(old.AccessToken)
		revoked := g.event(widgetpb.WidgetEvent_REVOKED, saved)
		revoked.TokenHash = oldHash
		g.send(revoked, func(s subscriber) bool { return s.tokenHash == oldHash })
		for k, s := range g.subs {
			if s.tokenHash == oldHash {
				g.dropSubscriber(k)
				g.ctx.Unwatch(s.pid)
			}
		}
	}
}

// publishDeleted tells every subscriber the widget is gone and forgets them.
func (g *widgetGrain) publishDeleted(rec persistence.Record) {
	g.send(g.event(widgetpb.WidgetEvent_DELETED, rec), nil)
	for k, s := range g.subs {
		g.dropSubscriber(k)
		g.ctx.Unwatch(s.pid)
	}
}

// publishState broadcasts the current state at most MaxBroadcastRate times a
// second on average (a token bucket with a small burst, anchored to the
// schedule). Changes while none is allowed are coalesced and the latest
// state is always sent when the next is, so the final state is never dropped.
func (g *widgetGrain) publishState() {
	if len(g.subs) == 0 || g.rec == nil {
		return
	}
	if g.flushScheduled {
		g.deps.Metrics.StateCoalesced(g.statePending) // a pending state is replaced unsent
		g.statePending = true                         // the scheduled flush sends the newest state
		return
	}
	wait := g.broadcasts.reserve(g.deps.MaxBroadcastRate, broadcastBurst)
	if wait <= 0 {
		g.flushPending()
		return
	}
	g.statePending, g.flushScheduled = true, true
	g.sched().SendOnce(wait, g.ctx.Self(), flushState{})
}

func (g *widgetGrain) flushPending() {
	g.flushScheduled, g.statePending = false, false
	if g.rec == nil || len(g.subs) == 0 {
		return
	}
	ev := g.event(widgetpb.WidgetEvent_STATE, *g.rec)
	ev.StateJson = g.viewOf(*g.rec)
	g.send(ev, nil)
}

// viewOf is the kind's view of rec's state now (the state itself if the
// kind cannot make one). Computing it decodes the whole state, so the view
// of a state that does not tick is kept until the version changes: a
// subscribe flood costs the grain nothing but the reply.
func (g *widgetGrain) viewOf(rec persistence.Record) json.RawMessage {
	if g.stopTick == nil && g.viewState != nil && g.viewVersion == rec.Version {
		return g.viewState
	}
	def, ok := g.deps.Kinds.Lookup(rec.Type)
	if !ok {
		return rec.State
	}
	view, err := def.View(rec.Config, rec.State, g.now())
	if err != nil {
		return rec.State
	}
	if g.stopTick == nil {
		g.viewVersion, g.viewState = rec.Version, view
	} else {
		g.viewState = nil
	}
	return view
}

func (g *widgetGrain) event(kind widgetpb.WidgetEvent_Kind, rec persistence.Record) *widgetpb.WidgetEvent {
	ev := &widgetpb.WidgetEvent{WidgetId: g.id, Kind: kind, Version: rec.Version, Timestamp: g.now().Format(time.RFC3339Nano)}
	switch kind {
	case widgetpb.WidgetEvent_STATE:
		ev.StateJson = rec.State
	case widgetpb.WidgetEvent_CONFIG:
		ev.ConfigJson, ev.Title, ev.Active = rec.Config, rec.Title, rec.Active
	}
	return ev
}

// send pushes ev to the relay of every member with subscribers (all, or
// those filter accepts): one message per member, whatever the number of
// sockets there. Sends are fire-and-forget: a slow or dead member never
// delays the grain.
func (g *widgetGrain) send(ev *widgetpb.WidgetEvent, filter func(subscriber) bool) {
	n := sendToRelays(g.ctx, ev, g.members, g.subs, func(s subscriber) *actor.PID { return s.pid }, filter)
	if n > 0 && ev.Kind != widgetpb.WidgetEvent_STATE && g.debugOn() {
		g.logger().Debug("event published", zap.String("kind", ev.Kind.String()), zap.Int("members", n))
	}
}

// dropSubscriber forgets a subscriber and, with its last one, its member.
func (g *widgetGrain) dropSubscriber(key string) {
	s, ok := g.subs[key]
	if !ok {
		return
	}
	delete(g.subs, key)
	g.deps.Metrics.Subscribed(-1)
	g.viewersChanged()
	addr := s.pid.GetAddress()
	if g.members[addr]--; g.members[addr] <= 0 {
		delete(g.members, addr)
	}
}
