package ws

import (
	"net"
	"reflect"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	fws "github.com/gofiber/contrib/websocket"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/telemetry"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// closeGrace bounds the best-effort write of a close frame.
const closeGrace = 500 * time.Millisecond

// socket is the bounded outbound queue of one connection, drained by one
// writer goroutine (a websocket connection allows one writer at a time).
//
// A client that stops reading is detected two ways: the actor finds the
// queue full (unkeyed frames), or a frame stays unsent longer than
// writeTimeout. The second covers clients that only receive state updates:
// those coalesce by key, so the queue never fills, but the age of its oldest
// unsent frame keeps growing while the writer is stuck.
type socket struct {
	conn         *fws.Conn
	limit        int
	writeTimeout time.Duration // longest a queued frame may wait to reach the OS
	pingEvery    time.Duration
	log          *zap.Logger
	now          func() time.Time
	counts       *telemetry.Sockets // nil in tests

	mu       sync.Mutex
	queue    [][]byte       // nil entries were superseded by a newer frame
	live     int            // non-nil entries
	byKey    map[string]int // coalesce key -> index in queue
	classes  map[string]int // capped class -> unsent frames of it (see SendCapped)
	since    time.Time      // when the oldest unsent frame was queued; zero if none
	closeReq *closeRequest
	notify   chan struct{}
	done     chan struct{} // closed when the writer has returned
}

type closeRequest struct {
	code   int
	reason string
	flush  bool
}

func newSocket(conn *fws.Conn, limit int, writeTimeout, pingEvery time.Duration, log *zap.Logger) *socket {
	if log == nil {
		log = zap.NewNop()
	}
	return &socket{conn: conn, limit: limit, writeTimeout: writeTimeout, pingEvery: pingEvery, log: log, now: time.Now,
		byKey: map[string]int{}, classes: map[string]int{}, notify: make(chan struct{}, 1), done: make(chan struct{})}
}

// Send implements actors.Socket.
func (s *socket) Send(frame []byte, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enqueue(frame, key)
}

// SendCapped queues a frame of class (e.g. rate-limit refusals) without
// coalescing while fewer than max of that class are unsent; past that, the
// newest replaces the previous overflow frame, so a flood holds at most
// max+1 of them.
func (s *socket) SendCapped(frame []byte, class string, max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.classes[class] < max {
		if !s.enqueue(frame, "") {
			return false
		}
		s.classes[class]++
		return true
	}
	return s.enqueue(frame, "capped:"+class)
}

// enqueue adds frame under s.mu; a non-empty key replaces the unsent frame
// with that key.
func (s *socket) enqueue(frame []byte, key string) bool {
	if s.closeReq != nil {
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
	s.queue = append(s.queue, frame)
	s.live++
	if key != "" {
		s.byKey[key] = len(s.queue) - 1
	}
	s.signal()
	return true
}

// Close implements actors.Socket: flush, then close.
func (s *socket) Close(code int, reason string) { s.requestClose(code, reason, true) }

// Abort implements actors.Socket: close without flushing.
func (s *socket) Abort(code int, reason string) {
	if code == protocol.CloseSlowConsumer {
		s.counts.SlowConsumerClosed() // the connection actor found the queue full
	}
	s.requestClose(code, reason, false)
	// The writer may be blocked on a client that does not read: unblock it.
	_ = s.conn.NetConn().SetWriteDeadline(time.Now())
}

func (s *socket) requestClose(code int, reason string, flush bool) {
	s.mu.Lock()
	if s.closeReq == nil {
		s.closeReq = &closeRequest{code: code, reason: reason, flush: flush}
	}
	s.mu.Unlock()
	s.signal()
}

// closing reports whether a close was requested.
func (s *socket) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeReq != nil
}

func (s *socket) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// take empties the queue; since is when its oldest frame was queued.
func (s *socket) take() (frames [][]byte, since time.Time, closeReq *closeRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	frames, since = s.queue, s.since
	s.queue, s.live, s.since = nil, 0, time.Time{}
	clear(s.byKey)
	clear(s.classes)
	return frames, since, s.closeReq
}

// writeLoop is the only writer. It returns after a close (ours, a write
// error or a stuck client); stop makes it return when the reader ends first.
// Whenever it returns on its own it unblocks the reader, so the handler, and
// with it the connection actor, end too.
func (s *socket) writeLoop(stop <-chan struct{}) {
	defer close(s.done)
	defer s.unblockReader()
	ping := time.NewTicker(s.pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ping.C:
			if err := s.conn.WriteControl(websocket.PingMessage, nil, s.now().Add(s.writeTimeout)); err != nil {
				s.writeFailed(err, "ping")
				return
			}
		case <-s.notify:
			frames, since, closeReq := s.take()
			if closeReq == nil || closeReq.flush {
				if !s.flush(frames, since) {
					return
				}
			}
			if closeReq != nil {
				s.writeClose(closeReq.code, closeReq.reason)
				return
			}
		}
	}
}

// flush writes frames, each before since+writeTimeout: no frame waits longer
// than writeTimeout from being queued to reaching the OS. It reports false
// when the socket is finished.
func (s *socket) flush(frames [][]byte, since time.Time) bool {
	if len(frames) == 0 {
		return true
	}
	deadline := since.Add(s.writeTimeout)
	if waited := s.now().Sub(since); waited >= s.writeTimeout {
		// Stuck between frames: the close frame may still get through.
		s.slowConsumer(waited)
		s.writeClose(protocol.CloseSlowConsumer, protocol.CodeSlowConsumer)
		return false
	}
	for _, f := range frames {
		if f == nil {
			continue
		}
		_ = s.conn.SetWriteDeadline(deadline)
		if err := s.conn.WriteMessage(websocket.TextMessage, f); err != nil {
			s.writeFailed(err, "message")
			return false
		}
		s.counts.Written()
	}
	return true
}

// writeFailed handles a failed write. A timeout means the client stopped
// reading: that is a slow consumer (4002). The close frame is attempted, but
// after a partial frame the library refuses any further write, so the
// client usually just sees the TCP connection end.
func (s *socket) writeFailed(err error, what string) {
	if s.closing() {
		return // an Abort cut the write short; whoever aborted has logged why
	}
	if !isTimeout(err) {
		s.log.Debug("write failed", zap.String("frame", what), zap.Error(err))
		return
	}
	s.slowConsumer(s.writeTimeout)
	s.writeClose(protocol.CloseSlowConsumer, protocol.CodeSlowConsumer)
}

func (s *socket) slowConsumer(waited time.Duration) {
	s.counts.SlowConsumerClosed()
	s.log.Warn("slow consumer: frames unsent past the write timeout; closing",
		zap.Duration("waited", waited), zap.Duration("write_timeout", s.writeTimeout), zap.Int("close_code", protocol.CloseSlowConsumer))
}

// writeClose sends a close frame, best effort.
func (s *socket) writeClose(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace))
}

// unblockReader ends the handler's read loop; conn.Close alone does not.
func (s *socket) unblockReader() {
	_ = s.conn.NetConn().SetReadDeadline(time.Now())
}

// underlying returns the TCP connection under fasthttp's hijacked-connection
// wrapper (an unexported struct embedding the net.Conn), or c itself.
func underlying(c net.Conn) net.Conn {
	v := reflect.ValueOf(c)
	if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		if f := v.Elem().FieldByName("Conn"); f.IsValid() && f.CanInterface() {
			if inner, ok := f.Interface().(net.Conn); ok && inner != nil {
				return inner
			}
		}
	}
	return c
}
