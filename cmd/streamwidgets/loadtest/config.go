// Package loadtest drives a running streamwidgets service the way streams
// use it — many OBS views (widget-token sockets), manager sessions sending
// actions, widgets created over REST — and measures from the client side:
// action → WIDGET_ACTION_RESPONSE, action → WIDGET_STATE_UPDATE at every
// subscriber, deliveries per second, errors and closes by code, missing,
// duplicate and out-of-order versions, and from /metrics the server's CPU
// per delivery and memory per socket and per grain. It is `streamwidgets
// loadtest` (Main) and a library for tests (Run).
package loadtest

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"
)

// Config is one scenario. Zero values mean the profile's defaults.
type Config struct {
	// URL is the service (one node, or the load balancer of a cluster).
	URL string
	// Token returns a user JWT the service accepts for user. Main mints them
	// with the data dir's self-hosted issuer, as `streamwidgets token` does.
	Token func(user string) (string, error)
	// Profile names the defaults: one-big-stream, many-small-streams, connection-storm.
	Profile string
	// Users own the widgets; each run uses fresh user ids, so per-user
	// budgets (widget creation, sockets) start full.
	Users          int
	WidgetsPerUser int
	// ViewersPerWidget are OBS views: sockets signed in with the widget's token.
	ViewersPerWidget int
	// ManagersPerUser are manager sessions (user JWT) that subscribe to and
	// act on the user's widgets, shared round-robin. Default: enough that
	// none sends over 15 messages/s (the server's default is 20/s a socket).
	ManagersPerUser int
	// ActionRate is actions per second per widget (goal "set"), on a fixed
	// schedule (open loop): a late answer does not delay the next action.
	ActionRate float64
	// Duration of the action phase; RampUp spreads the connects before it.
	Duration time.Duration
	RampUp   time.Duration
	// StormAt, when positive, closes every viewer's socket at once this long
	// into the action phase (as a node loss does) and reconnects them all.
	StormAt time.Duration
	// Settle is how long, after the last action, subscribers may take to
	// receive the final version before it counts as lost. Default 5s.
	Settle time.Duration
	// SocketsPerAddress spreads sockets over loopback source addresses
	// (127.0.0.2, 127.0.0.3, …) with at most this many each, like viewers in
	// different homes; only for a loopback URL. 0: 90 (the server allows 100
	// per address by default); negative: one source address.
	SocketsPerAddress int
	// DialConcurrency bounds connects in flight (a storm reconnects at this
	// pace). Default 256.
	DialConcurrency int
	// Keep leaves the widgets in place after the run (default: deleted).
	Keep bool
	// PprofURL, when set, is the node's --pprof-addr as a URL: the tool
	// forces a GC there before reading memory, so the live heap it reads
	// holds no garbage (without it, per-socket heap varies by ±30%).
	PprofURL string
	// Out, when set, is a directory for samples.csv, seconds.csv and report.html.
	Out string
	// Progress gets a status line every second (nil: none).
	Progress io.Writer

	// Target is the kind of server at URL: "streamwidgets" (default) or
	// "centrifuge", the Centrifugo-like baseline (cmd/centrifuge-baseline),
	// driven with the same sockets, schedule and measures (one-big-stream
	// only): viewers speak Centrifuge's JSON protocol, Token returns their
	// connection JWT, and a publisher posts to /api/publish instead of
	// managers acting on a widget. See centrifuge_*.go.
	Target string
	// APIKey authorizes the centrifuge target's publishes.
	APIKey string
	// Channel the centrifuge target's viewers subscribe to. Default "stream".
	Channel string
}

// Targets.
const (
	TargetStreamwidgets = "streamwidgets"
	TargetCentrifuge    = "centrifuge"
)

// Profiles are the named scenarios and their defaults.
var Profiles = map[string]Config{
	"one-big-stream": {Users: 1, WidgetsPerUser: 1, ViewersPerWidget: 1000, ActionRate: 10,
		Duration: 30 * time.Second, RampUp: 5 * time.Second},
	"many-small-streams": {Users: 50, WidgetsPerUser: 20, ViewersPerWidget: 3, ActionRate: 1,
		Duration: 30 * time.Second, RampUp: 10 * time.Second},
	"connection-storm": {Users: 10, WidgetsPerUser: 10, ViewersPerWidget: 20, ActionRate: 2,
		Duration: 30 * time.Second, RampUp: 5 * time.Second, StormAt: 10 * time.Second},
}

// Limits keep a run bounded whatever the flags say.
const (
	maxSockets  = 50_000
	maxDuration = 30 * time.Minute
)

// withDefaults fills zero fields from the profile and checks the result.
func (c Config) withDefaults() (Config, error) {
	if c.Profile == "" {
		c.Profile = "one-big-stream"
	}
	p, ok := Profiles[c.Profile]
	if !ok {
		return c, fmt.Errorf("unknown profile %q: one-big-stream, many-small-streams or connection-storm", c.Profile)
	}
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setInt(&c.Users, p.Users)
	setInt(&c.WidgetsPerUser, p.WidgetsPerUser)
	setInt(&c.ViewersPerWidget, p.ViewersPerWidget)
	if c.ActionRate == 0 {
		c.ActionRate = p.ActionRate
	}
	setDur(&c.Duration, p.Duration)
	setDur(&c.RampUp, p.RampUp)
	if c.StormAt == 0 && p.StormAt > 0 {
		// The profile's storm comes at the same share of a shorter or
		// longer run (a third of it), so --duration alone always fits.
		c.StormAt = time.Duration(float64(c.Duration) * float64(p.StormAt) / float64(p.Duration))
	}
	setDur(&c.Settle, 5*time.Second)
	setInt(&c.SocketsPerAddress, 90)
	setInt(&c.DialConcurrency, 256)
	if c.ManagersPerUser == 0 {
		perUser := float64(c.WidgetsPerUser) * c.ActionRate
		c.ManagersPerUser = min(max(1, int(perUser/15)+1), c.WidgetsPerUser, 20)
	}
	var errs []error
	switch c.Target {
	case "":
		c.Target = TargetStreamwidgets
	case TargetStreamwidgets:
	case TargetCentrifuge:
		errs = append(errs, c.centrifugeErrors()...)
	default:
		errs = append(errs, fmt.Errorf("unknown --target %q: streamwidgets or centrifuge", c.Target))
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--url %q is not like http://127.0.0.1:8080", c.URL))
	}
	if c.Token == nil {
		errs = append(errs, errors.New("no way to sign users in (Token)"))
	}
	if c.Users < 1 || c.WidgetsPerUser < 1 || c.ViewersPerWidget < 0 || c.ManagersPerUser < 1 {
		errs = append(errs, errors.New("--users, --widgets-per-user and --managers-per-user must be at least 1, --viewers at least 0"))
	}
	if n := c.sockets(); n > maxSockets {
		errs = append(errs, fmt.Errorf("%d sockets: at most %d per load process (open-file limits)", n, maxSockets))
	}
	if c.ActionRate < 0 || c.ActionRate > 1000 {
		errs = append(errs, errors.New("--rate must be between 0 and 1000 actions/s per widget"))
	}
	if c.Duration <= 0 || c.Duration > maxDuration || c.RampUp < 0 || c.RampUp > maxDuration {
		errs = append(errs, fmt.Errorf("--duration must be positive and, like --ramp-up, at most %s", maxDuration))
	}
	if c.StormAt < 0 || c.StormAt >= c.Duration && c.StormAt > 0 {
		errs = append(errs, errors.New("--storm-at must fall inside --duration"))
	}
	return c, errors.Join(errs...)
}

func (c Config) widgets() int { return c.Users * c.WidgetsPerUser }

func (c Config) sockets() int {
	if c.Target == TargetCentrifuge {
		return c.ViewersPerWidget // its publisher is not a socket
	}
	return c.widgets()*c.ViewersPerWidget + c.Users*c.ManagersPerUser
}
