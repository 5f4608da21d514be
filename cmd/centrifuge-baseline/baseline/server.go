// Package baseline is a Centrifugo-like server built on
// github.com/centrifugal/centrifuge, the library Centrifugo wraps: one
// node, memory engine, HS256 connection tokens, one channel clients may
// subscribe to, Centrifugo's publish API and /metrics. The load tool
// (`streamwidgets loadtest --target centrifuge`) measures it side by side
// with streamwidgets; see docs/PERFORMANCE.md.
package baseline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/centrifugal/centrifuge"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Config is one server. Addr, Secret and APIKey are required.
type Config struct {
	// Addr to listen on, e.g. 127.0.0.1:8000 (port 0: any free one).
	Addr string
	// Secret is the HMAC key connection tokens are signed with (HS256),
	// Centrifugo's client.token.hmac_secret_key.
	Secret string
	// APIKey authorizes /api/publish (Centrifugo's http_api.key).
	APIKey string
	// Channel is the one channel clients may subscribe to. Default "stream".
	Channel string
	// PprofAddr, when set, serves net/http/pprof there (no sign-in: keep it
	// on loopback).
	PprofAddr string
	// PingInterval and PongTimeout: Centrifugo's client.ping_interval and
	// client.pong_timeout, defaults 25s and 8s.
	PingInterval, PongTimeout time.Duration
	// Log gets the server's and the library's logs. Default: none.
	Log *zap.Logger
}

// Server is a running baseline.
type Server struct {
	node  *centrifuge.Node
	http  *http.Server
	pprof *http.Server
	addr  string
	paddr string
	log   *zap.Logger
}

// Start listens on cfg.Addr and serves:
//
//	/connection/websocket  centrifuge's WebSocket handler (JSON or Protobuf protocol)
//	/api/publish           POST {"channel","data"} with X-API-Key
//	/metrics               Prometheus
//	/health                {}
func Start(cfg Config) (*Server, error) {
	if cfg.Addr == "" || cfg.Secret == "" || cfg.APIKey == "" {
		return nil, errors.New("baseline: an address, a token secret and an API key are required")
	}
	if cfg.Channel == "" {
		cfg.Channel = "stream"
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = centrifugoPingInterval
	}
	if cfg.PongTimeout == 0 {
		cfg.PongTimeout = centrifugoPongTimeout
	}
	if cfg.PongTimeout >= cfg.PingInterval {
		return nil, errors.New("baseline: the pong timeout must be shorter than the ping interval")
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	m, err := newMetrics()
	if err != nil {
		return nil, fmt.Errorf("baseline: metrics: %w", err)
	}
	node, err := newNode(cfg, m)
	if err != nil {
		return nil, err
	}
	if err := node.Run(); err != nil {
		return nil, fmt.Errorf("baseline: run node: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = node.Shutdown(context.Background())
		return nil, fmt.Errorf("baseline: listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/connection/websocket", centrifuge.NewWebsocketHandler(node, centrifuge.WebsocketConfig{
		WriteTimeout:     centrifugoWriteTimeout,
		MessageSizeLimit: centrifugoMessageSizeLimit,
		PingPongConfig:   centrifuge.PingPongConfig{PingInterval: cfg.PingInterval, PongTimeout: cfg.PongTimeout},
	}))
	mux.Handle("/api/publish", apiKeyAuth(cfg.APIKey, publishHandler(node, cfg.Channel, m, cfg.Log)))
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, struct{}{}) })
	s := &Server{node: node, addr: ln.Addr().String(), log: cfg.Log,
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go s.serve(s.http, ln, "http")
	if cfg.PprofAddr != "" {
		pln, err := net.Listen("tcp", cfg.PprofAddr)
		if err != nil {
			_ = s.Close(context.Background())
			return nil, fmt.Errorf("baseline: pprof listen: %w", err)
		}
		pm := http.NewServeMux()
		pm.HandleFunc("/debug/pprof/", pprof.Index)
		pm.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pm.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		pm.HandleFunc("/debug/pprof/trace", pprof.Trace)
		s.pprof = &http.Server{Handler: pm, ReadHeaderTimeout: 10 * time.Second}
		s.paddr = pln.Addr().String()
		go s.serve(s.pprof, pln, "pprof")
	}
	cfg.Log.Info("centrifuge baseline is up", zap.String("url", s.URL()), zap.String("channel", cfg.Channel),
		zap.String("pprof_addr", s.paddr))
	return s, nil
}

func (s *Server) serve(srv *http.Server, ln net.Listener, name string) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("server stopped", zap.String("server", name), zap.Error(err))
	}
}

// URL is the server's base URL, e.g. http://127.0.0.1:8000.
func (s *Server) URL() string { return "http://" + s.addr }

// PprofURL is the profiling endpoint's base URL, "" when off.
func (s *Server) PprofURL() string {
	if s.paddr == "" {
		return ""
	}
	return "http://" + s.paddr
}

// Close stops taking requests, then disconnects every client (as
// Centrifugo's shutdown: close code 3001 "shutdown", so SDKs reconnect
// elsewhere) and stops the node.
func (s *Server) Close(ctx context.Context) error {
	var errs []error
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("http: %w", err))
	}
	if s.pprof != nil {
		_ = s.pprof.Shutdown(ctx)
	}
	if err := s.node.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("node: %w", err))
	}
	return errors.Join(errs...)
}
