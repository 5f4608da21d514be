package main

import (
	"errors"
	"flag"
	"fmt"
	"net"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
)

// capsFlags are the per-widget and per-connection caps a big stream or a
// load test runs into (docs/PERFORMANCE.md "Sizing a node"). The defaults
// suit a node of small streams; raise them for one stream with thousands
// of OBS views.
func capsFlags(fs *flag.FlagSet, cfg *app.Config) {
	fs.IntVar(&cfg.Widgets.MaxSubscribers, "max-viewers-per-widget", 1000,
		"sessions (OBS views and manager tabs) one widget may have subscribed at once; more are refused with too_many_subscribers")
	fs.Float64Var(&cfg.Widgets.ActionsPerSecond, "widget-actions-per-second", 20,
		"each widget's action budget, sustained actions per second, for actions whose kind sets no rate of its own (refused past it: rate_limited)")
	fs.IntVar(&cfg.Widgets.ActionBurst, "widget-action-burst", 40, "each widget's action budget: actions at once (the bucket size)")
	fs.IntVar(&cfg.WS.MaxConnsPerIP, "ws-max-conns-per-address", 100,
		"WebSockets open at once from one client address (behind a proxy, see --proxy-header); more are refused with 429 / close 4003")
	fs.IntVar(&cfg.WS.MaxConnsPerUser, "ws-max-conns-per-user", 20,
		"WebSockets one signed-in user may have open at once, on all nodes (OBS views with a widget token do not count)")
	fs.Float64Var(&cfg.WS.MessagesPerSecond, "ws-messages-per-second", 20,
		"messages one WebSocket may send per second, sustained (past it: ERROR rate_limited; 20 refusals in a minute close it)")
	fs.IntVar(&cfg.WS.MessageBurst, "ws-message-burst", 40, "messages one WebSocket may send at once (the bucket size)")
}

// checkCaps reports every cap that is not positive.
func checkCaps(cfg app.Config) []error {
	var errs []error
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"max-viewers-per-widget", cfg.Widgets.MaxSubscribers >= 1},
		{"widget-actions-per-second", cfg.Widgets.ActionsPerSecond > 0},
		{"widget-action-burst", cfg.Widgets.ActionBurst >= 1},
		{"ws-max-conns-per-address", cfg.WS.MaxConnsPerIP >= 1},
		{"ws-max-conns-per-user", cfg.WS.MaxConnsPerUser >= 1},
		{"ws-messages-per-second", cfg.WS.MessagesPerSecond > 0},
		{"ws-message-burst", cfg.WS.MessageBurst >= 1},
	} {
		if !c.ok {
			errs = append(errs, fmt.Errorf("--%s must be positive", c.name))
		}
	}
	return errs
}

// checkPprofAddr accepts an empty address (profiling off) or HOST:PORT. The
// endpoint has no sign-in: an address every client can reach is refused.
func checkPprofAddr(addr string) error {
	if addr == "" {
		return nil
	}
	if err := checkListenAddr(addr); err != nil {
		return fmt.Errorf("--pprof-addr: %w", err)
	}
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return errors.New("--pprof-addr: profiles have no sign-in; bind a loopback or internal address (e.g. 127.0.0.1:6060), not every interface")
	}
	return nil
}
