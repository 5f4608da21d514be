package actors

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// The fast path of a fan-out: the relay writes a widget's state, config,
// event and viewer frames straight into each subscribed socket's outbound
// queue, with no actor message and no goroutine start per socket. What a
// connection decides per frame is decided once, at subscribe time, and kept
// in its relaySub: whether it gets viewer counts, the version its full
// state had (older updates are stale), and whether a subscribe call is in
// flight (then frames wait, in order, until the full state is sent).
// DELETED and REVOKED change the session, so they still go through the
// connection actor; the relay stops the direct path first, so nothing
// reaches the socket after them.

// outbox is a connection's socket as the relay and the connection share
// it. Its lock orders the relay's deliveries with the connection's
// releases of held frames.
type outbox struct {
	sock    Socket
	wire    WireSocket // sock, when it takes prepared frames
	log     *zap.Logger
	mu      sync.Mutex
	aborted atomic.Bool // a full queue closed the socket (4002)
}

func newOutbox(sock Socket, log *zap.Logger) *outbox {
	wire, _ := sock.(WireSocket)
	return &outbox{sock: sock, wire: wire, log: log}
}

// send queues frame; a full queue means the client does not read: the
// socket is closed (once) rather than let it hold memory. It reports false
// then.
func (o *outbox) send(frame []byte, coalesceKey string) bool {
	return o.sent(o.sock.Send(frame, coalesceKey))
}

// sendDelivery queues a relayed frame, prepared for the wire when it can.
func (o *outbox) sendDelivery(d *Delivery, coalesceKey string) bool {
	if o.wire != nil && d.Wire != nil {
		return o.sent(o.wire.SendWire(d.Wire, coalesceKey))
	}
	return o.send(d.Frame, coalesceKey)
}

func (o *outbox) sent(ok bool) bool {
	if ok {
		return true
	}
	if o.aborted.CompareAndSwap(false, true) {
		o.log.Warn("slow consumer: outbound queue full; closing")
		o.sock.Abort(protocol.CloseSlowConsumer, "slow consumer")
	}
	return false
}

// relaySub is one (connection, widget or room) entry of the relay's table.
// With ob nil, deliveries go to pid as messages (rooms; tests and tools
// standing in for a connection).
type relaySub struct {
	pid *actor.PID
	ob  *outbox

	// Fixed when the connection joins.
	viewers    bool   // a manager: gets WIDGET_VIEWERS
	tokenHash  string // the session's widget token hash: a REVOKED of it ends the subscription
	stateKey   string // coalesce keys, built once
	viewersKey string

	// Under ob.mu.
	holding bool        // a subscribe call is in flight: frames wait in held
	held    []*Delivery // in relay order
	floor   int64       // version of the full state sent: older STATE, and CONFIG not newer, are stale
	gone    bool        // deleted, revoked or forgotten: nothing more goes direct
}

// newRelaySub is the entry of a connection that is about to subscribe to
// widgetID: frames wait until release.
func newRelaySub(pid *actor.PID, ob *outbox, widgetID string, viewers bool, tokenHash string) *relaySub {
	return &relaySub{pid: pid, ob: ob, viewers: viewers, tokenHash: tokenHash,
		stateKey: "state:" + widgetID, viewersKey: "viewers:" + widgetID, holding: true}
}

// deliver hands d to the socket or holds it; the relay calls it.
func (s *relaySub) deliver(d *Delivery) {
	s.ob.mu.Lock()
	defer s.ob.mu.Unlock()
	switch {
	case s.gone:
	case s.holding:
		s.held = append(s.held, d)
	default:
		s.forward(d)
	}
}

// forward queues d unless it is stale or not for this session; under ob.mu.
func (s *relaySub) forward(d *Delivery) {
	switch d.Kind {
	case widgetpb.WidgetEvent_STATE:
		if d.Version >= s.floor {
			s.ob.sendDelivery(d, s.stateKey) // newest wins, only while unsent
		}
	case widgetpb.WidgetEvent_CONFIG:
		if d.Version > s.floor {
			s.ob.sendDelivery(d, "")
		}
	case widgetpb.WidgetEvent_EVENT:
		s.ob.sendDelivery(d, "") // discrete: never coalesced
	case widgetpb.WidgetEvent_VIEWERS:
		if s.viewers {
			s.ob.sendDelivery(d, s.viewersKey)
		}
	}
}

// stop ends the direct path on DELETED, or on a REVOKED of this session's
// token; it reports whether the connection actor must hear of d. Frames
// held before it are still sent at release: they came first.
func (s *relaySub) stop(d *Delivery) bool {
	if d.Kind == widgetpb.WidgetEvent_REVOKED && (d.TokenHash == "" || d.TokenHash != s.tokenHash) {
		return false // another token of this widget was replaced, not ours
	}
	s.ob.mu.Lock()
	s.gone = true
	s.ob.mu.Unlock()
	return true
}

// hold makes frames wait: a (re-)subscribe call is in flight.
func (s *relaySub) hold() {
	s.ob.mu.Lock()
	s.holding = true
	s.ob.mu.Unlock()
}

// release sends the held frames newer than floor, the version of the full
// state the connection just queued (or the one it had, after a failed
// call), and lets the next ones go straight through.
func (s *relaySub) release(floor int64) {
	s.ob.mu.Lock()
	defer s.ob.mu.Unlock()
	s.floor, s.holding = floor, false
	held := s.held
	s.held = nil
	for _, d := range held {
		s.forward(d)
	}
}

// end stops the direct path for good (the connection forgot the widget).
func (s *relaySub) end() {
	s.ob.mu.Lock()
	s.gone, s.held = true, nil
	s.ob.mu.Unlock()
}
