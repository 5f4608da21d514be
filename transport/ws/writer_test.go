package ws

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// allSockets are the server sides of the open sockets.
func (ts *testServer) allSockets() []*socket {
	ts.srv.mu.Lock()
	defer ts.srv.mu.Unlock()
	var out []*socket
	for s := range ts.srv.open {
		out = append(out, s)
	}
	return out
}

// TestIdleSocketsRunNoWriter: once its frames are out, a socket runs no
// writer goroutine (the server's count says so); one that cannot take its
// frames has one until it is closed.
func TestIdleSocketsRunNoWriter(t *testing.T) {
	ts := startServer(t, Config{WriteTimeout: time.Second})
	var clients []*websocket.Conn
	for range 20 {
		clients = append(clients, ts.session(dialOpts{}))
	}
	for round := range 3 {
		for _, sock := range ts.allSockets() {
			sock.Send(fmt.Appendf(nil, `{"type":"WIDGET_EVENT","widgetId":"w1","event":"e%d"}`, round), "")
		}
		for _, c := range clients {
			if m := readJSON(t, c, 3*time.Second); m["event"] != fmt.Sprint("e", round) {
				t.Fatalf("round %d: got %v", round, m)
			}
		}
	}
	eventually(t, 3*time.Second, "no writer runs for 20 idle sockets", func() bool { return ts.srv.Gauges().Writers == 0 })
	if g := ts.srv.Gauges(); runtime.GOOS == "linux" && g.Readers != 0 {
		t.Errorf("%d of 20 idle sockets have a reader goroutine; the poller reads them on Linux", g.Readers)
	}

	before := map[*socket]bool{}
	for _, s := range ts.allSockets() {
		before[s] = true
	}
	ts.session(dialOpts{readBuffer: 4096}) // never reads
	var stuck *socket
	for _, s := range ts.allSockets() {
		if !before[s] {
			stuck = s
		}
	}
	big := []byte(`{"type":"WIDGET_STATE_UPDATE","widgetId":"w1","state":{"pad":"` + strings.Repeat("x", 8000) + `"},"version":1}`)
	sawWriter := false
	deadline := time.Now().Add(6 * time.Second)
	for ts.openSockets() == 21 && time.Now().Before(deadline) {
		stuck.Send(big, "state:w1")
		if ts.srv.Gauges().Writers == 1 {
			sawWriter = true
		}
		time.Sleep(time.Millisecond)
	}
	if !sawWriter {
		t.Fatal("a socket whose client does not read never had a writer")
	}
	if ts.openSockets() != 20 {
		t.Fatal("the stuck socket was not closed")
	}
	eventually(t, 3*time.Second, "its writer ends", func() bool { return ts.srv.Gauges().Writers == 0 })
}

// TestSlowClientGetsEveryEventInOrder: a client that reads late, while its
// socket's queue backs up, gets every discrete event in the order sent;
// only state updates are coalesced (newest wins), and the last one arrives.
func TestSlowClientGetsEveryEventInOrder(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.session(dialOpts{readBuffer: 4096})
	sock := ts.onlySocket()
	pad := strings.Repeat("x", 4000)
	const events, states = 100, 400
	for i := range states {
		sock.Send(fmt.Appendf(nil, `{"type":"WIDGET_STATE_UPDATE","widgetId":"w1","version":%d,"state":{"pad":%q}}`, i+1, pad), "state:w1")
		if i%4 == 0 {
			sock.Send(fmt.Appendf(nil, `{"type":"WIDGET_EVENT","widgetId":"w1","event":"e%d"}`, i/4), "")
		}
	}
	if sock.queued() == 0 {
		t.Fatal("nothing backed up: the test does not exercise a slow client")
	}
	var got []string
	lastVersion := 0.0
	for len(got) < events || lastVersion < states {
		m := readJSON(t, conn, 5*time.Second)
		switch m["type"] {
		case "WIDGET_EVENT":
			got = append(got, m["event"].(string))
		case "WIDGET_STATE_UPDATE":
			v := m["version"].(float64)
			if v <= lastVersion {
				t.Fatalf("state %v after %v", v, lastVersion)
			}
			lastVersion = v
		}
	}
	for i, e := range got {
		if e != fmt.Sprint("e", i) {
			t.Fatalf("events out of order or missing at %d: %v", i, got)
		}
	}
	c := ts.srv.Counters()
	t.Logf("%d events in order, states coalesced %d", len(got), coalesced(c))
	if coalesced(c) == 0 {
		t.Error("no state update was coalesced although the client read late")
	}
}

// TestPingsPongsAndCloseShareTheQueue: the server's pings, its pong to a
// client ping and its answer to a client close all arrive as valid frames.
func TestPingsPongsAndCloseShareTheQueue(t *testing.T) {
	ts := startServer(t, Config{PingInterval: 50 * time.Millisecond, IdleTimeout: 5 * time.Second})
	conn := ts.session(dialOpts{})
	pings := make(chan struct{}, 100)
	conn.SetPingHandler(func(string) error { pings <- struct{}{}; return nil })
	pong := make(chan string, 1)
	conn.SetPongHandler(func(data string) error { pong <- data; return nil })
	if err := conn.WriteControl(websocket.PingMessage, []byte("hello"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	go func() { // reading runs the control handlers
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case data := <-pong:
		if data != "hello" {
			t.Errorf("pong carried %q", data)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no pong")
	}
	for range 2 {
		select {
		case <-pings:
		case <-time.After(3 * time.Second):
			t.Fatal("the server sent no pings")
		}
	}

	c2 := ts.session(dialOpts{})
	if err := c2.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if code, _ := readUntilClosed(t, c2, 3*time.Second); code != websocket.CloseNormalClosure {
		t.Errorf("close answered with %d, want 1000", code)
	}
	eventually(t, 3*time.Second, "the server lets go of the closed socket", func() bool { return ts.openSockets() == 1 })
}

// TestNoCompressionIsNegotiated: frames are written as prepared bytes,
// uncompressed, so permessage-deflate must never be agreed, even when asked.
func TestNoCompressionIsNegotiated(t *testing.T) {
	ts := startServer(t, Config{})
	d := websocket.Dialer{EnableCompression: true, HandshakeTimeout: 3 * time.Second}
	conn, resp, err := d.Dial("ws://"+ts.addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("extensions negotiated: %q", ext)
	}
	if err := conn.WriteJSON(map[string]string{"type": "AUTH", "token": widgetToken}); err != nil {
		t.Fatal(err)
	}
	_, data, err := conn.ReadMessage()
	var m map[string]any
	if err != nil || json.Unmarshal(data, &m) != nil || m["type"] != "AUTH_OK" {
		t.Fatalf("AUTH answered %q, %v", data, err)
	}
}

// TestSilentClientIsClosedForIdleness: a client that neither sends nor
// answers pings is closed with 4004 after the idle timeout (within a ping
// interval more, where the poller reads the socket).
func TestSilentClientIsClosedForIdleness(t *testing.T) {
	ts := startServer(t, Config{PingInterval: 100 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	conn := ts.session(dialOpts{})
	conn.SetPingHandler(func(string) error { return nil }) // no pongs
	start := time.Now()
	code, _ := readUntilClosed(t, conn, 3*time.Second)
	if code != 4004 {
		t.Fatalf("closed with %d, want 4004", code)
	}
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Errorf("closed after %v, before the idle timeout", took)
	}
	eventually(t, 3*time.Second, "the server lets go of the socket", func() bool { return ts.openSockets() == 0 })
}
