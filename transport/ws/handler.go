package ws

import (
	"time"

	"github.com/fasthttp/websocket"
	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// handle runs for the socket's whole life (the connection returns to Fiber's
// pool when it returns) and is its only reader. It holds one of the
// address's slots from start to end, whatever way it ends.
func (s *Server) handle(c *websocket.Conn, ip string) {
	defer s.recoverPanic()
	if !s.ips.acquire(ip) {
		// Others took the last slots between the guard's check and now.
		s.refuseUpgraded(c, protocol.CloseTooMany, protocol.CodeTooManyConnections)
		return
	}
	defer s.ips.release(ip)
	connID := uuid.NewString()
	log := actors.LazyFields(s.log, zap.String("conn_id", connID))
	sock := newSocket(c.NetConn(), s.cfg.OutboxLimit, s.cfg.WriteTimeout, log)
	sock.counts, sock.writers = &s.counts, &s.writers
	if !s.track(sock) {
		s.refuseUpgraded(c, protocol.CloseGoingAway, "shutting down")
		return
	}
	defer s.untrack(sock)
	pid := s.system.Root.Spawn(actors.NewConnectionProps(s.deps, sock, connID))
	defer func() {
		sock.finish() // a flush or close frame under way ends first
		s.system.Root.Stop(pid)
	}()

	if s.cfg.SocketWriteBuffer > 0 {
		if tc, ok := sock.conn.(interface{ SetWriteBuffer(int) error }); ok {
			_ = tc.SetWriteBuffer(s.cfg.SocketWriteBuffer)
		}
	}
	r := &reader{s: s, conn: c, sock: sock, pid: pid, log: log,
		guard: newFloodGuard(s.cfg.MessagesPerSecond, s.cfg.MessageBurst, s.cfg.MaxViolations)}
	r.run()
}

// refuseUpgraded closes a socket the handler will not serve.
func (s *Server) refuseUpgraded(c *websocket.Conn, code int, reason string) {
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(closeGrace))
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
