package ws

import (
	"net/http"
	"strings"
	"testing"
)

func TestOriginNormalizes(t *testing.T) {
	cases := map[string]string{
		"https://Widgets.Example.com":      "https://widgets.example.com",
		"https://widgets.example.com:443/": "https://widgets.example.com",
		"http://127.0.0.1:8080/overlays":   "http://127.0.0.1:8080",
		"http://[::1]:80":                  "http://[::1]",
		"https://example.com:8443":         "https://example.com:8443",
	}
	for in, want := range cases {
		if got, err := Origin(in); err != nil || got != want {
			t.Errorf("Origin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "null", "example.com", "ws://example.com", "https://", "https://u:p@example.com", "https://example.com/?q=1", "https://example.com/#f"} {
		if got, err := Origin(bad); err == nil {
			t.Errorf("Origin(%q) = %q, want an error", bad, got)
		}
	}
}

func TestOriginPolicy(t *testing.T) {
	public := newOriginPolicy([]string{"https://widgets.example.com/"}, []string{"https://manager.example.com"})
	local := newOriginPolicy(nil, []string{"https://manager.example.com"})
	cases := []struct {
		name         string
		p            originPolicy
		origin, host string
		want         bool
	}{
		{"not a browser", public, "", "anything", true},
		{"public URL", public, "https://widgets.example.com", "widgets.example.com", true},
		{"public URL with its default port", public, "https://widgets.example.com:443", "internal:8080", true},
		{"allowed origin", public, "https://manager.example.com", "widgets.example.com", true},
		{"DNS rebinding: Origin equals Host", public, "http://evil.example:8080", "evil.example:8080", false},
		{"public URLs set: loopback same-host is not trusted either", public, "http://127.0.0.1:8080", "127.0.0.1:8080", false},
		{"wrong scheme", public, "http://widgets.example.com", "widgets.example.com", false},
		{"sandboxed page", public, "null", "widgets.example.com", false},
		{"local: same loopback host", local, "http://127.0.0.1:8080", "127.0.0.1:8080", true},
		{"local: localhost", local, "http://localhost:8080", "LOCALHOST:8080", true},
		{"local: IPv6 loopback", local, "http://[::1]:8080", "[::1]:8080", true},
		{"local: another loopback port", local, "http://127.0.0.1:3000", "127.0.0.1:8080", false},
		{"local: DNS rebinding", local, "http://rebind.example:8080", "rebind.example:8080", false},
		{"local: LAN address", local, "http://192.168.1.5:8080", "192.168.1.5:8080", false},
		{"local: allowed origin", local, "https://manager.example.com", "127.0.0.1:8080", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.allows(c.origin, c.host); got != c.want {
				t.Fatalf("allows(%q, host %q) = %v, want %v", c.origin, c.host, got, c.want)
			}
		})
	}
}

// TestOriginCheckIgnoresTheHostHeader: over a real socket, a page whose name
// was rebound to this server (it sends its own name as Origin and Host) is
// refused, with and without public URLs; the configured ones get through.
func TestOriginCheckIgnoresTheHostHeader(t *testing.T) {
	t.Run("public URL set", func(t *testing.T) {
		ts := startServer(t, Config{PublicURLs: []string{"https://widgets.example.com"}})
		port := ts.addr[strings.LastIndex(ts.addr, ":"):]
		if _, status, err := ts.dial(dialOpts{origin: "http://evil.example" + port, host: "evil.example" + port}); err == nil || status != http.StatusForbidden {
			t.Fatalf("rebound page: %v (HTTP %d), want 403", err, status)
		}
		if _, status, err := ts.dial(dialOpts{origin: "http://" + ts.addr}); err == nil || status != http.StatusForbidden {
			t.Fatalf("loopback page with a public URL set: %v (HTTP %d), want 403", err, status)
		}
		ts.session(dialOpts{origin: "https://widgets.example.com", host: "widgets.example.com"})
		ts.session(dialOpts{}) // not a browser
	})
	t.Run("no public URL (local development)", func(t *testing.T) {
		ts := startServer(t, Config{})
		port := ts.addr[strings.LastIndex(ts.addr, ":"):]
		if _, status, err := ts.dial(dialOpts{origin: "http://rebind.example" + port, host: "rebind.example" + port}); err == nil || status != http.StatusForbidden {
			t.Fatalf("rebound page: %v (HTTP %d), want 403", err, status)
		}
		ts.session(dialOpts{origin: "http://" + ts.addr})                                 // this server's own pages
		ts.session(dialOpts{origin: "http://localhost" + port, host: "localhost" + port}) // the same, by name
	})
}
