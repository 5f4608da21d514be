package actors

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// A connection never waits on a call inside Receive. AUTH and every grain
// call run on a goroutine of their own; the result comes back to the actor as
// a callDone, and only then touches the session. Meanwhile the actor serves
// deliveries and the session's other widgets. Per widget, calls keep the
// order the client sent them in: one in flight, the rest queued behind it.
// Frames that arrive while AUTH is in flight wait for it, in order.

// opKind is what an op asks of a widget grain.
type opKind uint8

const (
	opSubscribe   opKind = iota // the client's WIDGET_SUBSCRIBE
	opResubscribe               // ours: the grain moved or could not be reached
	opUnsubscribe
	opAction
)

// op is one widget message waiting its turn.
type op struct {
	kind opKind
	m    protocol.ClientMessage
}

// joining is a subscribe call in flight: events for its widget wait here
// until the full state is sent, then go through the version check.
type joining struct {
	fresh bool // the widget was not held: it counts toward MaxSubscriptions
	held  []*Delivery
}

// callDone brings a call's result back to the actor; finish applies it.
type callDone struct {
	widgetID string // empty for AUTH
	auth     bool
	finish   func(ctx actor.Context)
}

// maxEarlyFrames bounds the frames queued behind an AUTH in flight.
const maxEarlyFrames = 256

// maxQueuedPerWidget bounds a widget's client messages waiting behind its call in flight.
const maxQueuedPerWidget = 64

// launch runs call on its own goroutine with a context bounded by
// CallTimeout. call must not touch the connection: it gets what it needs as
// copies and returns the function that applies its result inside Receive.
func (c *connection) launch(widgetID string, auth bool, call func(ctx context.Context) func(actor.Context)) {
	parent, timeout, system, self := c.calls, c.deps.CallTimeout, c.system, c.self
	go func() {
		callCtx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		done := callDone{widgetID: widgetID, auth: auth}
		defer func() {
			// A panic here would end the process, not just this actor: the
			// session ends instead, as it would had Receive panicked.
			if r := recover(); r != nil {
				done.finish = func(actor.Context) {
					c.log.Error("call panicked", zap.Any("panic", r))
					c.closeWith(protocol.CloseInternalError, protocol.CodeInternal, "internal error")
				}
			}
			system.Root.Send(self, done)
		}()
		done.finish = call(callCtx)
	}()
}

func (c *connection) onCallDone(ctx actor.Context, done callDone) {
	done.finish(ctx)
	if !done.auth {
		c.next(ctx, done.widgetID)
		return
	}
	c.authing = false
	early := c.early
	c.early = nil
	for _, data := range early {
		c.onFrame(ctx, data)
	}
}

// enqueue starts o now if its widget has no call in flight, else queues it.
func (c *connection) enqueue(ctx actor.Context, o op) {
	if c.closing {
		return
	}
	id := o.m.WidgetID
	if q, busy := c.queues[id]; busy {
		if len(q) >= maxQueuedPerWidget && o.kind != opResubscribe {
			c.refuseBusy(o)
			return
		}
		c.queues[id] = append(q, o)
		return
	}
	c.queues[id] = nil
	if !c.begin(ctx, o) {
		c.next(ctx, id)
	}
}

// next starts the widget's queued ops until one leaves a call in flight.
func (c *connection) next(ctx actor.Context, id string) {
	for !c.closing {
		q := c.queues[id]
		if len(q) == 0 {
			break
		}
		o := q[0]
		q[0] = op{}
		c.queues[id] = q[1:]
		if c.begin(ctx, o) {
			return
		}
	}
	delete(c.queues, id)
}

// begin handles o; it reports whether a call is now in flight for its widget.
func (c *connection) begin(ctx actor.Context, o op) bool {
	if c.closing {
		return false
	}
	switch o.kind {
	case opSubscribe:
		return c.beginSubscribe(ctx, o.m, false)
	case opResubscribe:
		return c.beginSubscribe(ctx, o.m, true)
	case opUnsubscribe:
		return c.beginUnsubscribe(ctx, o.m)
	case opAction:
		return c.beginAction(o.m)
	}
	return false
}

// refuseBusy answers a message its widget has no room to queue.
func (c *connection) refuseBusy(o op) {
	const msg = "too many messages waiting for this widget; slow down"
	switch o.kind {
	case opAction:
		c.send(protocol.ActionResponse{Type: protocol.TypeActionResponse, WidgetID: o.m.WidgetID, Action: o.m.Action, RequestID: o.m.RequestID,
			Code: protocol.CodeRateLimited, Error: msg}, "")
	default:
		c.send(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeRateLimited, Message: msg, WidgetID: o.m.WidgetID, RequestID: o.m.RequestID}, "")
	}
}

func (c *connection) onAuth(m protocol.ClientMessage) {
	if c.authed {
		c.send(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeAlreadyAuthed, Message: "this connection is already signed in", RequestID: m.RequestID}, "")
		return
	}
	c.authing = true
	deps, token, self := c.deps, m.Token, c.self
	c.launch("", true, func(call context.Context) func(actor.Context) {
		if looksLikeJWT(token) {
			user, expires, err := deps.VerifyUser(call, token)
			admitted := err == nil && deps.AcquireUser(call, user, self)
			return func(ctx actor.Context) { c.userAuthed(ctx, m, user, expires, err, admitted) }
		}
		widgetID, err := deps.WidgetForToken(call, token)
		return func(actor.Context) { c.widgetAuthed(m, widgetID, err) }
	})
}

func (c *connection) userAuthed(ctx actor.Context, m protocol.ClientMessage, user string, expires time.Time, err error, admitted bool) {
	if c.closing {
		if admitted {
			c.deps.ReleaseUser(user, c.self)
		}
		return
	}
	if err != nil {
		c.log.Info("auth refused", zap.String("mode", "user"), zap.Error(err))
		c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthFailed, "the token is invalid or expired")
		return
	}
	if !admitted {
		c.closeWith(protocol.CloseTooMany, protocol.CodeTooManyConnections, "too many connections for this user")
		return
	}
	c.session = protocol.Session{Mode: "user", UserID: user}
	c.caller = UserCaller(user)
	if !expires.IsZero() {
		c.stopExp = c.timers.SendOnce(time.Until(expires), ctx.Self(), sessionExpired{})
	}
	c.authenticated(m)
}

func (c *connection) widgetAuthed(m protocol.ClientMessage, widgetID string, err error) {
	if c.closing {
		return
	}
	if errors.Is(err, persistence.ErrWidgetDeleted) {
		// Only the real token of a deleted widget gets here (a tombstone
		// keyed by its hash): a guessed one is auth_failed as before.
		c.log.Info("auth refused: the widget was deleted", zap.String("mode", "widget"))
		c.closeWith(protocol.ClosePolicyViolation, protocol.CodeWidgetDeleted, "this widget was deleted")
		return
	}
	if err != nil {
		c.log.Info("auth refused", zap.String("mode", "widget"), zap.Error(err))
		c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthFailed, "the widget token is unknown or was regenerated")
		return
	}
	c.session = protocol.Session{Mode: "widget", WidgetID: widgetID, ReadOnly: true}
	c.caller = &widgetpb.Caller{TokenHash: persistence.TokenHash(m.Token)}
	c.authenticated(m)
}

func (c *connection) authenticated(m protocol.ClientMessage) {
	c.authed = true
	c.stopAuth()
	c.log = c.log.With(zap.String("mode", c.session.Mode), zap.String("user_id", c.session.UserID), zap.String("widget_id", c.session.WidgetID))
	c.log.Info("authenticated")
	c.send(protocol.AuthOK{Type: protocol.TypeAuthOK, ServerTime: now(), Session: c.session, RequestID: m.RequestID}, "")
}

// subscriptions counts held widgets and those being subscribed to.
func (c *connection) subscriptions() int {
	n := len(c.subs)
	for _, j := range c.joining {
		if j.fresh {
			n++
		}
	}
	return n
}

func (c *connection) beginSubscribe(ctx actor.Context, m protocol.ClientMessage, resubscribe bool) bool {
	id := m.WidgetID
	_, held := c.subs[id]
	if resubscribe && !held {
		return false // unsubscribed or deleted while this waited
	}
	if c.session.Mode == "widget" && id != c.session.WidgetID {
		// A widget token reaches its own widget only; others look missing.
		c.send(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeNotFound, Message: "widget not found", WidgetID: id, RequestID: m.RequestID}, "")
		return false
	}
	if !held && c.subscriptions() >= c.deps.MaxSubscriptions {
		c.send(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeTooManySubs, Message: "too many subscriptions on one connection", WidgetID: id, RequestID: m.RequestID}, "")
		return false
	}
	// Join the relay first: an event published while the call is in flight
	// then waits (in joining) instead of being lost.
	c.joinRelay(ctx, id, held)
	c.joining[id] = &joining{fresh: !held}
	widgets, caller, self := c.deps.Widgets, c.caller, c.self
	c.launch(id, false, func(call context.Context) func(actor.Context) {
		rec, grain, err := widgets.Subscribe(call, caller, id, self)
		return func(ctx actor.Context) {
			j := c.joining[id]
			delete(c.joining, id)
			c.subscribed(ctx, m, resubscribe, held, rec, grain, err)
			c.releaseRelay(id) // frames published during the call follow the full state
			if j != nil {
				for _, d := range j.held { // now checked against the version just sent
					c.onDelivery(ctx, d)
				}
			}
		}
	})
	return true
}

func (c *connection) subscribed(ctx actor.Context, m protocol.ClientMessage, resubscribe, held bool, rec persistence.Record, grain *actor.PID, err error) {
	id := m.WidgetID
	if c.closing {
		return
	}
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

func (c *connection) beginUnsubscribe(ctx actor.Context, m protocol.ClientMessage) bool {
	id := m.WidgetID
	if _, ok := c.subs[id]; !ok {
		return false
	}
	c.forget(ctx, id)
	widgets, self := c.deps.Widgets, c.self
	c.launch(id, false, func(call context.Context) func(actor.Context) {
		err := widgets.Unsubscribe(call, id, self)
		return func(actor.Context) {
			if err != nil {
				c.log.Debug("unsubscribe failed; the grain drops us when we stop", zap.Error(err))
			}
		}
	})
	return true
}

func (c *connection) beginAction(m protocol.ClientMessage) bool {
	resp := protocol.ActionResponse{Type: protocol.TypeActionResponse, WidgetID: m.WidgetID, Action: m.Action, RequestID: m.RequestID}
	// A widget token reaches its own widget only; there the grain lets it
	// send the acknowledgements its kind declares for OBS views, nothing else.
	if c.session.ReadOnly && m.WidgetID != c.session.WidgetID {
		resp.Code, resp.Error = protocol.CodeNotFound, "widget not found"
		c.send(resp, "")
		return false
	}
	widgets, caller := c.deps.Widgets, c.caller
	c.launch(m.WidgetID, false, func(call context.Context) func(actor.Context) {
		version, err := actVersion(call, widgets, caller, m)
		return func(actor.Context) {
			if c.closing {
				return
			}
			if err != nil {
				resp.Code, resp.Error = errorCode(err)
			} else {
				resp.Success, resp.Version = true, version
			}
			c.send(resp, "")
		}
	})
	return true
}

// versionActor is a WidgetCalls that can answer an action with its version
// alone (the *Client: it then skips decoding the whole record).
type versionActor interface {
	ActVersion(ctx context.Context, caller *widgetpb.Caller, id, action string, payload json.RawMessage) (int64, error)
}

func actVersion(ctx context.Context, widgets WidgetCalls, caller *widgetpb.Caller, m protocol.ClientMessage) (int64, error) {
	if va, ok := widgets.(versionActor); ok {
		return va.ActVersion(ctx, caller, m.WidgetID, m.Action, m.Payload)
	}
	rec, err := widgets.Act(ctx, caller, m.WidgetID, m.Action, m.Payload)
	return rec.Version, err
}
