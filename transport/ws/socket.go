package ws

import (
	"net"
	"reflect"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	fws "github.com/gofiber/contrib/websocket"
)

// socket is the bounded outbound queue of one connection, drained by one
// writer goroutine (a websocket connection allows one writer at a time).
type socket struct {
	conn         *fws.Conn
	limit        int
	writeTimeout time.Duration
	pingEvery    time.Duration

	mu       sync.Mutex
	queue    [][]byte       // nil entries were superseded by a newer frame
	live     int            // non-nil entries
	byKey    map[string]int // coalesce key -> index in queue
	closeReq *closeRequest
	notify   chan struct{}
	done     chan struct{}
}

type closeRequest struct {
	code   int
	reason string
	flush  bool
}

func newSocket(conn *fws.Conn, limit int, writeTimeout, pingEvery time.Duration) *socket {
	return &socket{conn: conn, limit: limit, writeTimeout: writeTimeout, pingEvery: pingEvery,
		byKey: map[string]int{}, notify: make(chan struct{}, 1), done: make(chan struct{})}
}

// Send implements actors.Socket.
func (s *socket) Send(frame []byte, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeReq != nil {
		return true // closing anyway: drop quietly
	}
	if key != "" {
		if i, ok := s.byKey[key]; ok {
			// Latest wins, and moves to the back: it must not overtake
			// messages queued after the frame it replaces.
			s.queue[i] = nil
			s.live--
		}
	}
	if s.live >= s.limit {
		return false
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

func (s *socket) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *socket) take() ([][]byte, *closeRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue, s.live = nil, 0
	clear(s.byKey)
	return q, s.closeReq
}

// writeLoop is the only writer. It returns after a close (ours or a write
// error); stop makes it return when the reader ends first.
func (s *socket) writeLoop(stop <-chan struct{}) {
	defer close(s.done)
	ping := time.NewTicker(s.pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ping.C:
			if err := s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.writeTimeout)); err != nil {
				s.unblockReader()
				return
			}
		case <-s.notify:
			frames, closeReq := s.take()
			if closeReq == nil || closeReq.flush {
				for _, f := range frames {
					if f == nil {
						continue
					}
					_ = s.conn.SetWriteDeadline(time.Now().Add(s.writeTimeout))
					if err := s.conn.WriteMessage(websocket.TextMessage, f); err != nil {
						s.unblockReader()
						return
					}
				}
			}
			if closeReq != nil {
				msg := websocket.FormatCloseMessage(closeReq.code, closeReq.reason)
				_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
				s.unblockReader()
				return
			}
		}
	}
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
