// Command centrifuge-baseline is the Centrifugo-like server the load tool
// measures streamwidgets against (`streamwidgets loadtest --target
// centrifuge`, cmd/streamwidgets/loadtest/compare.sh): Centrifugo's engine
// library with Centrifugo's defaults, memory engine, HS256 connection
// tokens and one channel. See package baseline and docs/PERFORMANCE.md.
//
//	CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY=… CENTRIFUGO_HTTP_API_KEY=… centrifuge-baseline --addr 127.0.0.1:8000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamwidgets/streamwidgets/cmd/centrifuge-baseline/baseline"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "centrifuge-baseline:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var cfg baseline.Config
	fs := flag.NewFlagSet("centrifuge-baseline", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8000", "address to listen on (loopback by default)")
	// The secrets default from Centrifugo's own environment variables, so
	// scripts keep them off command lines (visible to every local user).
	fs.StringVar(&cfg.Secret, "token-hmac-secret-key", os.Getenv("CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY"),
		"HS256 key of connection tokens (default $CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY)")
	fs.StringVar(&cfg.APIKey, "api-key", os.Getenv("CENTRIFUGO_HTTP_API_KEY"), "key of POST /api/publish (default $CENTRIFUGO_HTTP_API_KEY)")
	fs.StringVar(&cfg.Channel, "channel", "stream", "the one channel clients may subscribe to")
	fs.StringVar(&cfg.PprofAddr, "pprof-addr", "", "serve net/http/pprof on this address (off by default; no sign-in)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lvl, err := zapcore.ParseLevel(*level)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	log, err := zc.Build()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	cfg.Log = log

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := baseline.Start(cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Close(sctx)
}
