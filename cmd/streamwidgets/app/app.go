// Package app wires one streamwidgets node: store, actor system and cluster
// member, sign-in and the HTTP API. main and the end-to-end tests both use it.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/cluster/grains"
	"github.com/streamwidgets/streamwidgets/cluster/member"
	"github.com/streamwidgets/streamwidgets/overlays"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
	"github.com/streamwidgets/streamwidgets/telemetry"
	"github.com/streamwidgets/streamwidgets/transport/auth"
	"github.com/streamwidgets/streamwidgets/transport/httpapi"
	"github.com/streamwidgets/streamwidgets/transport/ws"
)

// Config is everything a node needs. Zero values mean the defaults in the comments.
type Config struct {
	// Addr is where the HTTP API listens. Default 127.0.0.1:8080.
	Addr string
	// DataDir holds the embedded store and the self-hosted issuer's key. Default ./data.
	DataDir string
	// Store is "bolt" (default: embedded, in DataDir) or "dynamodb".
	Store string
	// Dynamo configures the DynamoDB store (tables, endpoint, TTL).
	Dynamo dynamo.Config
	// SealKeys seal widget access tokens at rest: "kid:base64key[,…]", the
	// first is primary (seal.ParseKeyring). Required with the DynamoDB store
	// (every node needs the same keys). Default with the embedded store: a
	// keyring created in DataDir/keys/seal.keys.
	SealKeys persistence.Secret
	// LocalIssuer trusts tokens minted by `streamwidgets token`. Default on (see DisableLocalIssuer).
	DisableLocalIssuer bool
	// OIDC, when Issuer is set, trusts a production issuer such as Cognito.
	OIDC auth.OIDCConfig
	// CursorSecret signs list cursors; nodes behind one load balancer must
	// share it. Default: a secret created in the data dir.
	CursorSecret string
	// Cluster configures the actor cluster member.
	Cluster member.Config
	// IdleTimeout passivates unused widget grains. Default 5m.
	IdleTimeout time.Duration
	// HTTP tunes the REST API.
	HTTP httpapi.Config
	// WS hardens the real-time endpoint.
	WS ws.Config
	// Widgets tunes widget grains (rates, limits); its Store, Clock and
	// IdleTimeout are set from the fields above.
	Widgets actors.Deps
	// Clock overrides time.Now (tests).
	Clock func() time.Time
	// Integrations configures Twitch, Pretzel and Last.fm (integrations.go).
	Integrations IntegrationsConfig
}

// SessionTTL is how long a console sign-in lasts.
const SessionTTL = 12 * time.Hour

// App is a running node.
type App struct {
	cfg     Config
	log     *zap.Logger
	store   persistence.Store
	member  *member.Member
	widgets *actors.Client
	http    *fiber.App
	ws      *ws.Server
	ln      net.Listener
	Issuer  *auth.LocalIssuer
	integ   *integrationsRuntime // integrations.go
}

// New binds the API's address, then opens the store, starts the cluster
// member and builds the API; call Start to serve. It binds first so that a
// busy port fails before anything is written, and on any failure it removes
// what it created in the data dir (fresh.go): a failed start leaves no new
// signing key behind for `token` or `login-link` to sign with.
func New(cfg Config, log *zap.Logger) (*App, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "./data"
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if err := CheckClusterStore(cfg); err != nil {
		return nil, err
	}
	ln, err := listen(cfg.Addr)
	if err != nil {
		return nil, err
	}
	before := snapshotDataDir(cfg.DataDir)
	a := &App{cfg: cfg, log: log, ln: ln}
	ok := false
	defer func() {
		if !ok {
			a.close()
			_ = ln.Close()
			before.undo(log)
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("app: data dir: %w", err)
	}
	verifier, jwks, err := a.signIn()
	if err != nil {
		return nil, err
	}
	cursorKey, err := loadCursorKey(cfg.DataDir, cfg.CursorSecret)
	if err != nil {
		return nil, err
	}
	if a.store, err = OpenStore(context.Background(), cfg); err != nil {
		return nil, err
	}
	a.resealEmbedded()
	registry := kinds.Default()
	grainDeps := cfg.Widgets
	grainDeps.Store, grainDeps.Kinds, grainDeps.Clock, grainDeps.IdleTimeout = a.store, registry, cfg.Clock, cfg.IdleTimeout
	grainDeps.Logger = log
	tel := telemetry.NewNode() // /metrics: grains, relay, sockets, store latency
	grainDeps.Metrics, grainDeps.Store = &tel.Widgets, tel.Store(a.store)
	integrationOpts, err := a.openIntegrations()
	if err != nil {
		return nil, err
	}
	a.member, err = member.Start(cfg.Cluster, nil, grains.Kinds(grainDeps, integrationOpts...), log)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if err := grains.Joined(a.member, log); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	a.widgets = actors.NewClient(a.member.Cluster, cfg.Cluster.RequestTimeout)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "streamwidgets_widget_grains_active", Help: "Widget grains active on this node."},
			func() float64 { return float64(a.member.Cluster.GetClusterKind("Widget").Count()) }))
	var signIn httpapi.SignIn
	if a.Issuer != nil {
		// Redeemed tickets are claims in the store: once, across restarts and nodes.
		desk := auth.NewSignInTickets(a.Issuer, a.store)
		signIn = func(ticket string) (string, string, time.Time, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			user, err := desk.Redeem(ctx, ticket)
			if err != nil {
				if !errors.Is(err, auth.ErrTicket) {
					log.Warn("sign-in refused: the store cannot record the ticket", zap.Error(err))
				}
				return "", "", time.Time{}, err
			}
			expires := time.Now().Add(SessionTTL)
			token, err := a.Issuer.Mint(user, SessionTTL)
			return token, user, expires, err
		}
	}
	users := actors.NewUserLimits(a.member.Cluster, 0)
	a.http, err = httpapi.New(cfg.HTTP, httpapi.Deps{
		SignIn: signIn, CreateLimit: users.TakeCreate,
		Widgets: a.widgets, Store: a.store, Kinds: registry, Verifier: verifier, JWKS: jwks,
		CursorKey: cursorKey, Logger: log, Ready: a.member.Ready, Metrics: reg, Clock: cfg.Clock,
	})
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	a.ws = ws.New(cfg.WS, a.member.System, actors.ConnDeps{
		Widgets: a.widgets,
		VerifyUser: func(ctx context.Context, token string) (string, time.Time, error) {
			id, err := verifier.Verify(ctx, token)
			return id.UserID, id.ExpiresAt, err
		},
		WidgetForToken: func(ctx context.Context, token string) (string, error) {
			rec, err := a.store.GetByTokenHash(ctx, persistence.TokenHash(token))
			return rec.ID, err
		},
		AcquireUser: userConnections(users, cfg.WS.MaxConnsPerUser, log),
		ReleaseUser: func(user string, conn *actor.PID) {
			go func() { // never blocks the connection; the grain watches conn anyway
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				_ = users.Release(ctx, user, conn)
			}()
		},
	}, log)
	a.ws.Register(a.http)
	if err := tel.Register(reg, a.ws.Gauges, a.ws.Counters()); err != nil {
		return nil, fmt.Errorf("app: metrics: %w", err)
	}
	a.startIntegrations(verifier)
	overlays.Register(a.http)
	ok = true
	return a, nil
}

// OpenStore opens the configured store, sealing widget tokens with
// cfg.SealKeys; a DynamoDB store must have its tables (serve says what is
// missing instead of failing on the first write) and configured keys.
func OpenStore(ctx context.Context, cfg Config) (persistence.Store, error) {
	keys, err := sealKeys(cfg.SealKeys)
	if err != nil {
		return nil, err
	}
	switch cfg.Store {
	case "", "bolt":
		var opts []bolt.Option
		if keys != nil {
			opts = append(opts, bolt.WithTokenKeys(keys))
		}
		st, err := bolt.Open(cfg.DataDir, opts...)
		if err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		return st, nil
	case "dynamodb":
		if keys == nil {
			return nil, errNoSealKeys
		}
		db, err := dynamo.NewClient(ctx, cfg.Dynamo)
		if err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := dynamo.Check(cctx, db, cfg.Dynamo); err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		return dynamo.New(db, cfg.Dynamo, keys), nil
	default:
		return nil, fmt.Errorf("app: unknown store %q (bolt or dynamodb)", cfg.Store)
	}
}

// signIn builds the verifier from the self-hosted issuer and/or OIDC.
func (a *App) signIn() (*auth.Verifier, []byte, error) {
	var trusted []auth.Trusted
	var jwks []byte
	if !a.cfg.DisableLocalIssuer {
		iss, err := auth.LoadOrCreateLocalIssuer(a.cfg.DataDir)
		if err != nil {
			return nil, nil, fmt.Errorf("app: %w", err)
		}
		t, err := iss.Trust()
		if err != nil {
			return nil, nil, fmt.Errorf("app: %w", err)
		}
		a.Issuer, jwks, trusted = iss, iss.JWKS(), append(trusted, t)
	}
	if a.cfg.OIDC.Issuer != "" {
		t, err := auth.NewTrustedOIDC(context.Background(), a.cfg.OIDC)
		if err != nil {
			return nil, nil, fmt.Errorf("app: %w", err)
		}
		trusted = append(trusted, t)
	}
	v, err := auth.NewVerifier(trusted...)
	if err != nil {
		return nil, nil, fmt.Errorf("app: sign-in: %w (enable the local issuer or configure OIDC)", err)
	}
	return v, jwks, nil
}

// listen binds the API's address, naming the usual cause when it is taken.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot listen on %s: the address is in use (is streamwidgets already running there? stop it, or choose another --addr)", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Start serves the API in the background on the address New bound.
func (a *App) Start() error {
	ln := a.ln
	go func() {
		if err := a.http.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			a.log.Error("http server stopped", zap.Error(err))
		}
	}()
	a.log.Info("serving", zap.String("addr", ln.Addr().String()), zap.String("data", a.cfg.DataDir))
	return nil
}

// Addr is the address the API listens on (useful with port 0).
func (a *App) Addr() string { return a.ln.Addr().String() }

// Shutdown stops accepting requests, lets in-flight ones finish, stops every
// grain (their state is already persisted: grains persist before they reply)
// and closes the store, within ctx's deadline.
func (a *App) Shutdown(ctx context.Context) error {
	var errs []error
	if a.ws != nil {
		a.ws.Shutdown(ctx) // Fiber's shutdown ignores upgraded sockets
	}
	if a.http != nil {
		if err := a.http.ShutdownWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
	}
	_ = a.ln.Close() // bound by New even if Start never served it
	done := make(chan struct{})
	go func() { a.close(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("cluster shutdown: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

func (a *App) close() {
	a.stopIntegrations()
	if a.member != nil {
		a.member.Stop()
		a.member = nil
	}
	if a.store != nil {
		_ = a.store.Close()
		a.store = nil
	}
}
