package actors

import (
	"encoding/json"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/roompb"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// RelayName is the well-known name of each member's relay actor. A grain
// sends one event per member that has subscribers, to actor.NewPID(member
// address, RelayName); the relay encodes the wire frame once and hands the
// same bytes to every local connection that joined that widget. With 5,000
// OBS sockets over 3 members an update is 3 remote messages, not 5,000.
const RelayName = "widget-relay"

// Delivery is an event as the relay hands it to a local connection actor:
// the frame is shared by every connection of this member and never changed.
type Delivery struct {
	WidgetID string
	Kind     widgetpb.WidgetEvent_Kind
	Version  int64
	// Frame is the encoded wire message (nil for REVOKED, which closes instead).
	Frame []byte
	// Wire is Frame as a WebSocket frame, built once for every socket (relay_wire.go).
	Wire []byte
	// TokenHash is set on REVOKED: the replaced token's hash.
	TokenHash string
}

// relayJoin and relayLeave keep the relay's table of local subscribers. A
// connection joins before it subscribes at the grain (so no event can slip
// between the two) and only forwards deliveries for widgets it holds.
type relayJoin struct {
	widgetID string
	pid      *actor.PID
	// sub, when set, is the connection's entry for the direct path
	// (relay_outbox.go); without it deliveries go to pid as messages.
	sub *relaySub
}

type relayLeave struct {
	widgetID string // empty: every widget (the connection stopped)
	pid      *actor.PID
}

// relayEcho comes back to its sender through the relay, behind every event
// the relay has already handed on: a grain's last events (DELETED, REVOKED)
// go through the relay, while its Terminated reaches a watcher directly and
// overtakes them. Re-subscribing after the echo sees those events first.
type relayEcho struct {
	to  *actor.PID
	msg any
}

// relay is one member's fan-out point. It owns no widget state.
type relay struct {
	log  *zap.Logger
	subs map[string]*subList // widget id (or roomRelayKey) -> local subscribers
	// byConn lets a stopping connection leave all its widgets at once.
	byConn map[string]map[string]struct{} // pidKey -> widget ids
	fan    fanout                         // big fan-outs over several CPUs (relay_fanout.go)
}

// subList is one widget's local subscribers: a slice to walk on every
// event, and an index to leave by.
type subList struct {
	items []*relaySub
	index map[string]int // pidKey -> position in items
}

// SpawnRelay starts this member's relay under its well-known name. Call it
// after the cluster member started (remote senders need the name registered).
func SpawnRelay(system *actor.ActorSystem, log *zap.Logger) (*actor.PID, error) {
	props := actor.PropsFromProducer(func() actor.Actor {
		return &relay{log: log.Named("relay"), subs: map[string]*subList{}, byConn: map[string]map[string]struct{}{}}
	})
	return system.Root.SpawnNamed(props, RelayName)
}

// LocalRelay is the PID of this member's relay.
func LocalRelay(system *actor.ActorSystem) *actor.PID {
	return actor.NewPID(system.Address(), RelayName)
}

func (r *relay) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case relayJoin:
		r.join(msg)
	case relayLeave:
		r.leave(msg.widgetID, msg.pid)
	case relayEcho:
		ctx.Send(msg.to, msg.msg)
	case *widgetpb.WidgetEvent:
		r.deliver(ctx, msg)
	case *roompb.RoomEvent:
		r.deliverRoom(ctx, msg) // watch-party rooms: relay_rooms.go
	case *actor.Stopped:
		r.fan.stop()
	}
}

func (r *relay) join(msg relayJoin) {
	key := pidKey(msg.pid)
	sub := msg.sub
	if sub == nil {
		sub = &relaySub{pid: msg.pid}
	}
	l := r.subs[msg.widgetID]
	if l == nil {
		l = &subList{index: map[string]int{}}
		r.subs[msg.widgetID] = l
	}
	if i, ok := l.index[key]; ok {
		l.items[i] = sub
	} else {
		l.index[key] = len(l.items)
		l.items = append(l.items, sub)
	}
	if r.byConn[key] == nil {
		r.byConn[key] = map[string]struct{}{}
	}
	r.byConn[key][msg.widgetID] = struct{}{}
}

func (r *relay) leave(widgetID string, pid *actor.PID) {
	key := pidKey(pid)
	ids := r.byConn[key]
	if widgetID != "" {
		ids = map[string]struct{}{widgetID: {}}
	}
	for id := range ids {
		if l := r.subs[id]; l != nil {
			l.remove(key)
			if len(l.items) == 0 {
				delete(r.subs, id)
			}
		}
		delete(r.byConn[key], id)
	}
	if len(r.byConn[key]) == 0 {
		delete(r.byConn, key)
	}
}

// remove drops key's entry, moving the last one into its place.
func (l *subList) remove(key string) {
	i, ok := l.index[key]
	if !ok {
		return
	}
	last := len(l.items) - 1
	if i != last {
		l.items[i] = l.items[last]
		l.index[pidKey(l.items[i].pid)] = i
	}
	l.items[last] = nil
	l.items = l.items[:last]
	delete(l.index, key)
}

// deliver encodes ev once and hands the same bytes to every local
// connection of its widget: straight into the socket's queue where the
// connection registered one, else as a message.
func (r *relay) deliver(ctx actor.Context, ev *widgetpb.WidgetEvent) {
	l := r.subs[ev.GetWidgetId()]
	if l == nil {
		return
	}
	d := &Delivery{WidgetID: ev.GetWidgetId(), Kind: ev.GetKind(), Version: ev.GetVersion(), TokenHash: ev.GetTokenHash()}
	frame, err := encodeEvent(ev)
	if err != nil {
		r.log.Error("encode event", zap.String("widget_id", d.WidgetID), zap.Error(err))
		return
	}
	if frame != nil {
		d.Wire, d.Frame = textFrame(frame)
	}
	depsOf(ctx.ActorSystem()).metrics().Delivered(len(l.items))
	ends := d.Kind == widgetpb.WidgetEvent_DELETED || d.Kind == widgetpb.WidgetEvent_REVOKED
	for _, s := range l.items {
		switch {
		case s.ob == nil:
			ctx.Send(s.pid, d)
		case ends:
			if s.stop(d) {
				ctx.Send(s.pid, d) // the session changes: the actor decides
			}
		}
	}
	if !ends {
		r.fan.run(l.items, d) // straight into the sockets
	}
}

// encodeEvent is the wire frame of a grain event, stamped with this
// member's clock once for all its sockets.
func encodeEvent(ev *widgetpb.WidgetEvent) ([]byte, error) {
	id := ev.GetWidgetId()
	switch ev.GetKind() {
	case widgetpb.WidgetEvent_STATE:
		return json.Marshal(protocol.StateUpdate{Type: protocol.TypeStateUpdate, WidgetID: id, State: ev.GetStateJson(),
			Timestamp: ev.GetTimestamp(), Version: ev.GetVersion(), ServerTime: now()})
	case widgetpb.WidgetEvent_CONFIG:
		return json.Marshal(protocol.ConfigUpdate{Type: protocol.TypeConfigUpdate, WidgetID: id, Config: ev.GetConfigJson(),
			Title: ev.GetTitle(), Active: ev.GetActive(), Version: ev.GetVersion()})
	case widgetpb.WidgetEvent_DELETED:
		return json.Marshal(protocol.Deleted{Type: protocol.TypeDeleted, WidgetID: id, Version: ev.GetVersion()})
	case widgetpb.WidgetEvent_EVENT:
		data := json.RawMessage(ev.GetDataJson())
		if len(data) == 0 || string(data) == "null" {
			data = nil
		}
		return json.Marshal(protocol.Event{Type: protocol.TypeEvent, WidgetID: id, Event: ev.GetEventName(), Data: data,
			Version: ev.GetVersion(), Timestamp: ev.GetTimestamp()})
	case widgetpb.WidgetEvent_VIEWERS:
		return json.Marshal(protocol.Viewers{Type: protocol.TypeViewers, WidgetID: id, OBS: ev.GetObs(), Managers: ev.GetManagers()})
	default:
		return nil, nil
	}
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// JoinRelay makes pid, a local actor, receive *Delivery for widgetID from
// this member's relay. Connection actors do this themselves; tests and tools
// that stand in for a connection use it.
func JoinRelay(system *actor.ActorSystem, widgetID string, pid *actor.PID) {
	system.Root.Send(LocalRelay(system), relayJoin{widgetID: widgetID, pid: pid})
}
