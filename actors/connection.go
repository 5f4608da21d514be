package actors

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// Socket is a connection actor's way out: a bounded outbound queue drained by
// one writer. Send never blocks; it reports false when the queue is full.
type Socket interface {
	// Send queues a frame. A non-empty coalesceKey replaces an unsent frame
	// with the same key (latest wins), so a slow reader gets fresh state, not a backlog.
	Send(frame []byte, coalesceKey string) bool
	// Close sends what is queued, then a close frame, then closes.
	Close(code int, reason string)
	// Abort closes at once without flushing (the reader is too slow).
	Abort(code int, reason string)
}

// WidgetCalls is what a connection asks of widget grains. *Client implements
// it; tests stand in a fake so the connection runs on a plain actor system.
type WidgetCalls interface {
	// Subscribe adds subscriber to the widget's viewers and returns the widget and the grain's PID (nil: unknown).
	Subscribe(ctx context.Context, caller *widgetpb.Caller, id string, subscriber *actor.PID) (persistence.Record, *actor.PID, error)
	// Unsubscribe removes subscriber from the widget's viewers.
	Unsubscribe(ctx context.Context, id string, subscriber *actor.PID) error
	// Act applies an action to the widget's state.
	Act(ctx context.Context, caller *widgetpb.Caller, id, action string, payload json.RawMessage) (persistence.Record, error)
}

var _ WidgetCalls = (*Client)(nil)

// ConnDeps is what connection actors share.
type ConnDeps struct {
	// Widgets reaches widget grains (a *Client).
	Widgets WidgetCalls
	// Rooms reaches watch-party room grains; default Widgets' (a *Client) Rooms().
	Rooms RoomCalls
	// VerifyUser checks a user JWT (the same verifier as REST).
	VerifyUser func(ctx context.Context, token string) (userID string, expires time.Time, err error)
	// WidgetForToken resolves a widget access token to its widget id.
	WidgetForToken func(ctx context.Context, token string) (widgetID string, err error)
	// AcquireUser reserves one of a user's connection slots for conn (it may
	// call a user grain: it runs off the actor); ReleaseUser returns it and
	// must not block.
	AcquireUser func(ctx context.Context, userID string, conn *actor.PID) bool
	ReleaseUser func(userID string, conn *actor.PID)
	Logger      *zap.Logger
	// AuthTimeout closes sockets that did not AUTH; default 3s.
	AuthTimeout time.Duration
	// MaxSubscriptions per connection; default 100.
	MaxSubscriptions int
	// CallTimeout bounds each grain call; default 5s.
	CallTimeout time.Duration
}

// Frame is one client text frame, from the socket's reader.
type Frame struct{ Data []byte }

type authDeadline struct{}
type sessionExpired struct{}

// resubscribe is queued when a watched grain stops. Terminated is a system
// message and overtakes the grain's last events (e.g. DELETED), which come
// through the relay: the relay echoes this back behind them (see relayEcho).
type resubscribe struct{ grain *actor.PID }

// connection is one WebSocket session. It alone owns the session's auth
// context and subscriptions; it talks to grains by message and turns their
// events into frames. Calls (AUTH, grain calls) run off the actor and come
// back as messages (connection_calls.go), so a slow grain never stalls the
// session's other widgets or its pushes.
type connection struct {
	deps   *ConnDeps
	sock   Socket
	log    *zap.Logger
	timers *scheduler.TimerScheduler
	system *actor.ActorSystem
	self   *actor.PID
	// calls is the parent of every call's context, cancelled when the actor stops.
	calls     context.Context
	stopCalls context.CancelFunc
	authing   bool                // AUTH is in flight
	early     [][]byte            // frames received while AUTH was in flight, in order
	queues    map[string][]op     // widget id -> ops behind the call in flight (key present: one is in flight)
	joining   map[string]*joining // widget id -> its subscribe call in flight

	authed   bool
	session  protocol.Session
	caller   *widgetpb.Caller
	subs     map[string]*actor.PID // widget id -> grain pid (watched)
	versions map[string]int64      // widget id -> version of the last full state sent
	retries  map[string]int        // widget id -> failed re-subscriptions in a row
	relay    *actor.PID            // this member's relay (see relay.go)
	ob       *outbox               // the socket, shared with the relay's direct path
	gates    map[string]*relaySub  // widget id -> this session's entry at the relay (relay_outbox.go)
	closing  bool
	stopAuth scheduler.CancelFunc
	stopExp  scheduler.CancelFunc
	rooms    *roomConn // watch-party rooms (connection_rooms.go), made on first use
}

// NewConnectionProps returns the props of a connection actor writing to sock.
// It reads shared but never writes it: defaults go into this connection's copy.
func NewConnectionProps(shared *ConnDeps, sock Socket, connID string) *actor.Props {
	d := new(ConnDeps)
	*d = *shared
	if d.AuthTimeout <= 0 {
		d.AuthTimeout = 3 * time.Second
	}
	if d.MaxSubscriptions <= 0 {
		d.MaxSubscriptions = 100
	}
	if d.CallTimeout <= 0 {
		d.CallTimeout = 5 * time.Second
	}
	return actor.PropsFromProducer(func() actor.Actor {
		log := LazyFields(d.Logger.Named("conn"), zap.String("conn_id", connID))
		return &connection{deps: d, sock: sock, subs: map[string]*actor.PID{}, versions: map[string]int64{}, retries: map[string]int{},
			queues: map[string][]op{}, joining: map[string]*joining{}, gates: map[string]*relaySub{},
			ob: newOutbox(sock, log), log: log}
	})
}

func (c *connection) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		c.timers = scheduler.NewTimerScheduler(ctx)
		c.system, c.self = ctx.ActorSystem(), ctx.Self()
		c.calls, c.stopCalls = context.WithCancel(context.Background())
		c.relay = LocalRelay(ctx.ActorSystem())
		c.stopAuth = c.timers.SendOnce(c.deps.AuthTimeout, ctx.Self(), authDeadline{})
	case Frame:
		c.onFrame(ctx, msg.Data)
	case *Delivery:
		c.onDelivery(ctx, msg)
	case *RoomDelivery, roomRetry:
		c.onRoomMessage(ctx, msg)
	case callDone:
		c.onCallDone(ctx, msg)
	case authDeadline:
		if !c.authed && !c.authing { // an AUTH in flight is bounded by CallTimeout
			c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthRequired, "no AUTH message within the deadline")
		}
	case sessionExpired:
		c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthFailed, "your sign-in expired; reconnect with a fresh token")
	case *actor.Terminated:
		ctx.Send(c.relay, relayEcho{to: ctx.Self(), msg: resubscribe{grain: msg.Who}})
	case resubscribe:
		c.onGrainGone(ctx, msg.grain)
		c.onRoomGrainGone(ctx, msg.grain)
	case retrySubscribe:
		if _, held := c.subs[msg.widgetID]; held && !c.closing {
			c.enqueue(ctx, op{kind: opResubscribe, m: protocol.ClientMessage{Type: protocol.TypeSubscribe, WidgetID: msg.widgetID}})
		}
	case *actor.Stopping:
		c.stopCalls() // calls in flight end; their results go to dead letters
		// Grains watch this actor: they drop it when it stops. The relay and our slot are left to free.
		ctx.Send(c.relay, relayLeave{pid: ctx.Self()})
		if c.stopAuth != nil {
			c.stopAuth()
		}
		if c.stopExp != nil {
			c.stopExp()
		}
		if c.authed && c.session.Mode == "user" {
			c.deps.ReleaseUser(c.session.UserID, c.self)
		}
	}
}

func (c *connection) onFrame(ctx actor.Context, data []byte) {
	if c.closing {
		return
	}
	if c.authing {
		// Pipelined behind AUTH: handled, in order, once it is done.
		if len(c.early) >= maxEarlyFrames {
			c.closeWith(protocol.ClosePolicyViolation, protocol.CodeRateLimited, "too many messages before AUTH completed")
			return
		}
		c.early = append(c.early, data)
		return
	}
	if rm, isRoom, err := protocol.DecodeRoom(data); isRoom {
		c.onRoomFrame(ctx, rm, err) // watch-party rooms: connection_rooms.go
		return
	}
	m, err := protocol.Decode(data)
	if err != nil {
		var de *protocol.DecodeError
		errors.As(err, &de)
		if !c.authed {
			c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthRequired, "the first message must be AUTH")
			return
		}
		c.send(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeBadMessage, Message: de.Message, RequestID: de.RequestID}, "")
		return
	}
	if !c.authed && m.Type != protocol.TypeAuth {
		c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthRequired, "the first message must be AUTH")
		return
	}
	switch m.Type {
	case protocol.TypeAuth:
		if !c.roomAuth(m) { // a room's OBS token is handled there
			c.onAuth(m)
		}
	case protocol.TypeSubscribe:
		c.enqueue(ctx, op{kind: opSubscribe, m: m})
	case protocol.TypeUnsubscribe:
		c.enqueue(ctx, op{kind: opUnsubscribe, m: m})
	case protocol.TypeAction:
		c.enqueue(ctx, op{kind: opAction, m: m})
	}
}

// onDelivery forwards a relayed event of a widget this session holds. The
// frame is shared with the member's other sockets and sent as it is.
func (c *connection) onDelivery(ctx actor.Context, d *Delivery) {
	id := d.WidgetID
	if j, ok := c.joining[id]; ok && !c.closing {
		// A subscribe call is in flight: hold the event until its full state is sent.
		j.held = append(j.held, d)
		return
	}
	if _, ok := c.subs[id]; !ok || c.closing {
		return
	}
	switch d.Kind {
	case widgetpb.WidgetEvent_STATE:
		// Older than the full state we sent (queued while subscribing): stale.
		if d.Version < c.versions[id] {
			return
		}
		c.sendFrame(d.Frame, "state:"+id)
	case widgetpb.WidgetEvent_CONFIG:
		if d.Version <= c.versions[id] {
			return
		}
		c.sendFrame(d.Frame, "")
	case widgetpb.WidgetEvent_DELETED:
		c.forget(ctx, id)
		c.sendFrame(d.Frame, "")
	case widgetpb.WidgetEvent_EVENT:
		c.sendFrame(d.Frame, "") // never coalesced
	case widgetpb.WidgetEvent_VIEWERS:
		if c.session.ReadOnly {
			return // counts are for the manager
		}
		c.sendFrame(d.Frame, "viewers:"+id)
	case widgetpb.WidgetEvent_REVOKED:
		if d.TokenHash == "" || d.TokenHash != c.caller.GetTokenHash() {
			return // another token of this widget was replaced, not ours
		}
		c.forget(ctx, id)
		if c.session.Mode == "widget" && c.session.WidgetID == id {
			c.closeWith(protocol.CloseTokenRevoked, protocol.CodeTokenRevoked, "this widget's token was regenerated; copy the new OBS URL from the manager")
		}
	}
}

// forget drops a widget from this session: grain watch, relay entry, version.
func (c *connection) forget(ctx actor.Context, id string) {
	if grain := c.subs[id]; grain != nil {
		ctx.Unwatch(grain)
	}
	delete(c.subs, id)
	delete(c.versions, id)
	delete(c.retries, id)
	if s := c.gates[id]; s != nil {
		s.end() // before the relay hears of it: nothing more goes direct
		delete(c.gates, id)
	}
	ctx.Send(c.relay, relayLeave{widgetID: id, pid: ctx.Self()})
}

// joinRelay is called as a subscribe call starts: a new widget joins the
// relay with this socket's entry, a held one has its frames wait. Joining
// before the call means nothing published meanwhile is lost; waiting
// means nothing overtakes the full state.
func (c *connection) joinRelay(ctx actor.Context, id string, held bool) {
	if s := c.gates[id]; held && s != nil {
		s.hold()
		return
	}
	s := newRelaySub(ctx.Self(), c.ob, id, !c.session.ReadOnly, c.caller.GetTokenHash())
	c.gates[id] = s
	ctx.Send(c.relay, relayJoin{widgetID: id, pid: ctx.Self(), sub: s})
}

// releaseRelay is called when a subscribe call is done and its full state
// (if any) queued: the frames held meanwhile follow it, older ones dropped.
func (c *connection) releaseRelay(id string) {
	if s := c.gates[id]; s != nil && !c.closing {
		s.release(c.versions[id])
	}
}

// retrySubscribe re-subscribes to a widget whose grain could not be reached.
type retrySubscribe struct{ widgetID string }

// maxResubscribeAttempts spans ~15 s of backoff: longer than a failover.
const maxResubscribeAttempts = 10

func resubscribeBackoff(attempt int) time.Duration {
	return min(100*time.Millisecond<<attempt, 2*time.Second)
}

// transient reports whether a failed call may succeed if tried again.
func transient(err error) bool {
	var we *Error
	return errors.As(err, &we) && (we.Code == CodeUnavailable || we.Code == CodeStoreUnavailable)
}

// onGrainGone re-subscribes when a grain we watch stops (it moved to another
// node or was passivated by mistake): a re-activated grain has no subscribers.
func (c *connection) onGrainGone(ctx actor.Context, who *actor.PID) {
	for id, grain := range c.subs {
		if grain != nil && grain.Equal(who) {
			c.enqueue(ctx, op{kind: opResubscribe, m: protocol.ClientMessage{Type: protocol.TypeSubscribe, WidgetID: id}})
		}
	}
}

// send marshals and queues a message of this session alone.
func (c *connection) send(msg any, coalesceKey string) {
	frame, err := json.Marshal(msg)
	if err != nil {
		c.log.Error("marshal outbound message", zap.Error(err))
		return
	}
	c.sendFrame(frame, coalesceKey)
}

// sendFrame queues an encoded frame; a full queue means the client does not
// read: close it rather than let it hold memory or slow anyone down.
func (c *connection) sendFrame(frame []byte, coalesceKey string) {
	if !c.ob.send(frame, coalesceKey) {
		c.closing = true
	}
}

func (c *connection) closeWith(code int, errCode, message string) {
	if c.closing {
		return
	}
	c.send(protocol.Error{Type: protocol.TypeError, Code: errCode, Message: message}, "")
	c.closing = true
	c.sock.Close(code, errCode)
}

// errorCode maps a grain call error to the code and message a client sees.
func errorCode(err error) (string, string) {
	var we *Error
	if errors.As(err, &we) {
		return we.Code, we.Message
	}
	return protocol.CodeInternal, "internal error"
}

// looksLikeJWT tells a user JWT (three base64url parts, the first "eyJ…")
// from a widget token (base64url without dots, which may start "eyJ" too).
func looksLikeJWT(token string) bool {
	return len(token) > 3 && token[:3] == "eyJ" && strings.Count(token, ".") == 2
}
