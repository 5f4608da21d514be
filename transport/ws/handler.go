package ws

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// handle serves one upgraded socket on its own goroutine, the socket's
// only reader; it owns conn (the server keeps hijacked connections open)
// and closes it when it returns. pending is what the HTTP server read past
// the upgrade request. It holds one of the address's slots from start to
// end, whatever way it ends.
func (s *Server) handle(conn net.Conn, pending []byte, ip string) {
	defer s.recoverPanic()
	if !s.ips.acquire(ip) {
		// Others took the last slots between the guard's check and now.
		refuseUpgraded(conn, protocol.CloseTooMany, protocol.CodeTooManyConnections)
		_ = conn.Close()
		return
	}
	connID := uuid.NewString()
	log := actors.LazyFields(s.log, zap.String("conn_id", connID))
	sock := newSocket(conn, s.cfg.OutboxLimit, s.cfg.WriteTimeout, log)
	sock.counts, sock.writers = &s.counts, &s.writers
	if !s.track(sock) {
		refuseUpgraded(conn, protocol.CloseGoingAway, "shutting down")
		s.ips.release(ip)
		_ = conn.Close()
		return
	}
	pid := s.system.Root.Spawn(actors.NewConnectionProps(s.deps, sock, connID))
	if s.cfg.SocketWriteBuffer > 0 {
		if tc, ok := sock.conn.(interface{ SetWriteBuffer(int) error }); ok {
			_ = tc.SetWriteBuffer(s.cfg.SocketWriteBuffer)
		}
	}
	r := &reader{s: s, conn: conn, frames: frameReader{r: conn, limit: s.cfg.MaxFrameBytes}, sock: sock, pid: pid, log: log,
		guard: newFloodGuard(s.cfg.MessagesPerSecond, s.cfg.MessageBurst, s.cfg.MaxViolations)}
	r.end = sync.OnceFunc(func() {
		sock.finish() // a flush or close frame under way ends first
		s.system.Root.Stop(pid)
		s.untrack(sock)
		s.ips.release(ip)
		_ = conn.Close()
	})
	if s.poll != nil {
		r.polled = true
		r.extendIdle()
		sock.polled.Store(true)
		if s.poll.add(r, conn, pending) {
			return // read by the server's poller from now on; it calls r.end
		}
		r.polled = false
		sock.polled.Store(false)
	}
	defer r.end()
	if len(pending) > 0 {
		r.frames.r = io.MultiReader(bytes.NewReader(pending), conn)
	}
	r.run()
}

// refuseUpgraded closes a socket the handler will not serve.
func refuseUpgraded(conn net.Conn, code int, reason string) {
	_ = conn.SetWriteDeadline(time.Now().Add(closeGrace))
	_, _ = conn.Write(closeFrame(code, reason))
}

// detach takes an upgraded connection from fasthttp's hijack wrapper: the
// TCP connection itself, and the bytes fasthttp's 4 KiB request reader
// holds past the upgrade request (a client may send its first frames
// before it reads our 101). Reading the connection directly lets that
// reader, and the request context, go back to the server: ~6 KiB less per
// idle socket. When the wrapper is not the one known here, the wrapper is
// kept and read through.
func detach(c net.Conn) (net.Conn, []byte) {
	raw := underlying(c)
	v := reflect.ValueOf(c)
	if raw == c || v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return c, nil
	}
	f := v.Elem().FieldByName("r")
	if !f.IsValid() || f.Type() != reflect.TypeFor[io.Reader]() || !f.CanAddr() {
		return c, nil
	}
	// An unexported field: read through unsafe, as nothing exports it.
	switch r := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(type) {
	case *bufio.Reader:
		if n := r.Buffered(); n > 0 {
			b, _ := r.Peek(n)
			return raw, bytes.Clone(b)
		}
		return raw, nil
	case net.Conn: // fasthttp read nothing ahead
		return raw, nil
	}
	return c, nil
}

// recoverPanic keeps a panic in one socket's handler from ending the
// process; the socket closes with its handler.
func (s *Server) recoverPanic() {
	if r := recover(); r != nil {
		s.log.Error("socket handler panicked", zap.Any("panic", r), zap.Stack("stack"))
	}
}

// truncate bounds a client-supplied string in a log field.
func truncate(v string, n int) string {
	if len(v) > n {
		return v[:n] + "…"
	}
	return v
}
