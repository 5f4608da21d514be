package ws

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Origin returns the browser origin of a URL: "scheme://host[:port]" in
// lower case, without a default port (80 for http, 443 for https), which is
// how browsers send the Origin header. Only http and https URLs have one.
func Origin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("ws: origin of %q: %w", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("ws: origin of %q: want an http or https URL", raw)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("ws: origin of %q: want scheme://host[:port][/path], no user, query or fragment", raw)
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		host = strings.TrimSuffix(host, ":"+port)
	}
	return scheme + "://" + host, nil
}

// originPolicy decides which browser pages may open sockets (cross-site
// WebSocket hijacking is a browser attack: requests without an Origin
// header come from other clients and are allowed).
//
// With public URLs configured, an Origin must be one of theirs or of the
// allowed origins; the Host header is never trusted, since DNS rebinding
// makes a hostile page send its own name as both Origin and Host. Without
// public URLs (local development), a page may also open sockets when its
// origin is this very host AND that host is loopback (localhost, 127.0.0.0/8,
// ::1): a rebound name is never a loopback literal.
type originPolicy struct {
	allowed        map[string]bool
	sameHostIfLoop bool
}

// newOriginPolicy normalizes the configured URLs; invalid ones (the command
// line refuses them) match nothing.
func newOriginPolicy(publicURLs, allowedOrigins []string) originPolicy {
	p := originPolicy{allowed: map[string]bool{}, sameHostIfLoop: len(publicURLs) == 0}
	for _, raw := range append(append([]string(nil), publicURLs...), allowedOrigins...) {
		if o, err := Origin(raw); err == nil {
			p.allowed[o] = true
		}
	}
	return p
}

// allows reports whether a request with this Origin header, sent to host
// (the Host header), may open a socket.
func (p originPolicy) allows(origin, host string) bool {
	if origin == "" {
		return true // not a browser
	}
	o, err := Origin(origin)
	if err != nil {
		return false // e.g. "null" from a sandboxed page or a file
	}
	if p.allowed[o] {
		return true
	}
	return p.sameHostIfLoop && sameLoopbackHost(origin, host)
}

// sameLoopbackHost: origin's host[:port] equals host, and it is loopback.
func sameLoopbackHost(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || !strings.EqualFold(u.Host, host) {
		return false
	}
	return isLoopback(u.Hostname())
}

func isLoopback(hostname string) bool {
	if strings.EqualFold(hostname, "localhost") {
		return true
	}
	ip := net.ParseIP(hostname)
	return ip != nil && ip.IsLoopback()
}
