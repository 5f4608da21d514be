package actors

import (
	"context"
	"encoding/json"
	"errors"
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

// ConnDeps is what connection actors share.
type ConnDeps struct {
	Widgets *Client
	// VerifyUser checks a user JWT (the same verifier as REST).
	VerifyUser func(ctx context.Context, token string) (userID string, expires time.Time, err error)
	// WidgetForToken resolves a widget access token to its widget id.
	WidgetForToken func(ctx context.Context, token string) (widgetID string, err error)
	// AcquireUser reserves one of a user's connection slots; ReleaseUser returns it.
	AcquireUser func(userID string) bool
	ReleaseUser func(userID string)
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
// events into frames.
type connection struct {
	deps   *ConnDeps
	sock   Socket
	log    *zap.Logger
	timers *scheduler.TimerScheduler

	authed   bool
	session  protocol.Session
	caller   *widgetpb.Caller
	subs     map[string]*actor.PID // widget id -> grain pid (watched)
	versions map[string]int64      // widget id -> version of the last full state sent
	retries  map[string]int        // widget id -> failed re-subscriptions in a row
	relay    *actor.PID            // this member's relay (see relay.go)
	closing  bool
	stopAuth scheduler.CancelFunc
	stopExp  scheduler.CancelFunc
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
		return &connection{deps: d, sock: sock, subs: map[string]*actor.PID{}, versions: map[string]int64{}, retries: map[string]int{},
			log: d.Logger.Named("conn").With(zap.String("conn_id", connID))}
	})
}

func (c *connection) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		c.timers = scheduler.NewTimerScheduler(ctx)
		c.relay = LocalRelay(ctx.ActorSystem())
		c.stopAuth = c.timers.SendOnce(c.deps.AuthTimeout, ctx.Self(), authDeadline{})
	case Frame:
		c.onFrame(ctx, msg.Data)
	case *Delivery:
		c.onDelivery(ctx, msg)
	case authDeadline:
		if !c.authed {
			c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthRequired, "no AUTH message within the deadline")
		}
	case sessionExpired:
		c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthFailed, "your sign-in expired; reconnect with a fresh token")
	case *actor.Terminated:
		ctx.Send(c.relay, relayEcho{to: ctx.Self(), msg: resubscribe{grain: msg.Who}})
	case resubscribe:
		c.onGrainGone(ctx, msg.grain)
	case retrySubscribe:
		if _, held := c.subs[msg.widgetID]; held && !c.closing {
			c.onSubscribe(ctx, protocol.ClientMessage{Type: protocol.TypeSubscribe, WidgetID: msg.widgetID}, true)
		}
	case *actor.Stopping:
		// Grains watch this actor: they drop it when it stops. The relay and our slot are left to free.
		ctx.Send(c.relay, relayLeave{pid: ctx.Self()})
		if c.stopAuth != nil {
			c.stopAuth()
		}
		if c.stopExp != nil {
			c.stopExp()
		}
		if c.authed && c.session.Mode == "user" {
			c.deps.ReleaseUser(c.session.UserID)
		}
	}
}

func (c *connection) onFrame(ctx actor.Context, data []byte) {
	if c.closing {
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
		c.onAuth(ctx, m)
	case protocol.TypeSubscribe:
		c.onSubscribe(ctx, m, false)
	case protocol.TypeUnsubscribe:
		c.onUnsubscribe(ctx, m)
	case protocol.TypeAction:
		c.onAction(m)
	}
}

func (c *connection) onAuth(ctx actor.Context, m protocol.ClientMessage) {
	if c.authed {
		c.send(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeAlreadyAuthed, Message: "this connection is already signed in", RequestID: m.RequestID}, "")
		return
	}
	call, cancel := context.WithTimeout(context.Background(), c.deps.CallTimeout)
	defer cancel()
	if looksLikeJWT(m.Token) {
		user, expires, err := c.deps.VerifyUser(call, m.Token)
		if err != nil {
			c.log.Info("auth refused", zap.String("mode", "user"), zap.Error(err))
			c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthFailed, "the token is invalid or expired")
			return
		}
		if !c.deps.AcquireUser(user) {
			c.closeWith(protocol.CloseTooMany, protocol.CodeTooManyConnections, "too many connections for this user")
			return
		}
		c.session = protocol.Session{Mode: "user", UserID: user}
		c.caller = UserCaller(user)
		if !expires.IsZero() {
			c.stopExp = c.timers.SendOnce(time.Until(expires), ctx.Self(), sessionExpired{})
		}
	} else {
		widgetID, err := c.deps.WidgetForToken(call, m.Token)
		if err != nil {
			c.log.Info("auth refused", zap.String("mode", "widget"), zap.Error(err))
			c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthFailed, "the widget token is unknown or was regenerated")
			return
		}
		c.session = protocol.Session{Mode: "widget", WidgetID: widgetID, ReadOnly: true}
		c.caller = &widgetpb.Caller{TokenHash: persistence.TokenHash(m.Token)}
	}
	c.authed = true
	c.stopAuth()
	c.log = c.log.With(zap.String("mode", c.session.Mode), zap.String("user_id", c.session.UserID), zap.String("widget_id", c.session.WidgetID))
	c.log.Info("authenticated")
	c.send(protocol.AuthOK{Type: protocol.TypeAuthOK, ServerTime: now(), Session: c.session, RequestID: m.RequestID}, "")
}

func (c *connection) onSubscribe(ctx actor.Context, m protocol.ClientMessage, resubscribe bool) {
	id := m.WidgetID
	if c.session.Mode == "widget" && id != c.session.WidgetID {
		// A widget token reaches its own widget only; others look missing.
		c.send(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeNotFound, Message: "widget not found", WidgetID: id, RequestID: m.RequestID}, "")
		return
	}
	if _, ok := c.subs[id]; !ok && len(c.subs) >= c.deps.MaxSubscriptions {
		c.send(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeTooManySubs, Message: "too many subscriptions on one connection", WidgetID: id, RequestID: m.RequestID}, "")
		return
	}
	// Join the relay first: an event published while the call is in flight
	// then waits in our mailbox instead of being lost.
	_, held := c.subs[id]
	if !held {
		ctx.Send(c.relay, relayJoin{widgetID: id, pid: ctx.Self()})
	}
	call, cancel := context.WithTimeout(context.Background(), c.deps.CallTimeout)
	defer cancel()
	rec, grain, err := c.deps.Widgets.Subscribe(call, c.caller, id, ctx.Self())
	if err != nil && resubscribe && errors.Is(err, ErrNotFound) {
		c.forget(ctx, id) // it went away while we were not looking
		c.send(protocol.Deleted{Type: protocol.TypeDeleted, WidgetID: id}, "")
		return
	}
	if err != nil && resubscribe && transient(err) && c.retries[id] < maxResubscribeAttempts {
		// The grain is moving (its member died, the cluster is re-placing
		// it): keep the subscription and try again, the client need not know.
		c.retries[id]++
		c.subs[id] = nil
		c.timers.SendOnce(resubscribeBackoff(c.retries[id]), ctx.Self(), retrySubscribe{widgetID: id})
		return
	}
	if err != nil {
		code, msg := errorCode(err)
		c.send(protocol.Error{Type: protocol.TypeError, Code: code, Message: msg, WidgetID: id, RequestID: m.RequestID}, "")
		if resubscribe || !held {
			c.forget(ctx, id)
		}
		return
	}
	delete(c.retries, id)
	if old, ok := c.subs[id]; ok && old != nil && !old.Equal(grain) {
		ctx.Unwatch(old)
	}
	if grain != nil {
		ctx.Watch(grain)
	}
	c.subs[id] = grain
	c.versions[id] = rec.Version
	widget, _ := json.Marshal(rec)
	c.send(protocol.InitialState{Type: protocol.TypeInitialState, WidgetID: id, Widget: widget, Version: rec.Version,
		ServerTime: now(), RequestID: m.RequestID}, "")
}

func (c *connection) onUnsubscribe(ctx actor.Context, m protocol.ClientMessage) {
	if _, ok := c.subs[m.WidgetID]; !ok {
		return
	}
	c.forget(ctx, m.WidgetID)
	call, cancel := context.WithTimeout(context.Background(), c.deps.CallTimeout)
	defer cancel()
	if err := c.deps.Widgets.Unsubscribe(call, m.WidgetID, ctx.Self()); err != nil {
		c.log.Debug("unsubscribe failed; the grain drops us when we stop", zap.Error(err))
	}
}

func (c *connection) onAction(m protocol.ClientMessage) {
	resp := protocol.ActionResponse{Type: protocol.TypeActionResponse, WidgetID: m.WidgetID, Action: m.Action, RequestID: m.RequestID}
	if c.session.ReadOnly {
		resp.Code, resp.Error = protocol.CodeForbidden, "a widget token is read-only; use the manager to control widgets"
		if m.WidgetID != c.session.WidgetID {
			resp.Code, resp.Error = protocol.CodeNotFound, "widget not found"
		}
		c.send(resp, "")
		return
	}
	call, cancel := context.WithTimeout(context.Background(), c.deps.CallTimeout)
	defer cancel()
	rec, err := c.deps.Widgets.Act(call, c.caller, m.WidgetID, m.Action, m.Payload)
	if err != nil {
		resp.Code, resp.Error = errorCode(err)
	} else {
		resp.Success, resp.Version = true, rec.Version
	}
	c.send(resp, "")
}

// onDelivery forwards a relayed event of a widget this session holds. The
// frame is shared with the member's other sockets and sent as it is.
func (c *connection) onDelivery(ctx actor.Context, d *Delivery) {
	id := d.WidgetID
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
	ctx.Send(c.relay, relayLeave{widgetID: id, pid: ctx.Self()})
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
			c.onSubscribe(ctx, protocol.ClientMessage{Type: protocol.TypeSubscribe, WidgetID: id}, true)
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
	if !c.sock.Send(frame, coalesceKey) && !c.closing {
		c.closing = true
		c.log.Warn("slow consumer: outbound queue full; closing")
		c.sock.Abort(protocol.CloseSlowConsumer, "slow consumer")
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

func looksLikeJWT(token string) bool { return len(token) > 3 && token[:3] == "eyJ" }
