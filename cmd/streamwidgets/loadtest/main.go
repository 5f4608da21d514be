package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/streamwidgets/streamwidgets/transport/auth"
)

// Main is `streamwidgets loadtest`: flags, a
// progress line on stderr while it runs, the summary on stdout. It returns
// an error when the run failed its checks (lost, duplicate or out-of-order
// versions, sockets that never connected), so scripts can gate on it.
func Main(args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the service: one node, or the load balancer in front of a cluster")
	data := fs.String("data", "./data", "data directory of the service (its self-hosted issuer's key signs the load users' tokens, as `streamwidgets token`)")
	fs.StringVar(&cfg.Profile, "profile", "one-big-stream", "scenario defaults: one-big-stream, many-small-streams, connection-storm")
	fs.IntVar(&cfg.Users, "users", 0, "users owning widgets (default: the profile's)")
	fs.IntVar(&cfg.WidgetsPerUser, "widgets-per-user", 0, "goal widgets each user creates")
	fs.IntVar(&cfg.ViewersPerWidget, "viewers", 0, "OBS views (widget-token sockets) per widget")
	fs.IntVar(&cfg.ManagersPerUser, "managers-per-user", 0, "manager sessions (user JWT sockets) per user, acting on the user's widgets (default: enough for ≤15 messages/s each)")
	fs.Float64Var(&cfg.ActionRate, "rate", 0, "actions per second per widget (goal set), fixed schedule")
	fs.DurationVar(&cfg.Duration, "duration", 0, "length of the action phase")
	fs.DurationVar(&cfg.RampUp, "ramp-up", 0, "spread the connects over this long before the actions")
	fs.DurationVar(&cfg.StormAt, "storm-at", 0, "cut every viewer socket at once this far into the actions, and reconnect them all (connection-storm: a third of --duration)")
	fs.DurationVar(&cfg.Settle, "settle", 0, "after the last action, how long subscribers may take to show the final value (default 5s)")
	fs.IntVar(&cfg.SocketsPerAddress, "sockets-per-address", 0, "loopback only: spread sockets over 127.0.0.2, .3, … with at most this many each (default 90; the server allows 100 per address); -1: one address")
	fs.IntVar(&cfg.DialConcurrency, "dial-concurrency", 0, "connects in flight at once (default 256)")
	fs.StringVar(&cfg.PprofURL, "pprof", "", "the node's profiling endpoint (serve --pprof-addr), e.g. http://127.0.0.1:6060: a GC is forced there before memory is read, for exact per-socket and per-grain heap")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the widgets after the run (default: deleted)")
	fs.StringVar(&cfg.Out, "out", "", "directory for samples.csv, seconds.csv and report.html (charts)")
	fs.StringVar(&cfg.Target, "target", TargetStreamwidgets, "the server at --url: streamwidgets, or centrifuge (the Centrifugo-like baseline, cmd/centrifuge-baseline; one-big-stream only)")
	// Centrifugo's own environment variables by default, so scripts keep the secrets off command lines.
	secret := fs.String("centrifuge-secret", os.Getenv("CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY"), "centrifuge target: HS256 key of connection tokens (default $CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY)")
	fs.StringVar(&cfg.APIKey, "centrifuge-api-key", os.Getenv("CENTRIFUGO_HTTP_API_KEY"), "centrifuge target: key of its /api/publish (default $CENTRIFUGO_HTTP_API_KEY)")
	fs.StringVar(&cfg.Channel, "channel", "stream", "centrifuge target: the channel the viewers subscribe to")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: streamwidgets loadtest [flags]\n\nDrives a running service with OBS views, manager sessions and actions, and measures it from the client side.\nSee docs/PERFORMANCE.md.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.Target == TargetCentrifuge {
		if *secret == "" {
			return errors.New("--target centrifuge needs --centrifuge-secret or $CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY")
		}
		cfg.Token = centrifugeToken(*secret)
	} else {
		iss, err := auth.LoadLocalIssuer(*data)
		if err != nil {
			return fmt.Errorf("--data: %w", err)
		}
		cfg.Token = func(user string) (string, error) { return iss.Mint(user, 2*time.Hour) }
	}
	cfg.Progress = stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := Run(ctx, cfg)
	if sum != nil {
		fmt.Fprintln(stdout)
		sum.WriteText(stdout)
		if cfg.Out != "" {
			fmt.Fprintf(stdout, "report: %s\n", cfg.Out+"/report.html")
		}
	}
	if err != nil {
		return err
	}
	if !sum.Passed() {
		return errors.New("the run failed its checks (see result)")
	}
	return nil
}
