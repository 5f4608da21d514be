// Command streamwidgets runs the stream widgets service.
//
//	streamwidgets serve [flags]   run a node (see `streamwidgets serve --help`)
//	streamwidgets token [flags]   print a signed user token for the self-hosted issuer
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/loadtest"
)

const usage = `streamwidgets runs live-stream overlay widgets.

Commands:
  serve        run a node (default: single node, embedded store in ./data, local sign-in)
  token        print a user token signed by the node's self-hosted issuer (for scripts)
  login-link   print a one-time link that signs a user in to the manager console
  migrate      create the DynamoDB tables, indexes and TTL (--store dynamodb); idempotent
  loadtest     drive a running service with viewers and actions and measure it (docs/PERFORMANCE.md)

Run "streamwidgets COMMAND --help" for a command's flags. Every flag can also
be set as an environment variable STREAMWIDGETS_<FLAG>, e.g. STREAMWIDGETS_ADDR.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "token":
		err = token(os.Args[2:], os.Stdout)
	case "migrate":
		err = migrate(os.Args[2:], os.Stdout)
	case "login-link":
		err = loginLink(os.Args[2:], os.Stdout)
	case "loadtest":
		err = loadtest.Main(os.Args[2:], os.Stdout, os.Stderr)
	case "-h", "-help", "--help", "help":
		if len(os.Args) > 2 && os.Args[1] == "help" { // help COMMAND
			os.Args = []string{os.Args[0], os.Args[2], "--help"}
			main()
			return
		}
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "streamwidgets:", err)
		if ue := (usageError{}); errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "(streamwidgets %s --help lists every flag)\n", ue.cmd)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// browserURL is the address a browser on this machine uses for addr.
func browserURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// selfCommand is how the user started us: `go run` builds into a temp dir.
func selfCommand() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/streamwidgets"
	}
	return os.Args[0]
}

func serve(args []string) error {
	cfg, opts, err := parseServe(args)
	if err != nil {
		return err
	}
	log, err := newLogger(opts.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	_, stopPprof, err := startPprof(opts.pprofAddr, log)
	if err != nil {
		return fmt.Errorf("--pprof-addr: %w", err)
	}
	defer stopPprof()
	a, err := app.New(cfg, log)
	if err != nil {
		return err
	}
	// Before the API serves: a SIGTERM just after /readyz answered must shut
	// down gracefully, not kill the process (the default action).
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if err := a.Start(); err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}
	if a.Issuer != nil {
		fmt.Fprintf(os.Stderr, "streamwidgets is up at %s\nSign in to the manager with the link this prints:\n  %s login-link --data %s --url %s --user YOUR_NAME\n",
			browserURL(a.Addr()), selfCommand(), cfg.DataDir, browserURL(a.Addr()))
	}
	var exit error
	select {
	case sig := <-stop:
		log.Info("shutting down", zap.String("signal", sig.String()))
	case <-a.Evicted():
		// Exit non-zero: a supervisor restarts the process as a new member.
		exit = errors.New("evicted from the cluster by the other members: exiting to rejoin as a new member")
		log.Error("shutting down", zap.Error(exit))
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.shutdownTimeout)
	defer cancel()
	start := time.Now()
	err = a.Shutdown(ctx)
	log.Info("stopped", zap.Duration("took", time.Since(start)), zap.Error(err))
	return errors.Join(exit, err)
}
