package main

import (
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/streamwidgets/streamwidgets/transport/httpapi"
)

// proxyFlags are the settings for running behind a reverse proxy or load
// balancer, where every request arrives from the proxy's address.
type proxyFlags struct {
	header  *string
	trusted *string
}

func addProxyFlags(fs *flag.FlagSet) proxyFlags {
	return proxyFlags{
		header: fs.String("proxy-header", "", "header a trusted reverse proxy puts the client address in, e.g. X-Real-IP "+
			"(nginx: proxy_set_header X-Real-IP $remote_addr); per-address limits then apply per client, not per proxy"),
		trusted: fs.String("trusted-proxies", "", "comma-separated proxy addresses or CIDR ranges whose --proxy-header is believed"),
	}
}

// apply checks the flags and sets them on cfg, reporting every problem.
func (p proxyFlags) apply(cfg *httpapi.Config) []error {
	var errs []error
	cfg.ProxyHeader = strings.TrimSpace(*p.header)
	for _, s := range strings.Split(*p.trusted, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if _, err := netip.ParsePrefix(s); err != nil {
			if _, err := netip.ParseAddr(s); err != nil {
				errs = append(errs, fmt.Errorf("--trusted-proxies: %q is not an address or CIDR range", s))
				continue
			}
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, s)
	}
	if cfg.ProxyHeader != "" && len(cfg.TrustedProxies) == 0 {
		errs = append(errs, fmt.Errorf("--proxy-header needs --trusted-proxies (otherwise any client could pick its own address)"))
	}
	return errs
}

// checkListenAddr refuses an address the server could not listen on, at
// start with the other flag errors rather than after the cluster joined.
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port must be 0-65535", addr)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil && !validHostname(host) {
			return fmt.Errorf("%q: %q is not an IP address or host name", addr, host)
		}
	}
	return nil
}

func validHostname(h string) bool {
	return h != "" && strings.IndexFunc(h, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	}) < 0
}
