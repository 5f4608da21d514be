package ws

import (
	"fmt"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// floodCfg: a budget of 5 frames (AUTH takes one), then 10 refusals close.
var floodCfg = Config{MessagesPerSecond: 5, MessageBurst: 5, MaxViolations: 10}

// flood writes frames with write until the socket fails or stop closes.
func flood(conn *websocket.Conn, write func(i int) error) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if write(i) != nil {
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// TestEveryFrameKindCountsAgainstTheRateLimit: binary and ping floods are
// closed (1008) like text floods, not refused one by one forever.
func TestEveryFrameKindCountsAgainstTheRateLimit(t *testing.T) {
	kinds := map[string]func(c *websocket.Conn, i int) error{
		"binary": func(c *websocket.Conn, i int) error { return c.WriteMessage(websocket.BinaryMessage, []byte{byte(i)}) },
		"ping": func(c *websocket.Conn, i int) error {
			return c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
		},
		"text": func(c *websocket.Conn, i int) error {
			return c.WriteMessage(websocket.TextMessage, []byte(`{"type":"WIDGET_ACTION","widgetId":"w1","action":"start"}`))
		},
	}
	for name, write := range kinds {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, floodCfg)
			conn := ts.session(dialOpts{})
			stop := flood(conn, func(i int) error { return write(conn, i) })
			defer stop()
			code, _ := readUntilClosed(t, conn, 5*time.Second)
			if code != protocol.ClosePolicyViolation {
				t.Fatalf("%s flood: close %d, want %d", name, code, protocol.ClosePolicyViolation)
			}
			eventually(t, 5*time.Second, "the server let go of the socket", func() bool { return ts.openSockets() == 0 })
		})
	}
}

// TestRateLimitRefusalsCarryRequestIDs: a pipelining client learns which of
// its requests were dropped.
func TestRateLimitRefusalsCarryRequestIDs(t *testing.T) {
	// A burst of 3 that never refills within the test: AUTH and two actions pass.
	ts := startServer(t, Config{MessagesPerSecond: 0.001, MessageBurst: 3, MaxViolations: 100})
	conn := ts.session(dialOpts{})
	const n = 8
	for i := 1; i <= n; i++ {
		frame := fmt.Sprintf(`{"type":"WIDGET_ACTION","widgetId":"w1","action":"start","requestId":"r%d"}`, i)
		if err := conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatal(err)
		}
	}
	answered := map[string]map[string]any{}
	for len(answered) < n {
		m := readJSON(t, conn, 3*time.Second)
		id, _ := m["requestId"].(string)
		if id == "" {
			t.Fatalf("an answer without requestId: %v", m)
		}
		answered[id] = m
	}
	for i := 1; i <= n; i++ {
		m := answered[fmt.Sprintf("r%d", i)]
		if i <= 2 {
			if m["type"] != protocol.TypeActionResponse {
				t.Errorf("r%d was within the budget but got %v", i, m)
			}
			continue
		}
		if m["type"] != protocol.TypeError || m["code"] != protocol.CodeRateLimited || m["widgetId"] != "w1" {
			t.Errorf("r%d: %v, want a rate_limited ERROR naming widget w1", i, m)
		}
	}
}

// TestRefusalsAreCappedInTheQueue: each refusal keeps its own frame up to
// the cap; past it they coalesce into one, so a flood cannot fill the queue.
func TestRefusalsAreCappedInTheQueue(t *testing.T) {
	s := newSocket(nil, 256, time.Second, nil)
	for i := 0; i < 100; i++ {
		s.SendCapped(fmt.Appendf(nil, "refusal %d", i), "refusal", maxQueuedRefusals)
	}
	s.Send([]byte("reply"), "")
	q, _, _ := s.take()
	got := frames(q)
	if len(got) != maxQueuedRefusals+2 || got[0] != "refusal 0" || got[maxQueuedRefusals] != "refusal 99" || got[len(got)-1] != "reply" {
		t.Fatalf("queue %q", got)
	}
	// The cap is per batch: once sent, refusals get their own frames again.
	s.SendCapped([]byte("refusal 100"), "refusal", maxQueuedRefusals)
	if q, _, _ := s.take(); fmt.Sprint(frames(q)) != "[refusal 100]" {
		t.Fatalf("queue after a flush %q", frames(q))
	}
}

// TestFloodCloseIsLoggedOnce: one burst, one log line, however many frames
// arrive while the close is on its way.
func TestFloodCloseIsLoggedOnce(t *testing.T) {
	ts := startServer(t, floodCfg)
	conn := ts.session(dialOpts{})
	for i := 0; i < 200; i++ {
		frame := fmt.Sprintf(`{"type":"WIDGET_ACTION","widgetId":"w1","action":"start","requestId":"r%d"}`, i)
		if err := conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			break
		}
	}
	if code, _ := readUntilClosed(t, conn, 5*time.Second); code != protocol.ClosePolicyViolation {
		t.Fatalf("close %d, want %d", code, protocol.ClosePolicyViolation)
	}
	eventually(t, 5*time.Second, "the server let go of the socket", func() bool { return ts.openSockets() == 0 })
	lines := ts.logs.FilterMessage("closing a flooding connection")
	if lines.Len() != 1 {
		t.Fatalf("%d log lines for one flood, want 1", lines.Len())
	}
	if id := lines.All()[0].ContextMap()["conn_id"]; id == nil || id == "" {
		t.Fatalf("the flood log names no connection: %v", lines.All()[0].ContextMap())
	}
}
