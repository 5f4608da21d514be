package httpapi

import (
	"net/http"
	"testing"
)

// doFrom sends a GET that a proxy forwarded for client.
func (a *testAPI) doFrom(client, path string) int {
	a.t.Helper()
	req, err := http.NewRequest("GET", a.base+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("X-Real-IP", client)
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestClientsBehindATrustedProxyHaveTheirOwnLimits: behind nginx every
// request comes from the proxy; with its header trusted, one flooding
// client is limited and the others are not.
func TestClientsBehindATrustedProxyHaveTheirOwnLimits(t *testing.T) {
	cfg := noLimits
	cfg.AddressReads = Rate{PerSecond: 0.1, Burst: 3}
	cfg.ProxyHeader, cfg.TrustedProxies = "X-Real-IP", []string{"127.0.0.1"}
	a := startAPI(t, cfg)
	for range 3 {
		a.doFrom("203.0.113.7", "/kinds")
	}
	if got := a.doFrom("203.0.113.7", "/kinds"); got != http.StatusTooManyRequests {
		t.Fatalf("the flooding client's 4th read: %d, want 429", got)
	}
	if got := a.doFrom("198.51.100.2", "/kinds"); got != http.StatusOK {
		t.Fatalf("another client behind the same proxy: %d, want 200", got)
	}
}

// TestAProxyHeaderFromAnUntrustedPeerIsIgnored: a client that sends the
// header itself does not get a fresh address per request.
func TestAProxyHeaderFromAnUntrustedPeerIsIgnored(t *testing.T) {
	cfg := noLimits
	cfg.AddressReads = Rate{PerSecond: 0.1, Burst: 3}
	cfg.ProxyHeader, cfg.TrustedProxies = "X-Real-IP", []string{"10.0.0.0/8"}
	a := startAPI(t, cfg)
	codes := map[int]int{}
	for i := range 6 {
		codes[a.doFrom("203.0.113."+string(rune('1'+i)), "/kinds")]++
	}
	if codes[http.StatusTooManyRequests] != 3 {
		t.Fatalf("6 reads with a spoofed header each: %v, want 3 refused", codes)
	}
}

func TestAProxyHeaderNeedsTrustedProxies(t *testing.T) {
	cfg := noLimits
	cfg.ProxyHeader = "X-Real-IP"
	if _, err := New(cfg, Deps{CursorKey: make([]byte, 32)}); err == nil {
		t.Fatal("a proxy header without trusted proxies was accepted")
	}
}
