package actors

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/roompb"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// Watch-party rooms on a connection. A room works like a widget: one call
// in flight per room and the rest queued in order (launch, never blocking
// the actor), events from the member's relay held while a subscribe is in
// flight, re-subscription when the grain moves. Rooms also order events by
// seq (presence has no version), and a room's OBS token opens a read-only
// session on that one room.

// RoomCalls is what a connection asks of room grains (*RoomClient; tests
// stand in a fake).
type RoomCalls interface {
	Get(ctx context.Context, caller *roompb.Caller, id string) (json.RawMessage, error)
	Subscribe(ctx context.Context, caller *roompb.Caller, id string, subscriber *actor.PID) (json.RawMessage, *actor.PID, error)
	Unsubscribe(ctx context.Context, id string, subscriber *actor.PID) error
	Control(ctx context.Context, caller *roompb.Caller, id, action string, at *int64) (json.RawMessage, error)
}

var _ RoomCalls = (*RoomClient)(nil)

// roomConn is a connection's room state.
type roomConn struct {
	calls   RoomCalls
	caller  *roompb.Caller          // nil: this session cannot open rooms (a widget token)
	obsRoom string                  // the one room of a room OBS token session
	subs    map[string]*actor.PID   // room id -> grain (watched; nil while re-subscribing)
	seqs    map[string]int64        // room id -> seq of the last event sent
	retries map[string]int          // room id -> failed re-subscriptions in a row
	joining map[string]*roomJoining // room id -> its subscribe call in flight
	queues  map[string][]roomOp     // room id -> ops behind the call in flight (present: one is in flight)
}

type roomJoining struct {
	fresh bool
	held  []*RoomDelivery
}

type roomOpKind uint8

const (
	roomOpSubscribe roomOpKind = iota
	roomOpResubscribe
	roomOpUnsubscribe
	roomOpControl
)

type roomOp struct {
	kind roomOpKind
	m    protocol.RoomMessage
}

// roomRetry re-subscribes to a room whose grain could not be reached.
type roomRetry struct{ roomID string }

// roomState returns the connection's room state, made on first use.
func (c *connection) roomState() *roomConn {
	if c.rooms == nil {
		calls := c.deps.Rooms
		if calls == nil {
			if cl, ok := c.deps.Widgets.(*Client); ok {
				calls = cl.Rooms()
			}
		}
		c.rooms = &roomConn{calls: calls, subs: map[string]*actor.PID{}, seqs: map[string]int64{}, retries: map[string]int{},
			joining: map[string]*roomJoining{}, queues: map[string][]roomOp{}}
	}
	return c.rooms
}

// roomAuth handles AUTH with a room's OBS token; it reports false for any
// other token (onAuth's).
func (c *connection) roomAuth(m protocol.ClientMessage) bool {
	roomID, ok := RoomOfToken(m.Token)
	if !ok || c.authed {
		return false
	}
	r := c.roomState()
	if r.calls == nil {
		return false
	}
	c.authing = true
	calls, caller := r.calls, RoomTokenCaller(m.Token)
	c.launch("", true, func(call context.Context) func(actor.Context) {
		_, err := calls.Get(call, caller, roomID)
		return func(actor.Context) {
			if c.closing {
				return
			}
			if err != nil {
				c.log.Info("auth refused", zap.String("mode", protocol.SessionModeRoom), zap.Error(err))
				c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthFailed, "the room link is unknown or was replaced")
				return
			}
			c.session = protocol.Session{Mode: protocol.SessionModeRoom, ReadOnly: true}
			c.caller = &widgetpb.Caller{} // reaches no widget
			r.caller, r.obsRoom = caller, roomID
			c.authed = true
			c.stopAuth()
			c.log = c.log.With(zap.String("mode", protocol.SessionModeRoom), zap.String("room_id", roomID))
			c.log.Info("authenticated")
			c.send(protocol.RoomAuthOK{Type: protocol.TypeAuthOK, ServerTime: now(), RequestID: m.RequestID,
				Session: protocol.RoomSession{Mode: protocol.SessionModeRoom, RoomID: roomID, ReadOnly: true}}, "")
		}
	})
	return true
}

// onRoomFrame handles a client room message (decoded by protocol.DecodeRoom).
func (c *connection) onRoomFrame(ctx actor.Context, m protocol.RoomMessage, err error) {
	if !c.authed {
		c.closeWith(protocol.ClosePolicyViolation, protocol.CodeAuthRequired, "the first message must be AUTH")
		return
	}
	if err != nil {
		var de *protocol.DecodeError
		errors.As(err, &de)
		c.send(protocol.RoomError{Type: protocol.TypeError, Code: protocol.CodeBadMessage, Message: de.Message, RequestID: de.RequestID}, "")
		return
	}
	r := c.roomState()
	if r.caller == nil && c.session.Mode == "user" {
		r.caller = RoomUserCaller(c.session.UserID)
	}
	if r.caller == nil || r.calls == nil || (r.obsRoom != "" && m.RoomID != r.obsRoom) {
		// A widget token opens no room; a room token only its own.
		c.send(protocol.RoomError{Type: protocol.TypeError, Code: protocol.CodeNotFound, Message: "room not found", RoomID: m.RoomID, RequestID: m.RequestID}, "")
		return
	}
	switch m.Type {
	case protocol.TypeRoomSubscribe:
		c.roomEnqueue(ctx, roomOp{kind: roomOpSubscribe, m: m})
	case protocol.TypeRoomUnsubscribe:
		c.roomEnqueue(ctx, roomOp{kind: roomOpUnsubscribe, m: m})
	default:
		if c.session.ReadOnly {
			c.send(roomActionResponse(m, protocol.CodeForbidden, "an OBS view of a room is read-only"), "")
			return
		}
		c.roomEnqueue(ctx, roomOp{kind: roomOpControl, m: m})
	}
}

// onRoomMessage handles the room messages of Receive: relay deliveries and
// re-subscription retries.
func (c *connection) onRoomMessage(ctx actor.Context, msg any) {
	switch msg := msg.(type) {
	case *RoomDelivery:
		c.onRoomDelivery(ctx, msg)
	case roomRetry:
		if _, held := c.roomState().subs[msg.roomID]; held && !c.closing {
			c.roomEnqueue(ctx, roomOp{kind: roomOpResubscribe, m: protocol.RoomMessage{Type: protocol.TypeRoomSubscribe, RoomID: msg.roomID}})
		}
	}
}

func (c *connection) roomEnqueue(ctx actor.Context, o roomOp) {
	if c.closing {
		return
	}
	r, id := c.roomState(), o.m.RoomID
	if q, busy := r.queues[id]; busy {
		if len(q) >= maxQueuedPerWidget && o.kind != roomOpResubscribe {
			c.send(protocol.RoomError{Type: protocol.TypeError, Code: protocol.CodeRateLimited, Message: "too many messages waiting for this room; slow down",
				RoomID: id, RequestID: o.m.RequestID}, "")
			return
		}
		r.queues[id] = append(q, o)
		return
	}
	r.queues[id] = nil
	if !c.roomBegin(ctx, o) {
		c.roomNext(ctx, id)
	}
}

// roomNext starts the room's queued ops until one leaves a call in flight.
func (c *connection) roomNext(ctx actor.Context, id string) {
	r := c.roomState()
	for !c.closing {
		q := r.queues[id]
		if len(q) == 0 {
			break
		}
		o := q[0]
		r.queues[id] = q[1:]
		if c.roomBegin(ctx, o) {
			return
		}
	}
	delete(r.queues, id)
}

// roomLaunch runs a room call off the actor; its result applies, then the
// room's next queued op starts.
func (c *connection) roomLaunch(id string, call func(ctx context.Context) func(actor.Context)) {
	c.launch(roomRelayKey(id), false, func(ctx context.Context) func(actor.Context) {
		apply := call(ctx)
		return func(actx actor.Context) {
			apply(actx)
			c.roomNext(actx, id)
		}
	})
}

func (c *connection) roomBegin(ctx actor.Context, o roomOp) bool {
	if c.closing {
		return false
	}
	switch o.kind {
	case roomOpSubscribe, roomOpResubscribe:
		return c.roomSubscribe(ctx, o.m, o.kind == roomOpResubscribe)
	case roomOpUnsubscribe:
		return c.roomUnsubscribe(ctx, o.m)
	default:
		return c.roomControl(o.m)
	}
}

func (c *connection) roomSubscribe(ctx actor.Context, m protocol.RoomMessage, resubscribe bool) bool {
	r, id := c.roomState(), m.RoomID
	_, held := r.subs[id]
	if resubscribe && !held {
		return false
	}
	if !held && c.subscriptions()+c.roomSubscriptions() >= c.deps.MaxSubscriptions {
		c.send(protocol.RoomError{Type: protocol.TypeError, Code: protocol.CodeTooManySubs, Message: "too many subscriptions on one connection", RoomID: id, RequestID: m.RequestID}, "")
		return false
	}
	if !held { // join the relay first: events published meanwhile wait in joining
		ctx.Send(c.relay, relayJoin{widgetID: roomRelayKey(id), pid: ctx.Self()})
	}
	r.joining[id] = &roomJoining{fresh: !held}
	calls, caller, self := r.calls, r.caller, c.self
	c.roomLaunch(id, func(call context.Context) func(actor.Context) {
		view, grain, err := calls.Subscribe(call, caller, id, self)
		return func(ctx actor.Context) {
			j := r.joining[id]
			delete(r.joining, id)
			c.roomSubscribed(ctx, m, resubscribe, held, view, grain, err)
			if j != nil {
				for _, d := range j.held {
					c.onRoomDelivery(ctx, d)
				}
			}
		}
	})
	return true
}

func (c *connection) roomSubscriptions() int {
	if c.rooms == nil {
		return 0
	}
	n := len(c.rooms.subs)
	for _, j := range c.rooms.joining {
		if j.fresh {
			n++
		}
	}
	return n
}

func (c *connection) roomSubscribed(ctx actor.Context, m protocol.RoomMessage, resubscribe, held bool, view json.RawMessage, grain *actor.PID, err error) {
	r, id := c.roomState(), m.RoomID
	if c.closing {
		return
	}
	if err != nil && resubscribe && (errors.Is(err, ErrNotFound) || isCode(err, protocol.CodeNotMember)) {
		c.forgetRoom(ctx, id) // it went away, or we were removed, while not looking
		c.send(protocol.RoomRemoved{Type: protocol.TypeRoomRemoved, RoomID: id, Reason: "left"}, "")
		return
	}
	if err != nil && resubscribe && transient(err) && r.retries[id] < maxResubscribeAttempts {
		r.retries[id]++
		r.subs[id] = nil
		c.timers.SendOnce(resubscribeBackoff(r.retries[id]), ctx.Self(), roomRetry{roomID: id})
		return
	}
	if err != nil {
		code, msg := errorCode(err)
		c.send(protocol.RoomError{Type: protocol.TypeError, Code: code, Message: msg, RoomID: id, RequestID: m.RequestID}, "")
		if resubscribe || !held {
			c.forgetRoom(ctx, id)
		}
		return
	}
	delete(r.retries, id)
	var head roomViewHead
	_ = json.Unmarshal(view, &head)
	frame, ferr := RoomStateFrame(id, view, time.Now().UnixMilli(), m.RequestID)
	if ferr != nil {
		c.log.Error("encode room state", zap.Error(ferr))
		c.forgetRoom(ctx, id)
		return
	}
	if old, ok := r.subs[id]; ok && old != nil && !old.Equal(grain) {
		ctx.Unwatch(old)
	}
	if grain == nil { // the room is over: its last state, and nothing more
		c.sendFrame(frame, "")
		c.forgetRoom(ctx, id)
		return
	}
	ctx.Watch(grain)
	r.subs[id] = grain
	r.seqs[id] = head.Seq
	c.sendFrame(frame, "")
}

func (c *connection) roomUnsubscribe(ctx actor.Context, m protocol.RoomMessage) bool {
	r, id := c.roomState(), m.RoomID
	if _, ok := r.subs[id]; !ok {
		return false
	}
	c.forgetRoom(ctx, id)
	calls, self := r.calls, c.self
	c.roomLaunch(id, func(call context.Context) func(actor.Context) {
		err := calls.Unsubscribe(call, id, self)
		return func(actor.Context) {
			if err != nil {
				c.log.Debug("room unsubscribe failed; the grain drops us when we stop", zap.Error(err))
			}
		}
	})
	return true
}

func (c *connection) roomControl(m protocol.RoomMessage) bool {
	r := c.roomState()
	action := roomAction(m.Type)
	calls, caller := r.calls, r.caller
	c.roomLaunch(m.RoomID, func(call context.Context) func(actor.Context) {
		view, err := calls.Control(call, caller, m.RoomID, action, m.PositionMs)
		return func(actor.Context) {
			if c.closing {
				return
			}
			if err != nil {
				code, msg := errorCode(err)
				c.send(roomActionResponse(m, code, msg), "")
				return
			}
			var head roomViewHead
			_ = json.Unmarshal(view, &head)
			resp := roomActionResponse(m, "", "")
			resp.Success, resp.Version = true, head.Version
			c.send(resp, "")
		}
	})
	return true
}

// onRoomDelivery forwards a relayed room event to this socket if it holds
// the room and the event is newer than what it sent.
func (c *connection) onRoomDelivery(ctx actor.Context, d *RoomDelivery) {
	r, id := c.roomState(), d.RoomID
	if j, ok := r.joining[id]; ok && !c.closing {
		j.held = append(j.held, d)
		return
	}
	if _, ok := r.subs[id]; !ok || c.closing {
		return
	}
	switch d.Kind {
	case roompb.RoomEvent_STATE:
		if d.Seq <= r.seqs[id] {
			return
		}
		r.seqs[id] = d.Seq
		c.sendFrame(d.Frame, "roomstate:"+id) // a newer state replaces an unsent one
	case roompb.RoomEvent_PRESENCE:
		if d.Seq <= r.seqs[id] {
			return
		}
		r.seqs[id] = d.Seq
		c.sendFrame(d.Frame, "")
	case roompb.RoomEvent_ENDED:
		c.forgetRoom(ctx, id)
		c.sendFrame(d.Frame, "")
	case roompb.RoomEvent_REMOVED:
		if d.UserID == "" || d.UserID != c.session.UserID {
			return
		}
		c.forgetRoom(ctx, id)
		c.sendFrame(d.Frame, "")
	case roompb.RoomEvent_REVOKED:
		if r.obsRoom != id {
			return
		}
		c.forgetRoom(ctx, id)
		c.closeWith(protocol.CloseTokenRevoked, protocol.CodeTokenRevoked, "this room's OBS link was replaced; copy the new one from the room page")
	}
}

// forgetRoom drops a room from this session: grain watch, relay entry, seq.
func (c *connection) forgetRoom(ctx actor.Context, id string) {
	r := c.roomState()
	if grain := r.subs[id]; grain != nil {
		ctx.Unwatch(grain)
	}
	delete(r.subs, id)
	delete(r.seqs, id)
	delete(r.retries, id)
	ctx.Send(c.relay, relayLeave{widgetID: roomRelayKey(id), pid: ctx.Self()})
}

// onRoomGrainGone re-subscribes to the rooms whose grain stopped.
func (c *connection) onRoomGrainGone(ctx actor.Context, who *actor.PID) {
	if c.rooms == nil {
		return
	}
	for id, grain := range c.rooms.subs {
		if grain != nil && grain.Equal(who) {
			c.roomEnqueue(ctx, roomOp{kind: roomOpResubscribe, m: protocol.RoomMessage{Type: protocol.TypeRoomSubscribe, RoomID: id}})
		}
	}
}

func roomAction(t string) string {
	switch t {
	case protocol.TypeRoomPlay:
		return "play"
	case protocol.TypeRoomPause:
		return "pause"
	default:
		return "seek"
	}
}

func roomActionResponse(m protocol.RoomMessage, code, msg string) protocol.RoomActionResponse {
	return protocol.RoomActionResponse{Type: protocol.TypeRoomActionResponse, RoomID: m.RoomID, Action: roomAction(m.Type),
		Code: code, Error: msg, RequestID: m.RequestID}
}
