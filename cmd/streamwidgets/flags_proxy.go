package main

import (
	"flag"
	"fmt"
	"net/netip"
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
