// Package ws serves the real-time protocol at GET /ws: it upgrades, checks
// Origin and per-address caps, reads frames (size limit, message rate limit,
// idle timeout) and hands them to the connection actor, which owns the
// session. Nothing here keeps widget state.
package ws

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	contrib "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/telemetry"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// Config hardens the socket (seed 004, stage 6). Zero values mean the defaults in the comments.
type Config struct {
	// PublicURLs are the URLs browsers use to reach this service, e.g.
	// "https://widgets.example.com"; pages from their origins may open
	// sockets. When set, the request's Host header is not trusted (DNS
	// rebinding). Default none: then a page may open sockets only from its
	// own host when that host is loopback (local development), see originPolicy.
	PublicURLs []string
	// AllowedOrigins may also open sockets from a browser, e.g.
	// "https://manager.example.com". Requests without Origin (not a browser) are allowed.
	AllowedOrigins []string
	// AuthTimeout: sockets that send no AUTH are closed (1008). Default 3s.
	AuthTimeout time.Duration
	// PingInterval between server pings; a client silent for IdleTimeout
	// (default 2.5 × PingInterval) is closed. Default 20s.
	PingInterval time.Duration
	IdleTimeout  time.Duration
	// WriteTimeout is the longest a queued frame may wait to reach the OS;
	// past it the client counts as not reading and is closed (4002, best
	// effort). It catches clients that only get coalesced state updates, whose
	// queue never fills. Default 5s.
	WriteTimeout time.Duration
	// MaxFrameBytes closes the socket (1009) on a bigger frame. Default 16 KiB.
	MaxFrameBytes int64
	// OutboxLimit is the queue of unsent messages before the client counts as
	// stalled and is closed (4002). Default 256.
	OutboxLimit int
	// MessagesPerSecond and MessageBurst are each connection's budget; past
	// it messages are refused with an ERROR, and MaxViolations refusals
	// within a minute close the socket (1008). Defaults 20, 40, 20.
	MessagesPerSecond float64
	MessageBurst      int
	MaxViolations     int
	// SocketWriteBuffer is each socket's kernel send buffer in bytes
	// (SO_SNDBUF). It bounds kernel memory per socket, and it is what lets
	// WriteTimeout see a client that stopped reading: Linux grows an unset
	// buffer to megabytes, which a stuck client then absorbs for a minute.
	// Default 64 KiB; negative leaves the OS's.
	SocketWriteBuffer int
	// MaxConnsPerIP and MaxConnsPerUser cap concurrent sockets. Defaults 100, 20.
	MaxConnsPerIP   int
	MaxConnsPerUser int
}

// Server is the WebSocket endpoint.
type Server struct {
	cfg    Config
	system *actor.ActorSystem
	deps   *actors.ConnDeps
	log    *zap.Logger
	ips    *counter
	users  *counter
	origin originPolicy

	mu      sync.Mutex
	open    map[*socket]struct{}
	counts  telemetry.Sockets // frames written, coalesced, slow consumers (stats.go)
	writers writerCount       // writer goroutines running (writer.go)
	poll    *poller           // reads idle sockets without a goroutine each (poll_linux.go); nil: a goroutine each
	wg      sync.WaitGroup
	stops   chan struct{}
}

// New returns the endpoint. deps' user-cap hooks are set here.
func New(cfg Config, system *actor.ActorSystem, deps actors.ConnDeps, log *zap.Logger) *Server {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.AuthTimeout, 3*time.Second)
	def(&cfg.PingInterval, 20*time.Second)
	def(&cfg.IdleTimeout, cfg.PingInterval*5/2)
	def(&cfg.WriteTimeout, 5*time.Second)
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = protocol.MaxFrameBytes
	}
	if cfg.OutboxLimit <= 0 {
		cfg.OutboxLimit = 256
	}
	if cfg.MessagesPerSecond <= 0 {
		cfg.MessagesPerSecond = 20
	}
	if cfg.MessageBurst <= 0 {
		cfg.MessageBurst = 40
	}
	if cfg.MaxViolations <= 0 {
		cfg.MaxViolations = 20
	}
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = 100
	}
	if cfg.MaxConnsPerUser <= 0 {
		cfg.MaxConnsPerUser = 20
	}
	if cfg.SocketWriteBuffer == 0 {
		cfg.SocketWriteBuffer = 64 << 10
	}
	s := &Server{cfg: cfg, system: system, log: log.Named("ws"), ips: newCounter(cfg.MaxConnsPerIP),
		users: newCounter(cfg.MaxConnsPerUser), origin: newOriginPolicy(cfg.PublicURLs, cfg.AllowedOrigins),
		open: map[*socket]struct{}{}, stops: make(chan struct{})}
	s.poll = newPoller(s.log)
	go s.pingLoop()
	if len(cfg.PublicURLs) == 0 {
		s.log.Info("no public URL configured: browser pages may open sockets only from a loopback host or an allowed origin")
	}
	deps.AuthTimeout = cfg.AuthTimeout
	if deps.AcquireUser == nil || deps.ReleaseUser == nil {
		// Counted on this node; the app passes cluster-wide ones (user grains).
		deps.AcquireUser = func(_ context.Context, user string, _ *actor.PID) bool { return s.users.acquire(user) }
		deps.ReleaseUser = func(user string, _ *actor.PID) { s.users.release(user) }
	}
	if deps.Logger == nil {
		deps.Logger = log
	}
	s.deps = &deps
	return s
}

// Register mounts GET /ws on app.
func (s *Server) Register(app *fiber.App) {
	// The handshake is gofiber/contrib/websocket's. Memory per idle socket
	// (docs/PERFORMANCE.md): its handler returns at once (handler.go,
	// detach), so the maps it fills per request (headers, cookies, query)
	// go back to its pool, and fasthttp's request context and reader with
	// them; the socket's own code then owns the connection, which fasthttp
	// must therefore not close. The library never reads or writes frames
	// here (frames.go, writer.go), so it gets the smallest buffers.
	app.Server().KeepHijackedConns = true
	upgrade := contrib.New(func(conn *contrib.Conn) {
		ip := strings.Clone(conn.IP())
		raw, pending := detach(conn.NetConn())
		go s.handle(raw, pending, ip)
	}, contrib.Config{
		HandshakeTimeout: 5 * time.Second, ReadBufferSize: 256, WriteBufferSize: 256, WriteBufferPool: &sync.Pool{},
		// Origins: the guard checked them (with the operator's allow-list).
	})
	app.Get("/ws", s.guard, upgrade)
}

// guard runs before the upgrade: Origin allow-list and per-address cap. It
// answers plain HTTP errors, as a browser expects on a refused handshake.
// It reserves nothing: an upgrade can still fail after it (a bad handshake,
// a HEAD request, a client gone before the reply), and only the handler,
// which runs after a successful upgrade, takes and returns an address slot.
func (s *Server) guard(c *fiber.Ctx) error {
	if !contrib.IsWebSocketUpgrade(c) {
		return c.Status(fiber.StatusUpgradeRequired).JSON(fiber.Map{"error": fiber.Map{"code": "upgrade_required", "message": "connect with a WebSocket"}})
	}
	if origin := c.Get(fiber.HeaderOrigin); !s.origin.allows(origin, c.Hostname()) {
		// Warn with the fix: an OBS on another computer (a LAN address) lands
		// here until the operator names the address the pages come from.
		s.log.Warn("WebSocket refused: page origin not allowed; if this is your own page (OBS or a browser on another computer), start serve with --public-url set to it",
			zap.String("origin", truncate(origin, 256)))
		return c.Status(fiber.StatusForbidden).JSON(fiber.Map{"error": fiber.Map{"code": "origin_not_allowed", "message": "this origin may not open sockets (see --public-url and --allowed-origins)"}})
	}
	if s.ips.full(c.IP()) {
		return c.Status(fiber.StatusTooManyRequests).JSON(fiber.Map{"error": fiber.Map{"code": protocol.CodeTooManyConnections, "message": "too many connections from this address"}})
	}
	return c.Next()
}

// Shutdown closes every socket with 1001 so clients reconnect elsewhere;
// Fiber's own shutdown does not touch upgraded connections.
func (s *Server) Shutdown(ctx context.Context) {
	s.mu.Lock()
	select {
	case <-s.stops:
	default:
		close(s.stops)
	}
	for sock := range s.open {
		sock.Close(protocol.CloseGoingAway, "server shutting down")
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	if s.poll != nil {
		s.poll.stop()
	}
}

// pingLoop pings every open socket each PingInterval, from one goroutine
// for the whole server (a socket keeps no timer of its own). A ping goes
// through the socket's queue like any frame; an idle socket writes it at once.
func (s *Server) pingLoop() {
	t := time.NewTicker(s.cfg.PingInterval)
	defer t.Stop()
	var socks []*socket
	for {
		select {
		case <-s.stops:
			return
		case <-t.C:
		}
		s.mu.Lock()
		socks = socks[:0]
		for sock := range s.open {
			socks = append(socks, sock)
		}
		s.mu.Unlock()
		idleSince := time.Now().Add(-s.cfg.IdleTimeout).UnixNano()
		for i, sock := range socks {
			if sock.polled.Load() && sock.lastRead.Load() < idleSince {
				// Read by the poller: no read deadline, so the idle
				// timeout is checked here (within one ping interval).
				sock.Abort(protocol.CloseIdleTimeout, "idle timeout")
			} else {
				sock.control(actors.OpPing, nil)
			}
			socks[i] = nil
		}
	}
}

func (s *Server) track(sock *socket) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stops:
		return false
	default:
	}
	s.open[sock] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(sock *socket) {
	s.mu.Lock()
	delete(s.open, sock)
	s.mu.Unlock()
	s.wg.Done()
}
