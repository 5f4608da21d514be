package ws

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/telemetry"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// closeGrace bounds the best-effort write of a close frame.
const closeGrace = 500 * time.Millisecond

// socket is the bounded outbound queue of one connection and its only
// writer: every frame, pings, pongs and the close frame included, goes
// through it, already encoded for the wire (the relay's frames are encoded
// once per member and shared by every socket).
//
// Nothing runs for an idle socket. A frame queued while nothing is being
// written is written at once by the goroutine queueing it, without
// blocking (a non-blocking write(2) through the TCP connection's
// SyscallConn). When the kernel's send buffer cannot take it all, the rest
// waits in the queue and a writer goroutine starts; it writes whatever has
// queued meanwhile in one writev(2), and ends when the queue is empty.
//
// A client that stops reading is detected two ways: the queue fills
// (unkeyed frames), or a frame stays unsent longer than writeTimeout. The
// second covers clients that only receive state updates: those coalesce by
// key, so the queue never fills, but the age of its oldest unsent frame
// keeps growing while the writer is blocked.
type socket struct {
	conn         net.Conn        // the TCP connection itself (deadlines, writes)
	raw          syscall.RawConn // conn's, for the non-blocking first attempt; nil: always queue
	limit        int
	writeTimeout time.Duration // longest a queued frame may wait to reach the OS
	log          *zap.Logger
	now          func() time.Time
	counts       *telemetry.Sockets // nil in tests
	writers      *writerCount       // the server's count of writer goroutines; nil in tests
	onEnd        func()             // called (on its own goroutine) when the write side ends; nil: none
	polled       atomic.Bool        // read by the server's poller: no read deadline, the ping loop checks lastRead
	lastRead     atomic.Int64       // when polled: unix ns of the last message or pong

	mu       sync.Mutex
	partial  []byte         // the rest of a frame partly written: first out, never replaced
	queue    [][]byte       // wire frames; nil entries were superseded by a newer frame
	live     int            // non-nil entries
	byKey    map[string]int // coalesce key -> index in queue; made on first use
	classes  map[string]int // capped class -> unsent frames of it (see SendCapped); made on first use
	since    time.Time      // when the oldest unsent frame was queued; zero if none
	closeReq *closeRequest
	writing  bool // someone writes: a first attempt or the writer goroutine
	stopped  bool // the handler is ending: nothing more is written
	ended    bool // the write side is done (closed, failed or stopped)
	wg       sync.WaitGroup
	done     chan struct{} // closed when the write side ended on its own (see end)
}

type closeRequest struct {
	code   int
	reason string
	flush  bool
}

// newSocket returns the queue of conn, the hijacked connection (nil in
// unit tests: frames then only queue).
func newSocket(conn net.Conn, limit int, writeTimeout time.Duration, log *zap.Logger) *socket {
	if log == nil {
		log = zap.NewNop()
	}
	s := &socket{limit: limit, writeTimeout: writeTimeout, log: log, now: time.Now, done: make(chan struct{})}
	if conn != nil {
		s.conn = underlying(conn)
		if sc, ok := s.conn.(syscall.Conn); ok {
			s.raw, _ = sc.SyscallConn()
		}
	}
	return s
}

var _ actors.WireSocket = (*socket)(nil)

// Send implements actors.Socket: payload goes out as one text frame.
func (s *socket) Send(payload []byte, key string) bool {
	return s.SendWire(actors.AppendFrame(make([]byte, 0, len(payload)+10), actors.OpText, payload), key)
}

// SendWire implements actors.WireSocket: wire is a whole frame, shared and never changed.
func (s *socket) SendWire(wire []byte, key string) bool {
	return s.send(wire, key)
}

// send queues wire, or writes it at once when nothing waits before it.
func (s *socket) send(wire []byte, key string) bool {
	s.mu.Lock()
	if s.closeReq != nil || s.ended || s.stopped {
		s.mu.Unlock()
		return true // closing anyway: drop quietly
	}
	if !s.writing && s.raw != nil && s.live == 0 && s.partial == nil {
		s.writing = true
		s.wg.Add(1)
		s.mu.Unlock()
		s.writeFirst(wire)
		return true
	}
	ok := s.enqueue(wire, key)
	s.mu.Unlock()
	return ok
}

// SendCapped queues a text frame of class (e.g. rate-limit refusals)
// without coalescing while fewer than max of that class are unsent; past
// that, the newest replaces the previous overflow frame, so a flood holds
// at most max+1 of them.
func (s *socket) SendCapped(payload []byte, class string, max int) bool {
	wire := actors.AppendFrame(nil, actors.OpText, payload)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.classes[class] < max {
		if !s.enqueue(wire, "") {
			return false
		}
		if s.classes == nil {
			s.classes = map[string]int{}
		}
		s.classes[class]++
		return true
	}
	return s.enqueue(wire, "capped:"+class)
}

// control queues a ping or pong; only the newest of each kind waits.
func (s *socket) control(op byte, data []byte) {
	wire := actors.AppendFrame(make([]byte, 0, len(data)+2), op, data)
	if op == actors.OpPing {
		s.send(wire, "ping")
	} else {
		s.send(wire, "pong")
	}
}

// enqueue adds wire under s.mu and makes sure a writer will send it; a
// non-empty key replaces the unsent frame with that key.
func (s *socket) enqueue(wire []byte, key string) bool {
	if s.closeReq != nil || s.ended || s.stopped {
		return true // closing anyway: drop quietly
	}
	if key != "" {
		if i, ok := s.byKey[key]; ok {
			// Latest wins, and moves to the back: it must not overtake
			// messages queued after the frame it replaces. The age of the
			// queue (since) is kept: coalescing must not hide a stuck reader.
			s.queue[i] = nil
			s.live--
			s.counts.Coalesced()
		}
	}
	if s.live >= s.limit {
		return false
	}
	if s.since.IsZero() {
		s.since = s.now()
	}
	s.queue = append(s.queue, wire)
	s.live++
	if key != "" {
		if s.byKey == nil {
			s.byKey = map[string]int{}
		}
		s.byKey[key] = len(s.queue) - 1
	}
	s.startWriter()
	return true
}

// Close implements actors.Socket: flush, then close.
func (s *socket) Close(code int, reason string) { s.requestClose(code, reason, true) }

// Abort implements actors.Socket: close without flushing what is queued.
// A frame partly written is finished first (within closeGrace, with the
// close frame), as a close frame cannot follow part of a frame (writer.go).
func (s *socket) Abort(code int, reason string) {
	if code == protocol.CloseSlowConsumer {
		s.counts.SlowConsumerClosed() // the connection found the queue full
	}
	s.requestClose(code, reason, false)
}

func (s *socket) requestClose(code int, reason string, flush bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeReq != nil || s.ended {
		return
	}
	s.closeReq = &closeRequest{code: code, reason: reason, flush: flush}
	if s.writing && !flush && s.conn != nil {
		// The writer may be blocked on a client that does not read:
		// unblock it. (Under s.mu: a close frame's own deadline, set
		// later under s.mu too, is not cut short by this one.)
		_ = s.conn.SetWriteDeadline(time.Now())
	}
	s.startWriter()
}

// closing reports whether a close was requested.
func (s *socket) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeReq != nil
}

// finish is called when the handler ends: nothing more will be written,
// and finish returns once a writer at work (a flush, a close frame) is
// done, bounded by its deadlines. The connection can then go back to Fiber.
func (s *socket) finish() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock()
	s.ended = true
	s.queue, s.partial, s.byKey, s.classes = nil, nil, nil, nil
	s.mu.Unlock()
}

// takeLocked empties the queue, under s.mu: the partial frame first, then the queued ones,
// unless a close without flush was requested. since is when the oldest was
// queued.
func (s *socket) takeLocked() (frames [][]byte, since time.Time, closeReq *closeRequest) {
	closeReq = s.closeReq
	if s.partial != nil {
		frames = append(frames, s.partial)
		s.partial = nil
	}
	if closeReq == nil || closeReq.flush {
		for _, f := range s.queue {
			if f != nil {
				frames = append(frames, f)
			}
		}
	}
	since = s.since
	clear(s.queue)
	s.queue, s.live, s.since = s.queue[:0], 0, time.Time{}
	if cap(s.queue) > 64 {
		s.queue = nil // a burst's backing array is not kept for an idle socket
	}
	clear(s.byKey)
	clear(s.classes)
	return frames, since, closeReq
}

// closeFrame is a close frame's wire bytes.
func closeFrame(code int, reason string) []byte {
	return actors.AppendFrame(nil, actors.OpClose, websocket.FormatCloseMessage(code, reason))
}

// underlying returns the TCP connection under fasthttp's hijacked-connection
// wrapper (which reads through the request's buffered reader but writes to
// the connection itself), or c.
func underlying(c net.Conn) net.Conn {
	if u, ok := c.(interface{ UnsafeConn() net.Conn }); ok {
		if inner := u.UnsafeConn(); inner != nil {
			return inner
		}
	}
	return c
}
