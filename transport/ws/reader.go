package ws

import (
	"errors"
	"net"
	"time"
	"unicode/utf8"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/fasthttp/websocket"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// maxQueuedRefusals is how many rate-limit refusals may wait unsent, each
// with its own requestId, before newer ones replace the last (a flood must
// not fill the outbound queue with them).
const maxQueuedRefusals = 8

// reader is the read side of one socket: it runs in the handler's
// goroutine, applies the size, rate and idle limits and hands text frames
// to the connection actor.
type reader struct {
	s       *Server
	conn    net.Conn // deadlines
	frames  frameReader
	sock    *socket
	pid     *actor.PID
	log     *zap.Logger
	guard   *floodGuard
	closing bool   // a flood close was requested: drop the rest quietly
	end     func() // ends the session (once): socket, actor, slots, connection
	polled  bool   // read by the server's poller, not by run
}

// run reads until the client goes away, a limit closes the socket, or the
// writer ends (it then unblocks the read with a past deadline).
func (r *reader) run() {
	select {
	case <-r.sock.done:
		return // ended before reading began (the poller did not take it)
	default:
	}
	r.extendIdle()
	for {
		op, data, err := r.frames.message(r.onControl)
		if err != nil {
			r.readFailed(err)
			return
		}
		r.extendIdle()
		r.onFrame(op, data)
	}
}

// onControl answers pings, keeps the socket alive on pongs and answers a
// close; every reply goes through the socket's queue like any frame.
func (r *reader) onControl(op byte, payload []byte) error {
	switch op {
	case opPing:
		return r.onPing(string(payload))
	case opPong:
		return r.onPong(string(payload))
	}
	code, ok := closeCode(payload)
	if !ok {
		r.sock.Close(websocket.CloseProtocolError, "bad close frame")
		return nil
	}
	return r.onClose(code, "")
}

func (r *reader) extendIdle() {
	if r.polled {
		r.sock.lastRead.Store(time.Now().UnixNano()) // the ping loop checks it
		return
	}
	_ = r.conn.SetReadDeadline(time.Now().Add(r.s.cfg.IdleTimeout))
}

func (r *reader) readFailed(err error) {
	select {
	case <-r.sock.done:
		return // the writer ended (stuck client, write error, close sent) and unblocked us
	default:
	}
	switch {
	case errors.Is(err, errTooBig):
		r.sock.Abort(protocol.CloseMessageTooBig, "message too big")
	case errors.As(err, new(*protocolError)):
		r.sock.Abort(websocket.CloseProtocolError, "protocol error")
	case isTimeout(err):
		r.sock.Abort(protocol.CloseIdleTimeout, "idle timeout")
	}
}

// onFrame applies the message budget to a data frame of any kind, then
// passes text frames on.
func (r *reader) onFrame(kind byte, data []byte) {
	if r.closing {
		return
	}
	switch r.guard.admit() {
	case refused:
		requestID, widgetID := protocol.Peek(data)
		r.refuse(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeRateLimited,
			Message: "too many messages; slow down", RequestID: requestID, WidgetID: widgetID})
		return
	case flooding:
		requestID, widgetID := protocol.Peek(data)
		r.refuse(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeRateLimited,
			Message: "too many messages; closing", RequestID: requestID, WidgetID: widgetID})
		r.closeFlooding()
		return
	}
	if kind != opText {
		r.refuse(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeBadMessage, Message: "send JSON text messages"})
		return
	}
	if !utf8.Valid(data) {
		// RFC 6455 §8.1: a text message that is not UTF-8 fails the connection.
		r.closing = true
		r.sock.Close(websocket.CloseInvalidFramePayloadData, "text message is not UTF-8")
		return
	}
	r.s.system.Root.Send(r.pid, actors.Frame{Data: data})
}

// onPing answers a ping within the budget; past it the ping counts as a
// violation and gets no pong.
func (r *reader) onPing(data string) error {
	if r.closing {
		return nil
	}
	switch r.guard.admit() {
	case refused:
		return nil
	case flooding:
		r.closeFlooding()
		return nil
	}
	r.sock.control(actors.OpPong, []byte(data))
	return nil
}

// onClose answers a client's close frame with the same code, after what is
// queued (the library's default handler would write it itself).
func (r *reader) onClose(code int, _ string) error {
	r.sock.Close(code, "") // 1005 (no code received) makes an empty close frame
	return nil
}

// onPong keeps the socket alive; pongs count against the budget too.
func (r *reader) onPong(string) error {
	if !r.closing && r.guard.admit() == flooding {
		r.closeFlooding()
	}
	r.extendIdle()
	return nil
}

// closeFlooding closes the socket (1008) and logs it, once per connection.
func (r *reader) closeFlooding() {
	r.closing = true
	r.log.Warn("closing a flooding connection", zap.Int("max_violations", r.s.cfg.MaxViolations))
	r.sock.Close(protocol.ClosePolicyViolation, protocol.CodeRateLimited)
}

// refuse queues an ERROR; refusals are capped so a flood cannot fill the queue.
func (r *reader) refuse(e protocol.Error) {
	frame, err := jsonError(e)
	if err != nil {
		r.log.Error("marshal refusal", zap.Error(err))
		return
	}
	r.sock.SendCapped(frame, "refusal", maxQueuedRefusals)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
