package ws

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawUpgrade sends one hand-written upgrade request on a fresh TCP
// connection. With reset, the client closes with RST right after sending
// (gone before the reply); otherwise it reads the reply's status.
func rawUpgrade(t *testing.T, addr, request string, reset bool) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	if reset {
		_ = conn.(*net.TCPConn).SetLinger(0)
		return 0
	}
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	method, _, _ := strings.Cut(request, " ")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s reply: %v", method, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestFailedUpgradesDoNotHoldAddressSlots: upgrade requests that never
// become sockets (bad handshakes, HEAD, clients gone before the reply) must
// not keep per-address slots, or a few hundred of them lock the address out.
func TestFailedUpgradesDoNotHoldAddressSlots(t *testing.T) {
	ts := startServer(t, Config{MaxConnsPerIP: 5})
	const head = "Host: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
	const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	const version = "Sec-WebSocket-Version: 13\r\n"
	kinds := []struct {
		name    string
		request string
		reset   bool
		refused bool // the server answers with an HTTP error
	}{
		{"no Sec-WebSocket-Version", "GET /ws HTTP/1.1\r\n" + head + key + "\r\n", false, true},
		{"no Sec-WebSocket-Key", "GET /ws HTTP/1.1\r\n" + head + version + "\r\n", false, true},
		{"HEAD", "HEAD /ws HTTP/1.1\r\n" + head + key + version + "\r\n", false, true},
		{"client gone before the reply", "GET /ws HTTP/1.1\r\n" + head + key + version + "\r\n", true, false},
	}
	for _, k := range kinds {
		start := time.Now()
		for i := 0; i < 150; i++ {
			status := rawUpgrade(t, ts.addr, k.request, k.reset)
			if k.refused && status < 400 {
				t.Fatalf("%s: HTTP %d, want an error", k.name, status)
			}
		}
		t.Logf("150 × %s: %v", k.name, time.Since(start))
	}
	// Sockets of reset clients may have been upgraded: their handlers end
	// when their first read fails. Wait for that, then check what a user sees.
	waitFor(5*time.Second, func() bool { return ts.srv.ips.held("127.0.0.1") == 0 })
	for i := 0; i < 5; i++ {
		ts.session(dialOpts{}) // up to the cap, from the same address
	}
	if _, status, err := ts.dial(dialOpts{}); err == nil || status != http.StatusTooManyRequests {
		t.Fatalf("sixth socket: %v (HTTP %d), want 429", err, status)
	}
}
