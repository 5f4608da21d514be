// Package httpapi is the REST API (Fiber): the widget records routes of the
// widgets plan, health, metrics, JWKS and the OpenAPI document. Handlers hold
// no widget state: reads of lists go to the store, everything else to grains.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/transport/auth"
)

// Config tunes the API. Zero values mean the defaults in the comments.
type Config struct {
	// BodyLimit is the largest request body in bytes. Default 64 KiB.
	BodyLimit int
	// CreatesPerMinute is each user's create budget. Default 30.
	CreatesPerMinute int
	// RequestTimeout bounds each request's grain and store calls. Default 10s.
	RequestTimeout time.Duration

	// UserReads limits each signed-in user's reads (GET) of the /records
	// routes. Default 50/s, burst 100 (DefaultUserReads).
	UserReads Rate
	// UserWrites limits each signed-in user's writes (POST, PUT, DELETE) of
	// the /records routes, before CreatesPerMinute. Default 10/s, burst 50.
	UserWrites Rate
	// AddressReads limits reads per client address (c.IP()) on every route
	// but the probes, before sign-in. Default 200/s, burst 400.
	AddressReads Rate
	// AddressWrites limits writes per client address, sign-in included.
	// Default 50/s, burst 100.
	AddressWrites Rate
	// AddressProbes limits /healthz, /readyz and /metrics per address, apart
	// from the other routes (load balancers and Prometheus). Default 20/s, burst 100.
	AddressProbes Rate
	// RateLimitKeys caps the users or addresses each limit tracks at once.
	// Default 100000.
	RateLimitKeys int

	// ProxyHeader names the header a reverse proxy puts the client's address
	// in (e.g. X-Real-IP, set by nginx from $remote_addr). It is believed only
	// from TrustedProxies; without it every client behind a proxy shares the
	// proxy's address and its per-address limits. Default: none.
	ProxyHeader string
	// TrustedProxies are the proxies' addresses or CIDR ranges; required
	// with ProxyHeader (otherwise any client could pick its own address).
	TrustedProxies []string
}

// Deps are the services the API calls.
type Deps struct {
	Widgets  *actors.Client
	Store    persistence.Store
	Kinds    *kinds.Registry
	Verifier *auth.Verifier
	// JWKS, when set, is served at /.well-known/jwks.json (self-hosted issuer).
	JWKS json.RawMessage
	// CursorKey signs list cursors; nodes behind one load balancer share it.
	CursorKey []byte
	Logger    *zap.Logger
	// Ready reports whether the node can serve (store open, cluster joined).
	Ready func() error
	// Metrics is where the API registers its collectors and what /metrics serves.
	Metrics *prometheus.Registry
	Clock   func() time.Time
	// CreateLimit, when set, decides the per-user create budget for the whole
	// cluster (a user grain): ok, or how long to wait. Without it each node
	// counts alone.
	CreateLimit func(ctx context.Context, userID string, perMinute int) (bool, time.Duration, error)
	// SignIn, when set, serves POST /auth/session (self-hosted console sign-in).
	SignIn SignIn
}

// New builds the Fiber app with every route.
func New(cfg Config, d Deps) (*fiber.App, error) {
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 64 << 10
	}
	if cfg.CreatesPerMinute <= 0 {
		cfg.CreatesPerMinute = 30
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	cfg.UserReads = cfg.UserReads.withDefault(DefaultUserReads)
	cfg.UserWrites = cfg.UserWrites.withDefault(DefaultUserWrites)
	cfg.AddressReads = cfg.AddressReads.withDefault(DefaultAddressReads)
	cfg.AddressWrites = cfg.AddressWrites.withDefault(DefaultAddressWrites)
	cfg.AddressProbes = cfg.AddressProbes.withDefault(DefaultAddressProbes)
	if cfg.RateLimitKeys <= 0 {
		cfg.RateLimitKeys = DefaultRateLimitKeys
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.Metrics == nil {
		d.Metrics = prometheus.NewRegistry()
	}
	if cfg.ProxyHeader != "" && len(cfg.TrustedProxies) == 0 {
		return nil, errors.New("httpapi: a proxy header needs trusted proxies, or any client could spoof its address")
	}
	if len(d.CursorKey) < 16 {
		return nil, errors.New("httpapi: cursor key must be at least 16 bytes")
	}
	log := d.Logger.Named("http")
	app := fiber.New(fiber.Config{
		AppName: "streamwidgets",
		// Immutable: every string and byte slice a handler gets from the
		// request (params, query, headers, body, method, path) is a copy.
		// Without it they alias buffers Fiber reuses for the next request,
		// and a widget id kept in an actor message or a map silently turns
		// into another user's id under load. Checked by TestEveryFiberAppIsImmutable.
		Immutable:             true,
		BodyLimit:             cfg.BodyLimit,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ErrorHandler:          errorHandler(log),
		// c.IP() is the client behind a trusted proxy, the peer otherwise.
		ProxyHeader:             cfg.ProxyHeader,
		EnableTrustedProxyCheck: cfg.ProxyHeader != "",
		TrustedProxies:          cfg.TrustedProxies,
		EnableIPValidation:      true,
	})
	m, err := newMetrics(d.Metrics)
	if err != nil {
		return nil, err
	}
	limits := newRateLimits(cfg, m, log)
	app.Use(requestContext(log, m))
	// Per address before anything else, routes added later (WebSocket,
	// overlays) included; per user after authentication (records.go).
	app.Use(limits.byAddress)
	registerOps(app, d)
	registerSignIn(app, d.SignIn)
	h := &handlers{d: d, cfg: cfg, cursors: cursorSigner{key: d.CursorKey}, limits: limits}
	h.register(app, cfg)
	h.registerRooms(app) // watch-party rooms: rooms.go
	return app, nil
}

// errorHandler answers every error Fiber or a handler returns in the one
// error shape, and logs unexpected ones without request bodies.
func errorHandler(log *zap.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			switch fe.Code {
			case fiber.StatusRequestEntityTooLarge:
				return writeError(c, fe.Code, CodeTooLarge, "request body is over the size limit")
			case fiber.StatusNotFound:
				return writeError(c, fe.Code, CodeNotFound, "no such route")
			case fiber.StatusMethodNotAllowed:
				return writeError(c, fe.Code, CodeNotImplemented, "method not allowed on this route")
			default:
				if fe.Code < 500 {
					return writeError(c, fe.Code, CodeInvalidQuery, fe.Message)
				}
			}
		}
		log.Error("request failed", zap.String("request_id", requestID(c)), zap.String("path", c.Path()), zap.Error(err))
		return writeError(c, fiber.StatusInternalServerError, CodeInternal, "internal error; the request id is "+requestID(c))
	}
}
