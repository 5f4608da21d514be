package app_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// wsClient is a real WebSocket client for the integration tests.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	// held are messages an action's wait read past (an update can arrive
	// before the action's response: they travel different paths); the next
	// await looks at them first.
	held []msg
}

type msg map[string]any

func (m msg) str(k string) string  { s, _ := m[k].(string); return s }
func (m msg) num(k string) float64 { f, _ := m[k].(float64); return f }
func (m msg) obj(k string) msg     { o, _ := m[k].(map[string]any); return o }

func (n *node) dial(origin string, readBuffer int) *wsClient {
	n.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 3 * time.Second}
	if readBuffer > 0 {
		// Set before connect: the receive window is negotiated in the handshake.
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, readBuffer)
			})
		}}
		d.NetDial = nd.Dial
	}
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, resp, err := d.Dial("ws://"+strings.TrimPrefix(n.base, "http://")+"/ws", h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		n.t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	c := &wsClient{t: n.t, conn: conn}
	n.t.Cleanup(func() { _ = conn.Close() })
	return c
}

// session dials and authenticates with token, failing the test otherwise.
func (n *node) session(token string) *wsClient {
	n.t.Helper()
	c := n.dial("", 0)
	c.send(msg{"type": "AUTH", "token": token})
	if m := c.next(); m.str("type") != "AUTH_OK" {
		n.t.Fatalf("AUTH answered %v", m)
	}
	return c
}

func (c *wsClient) send(m msg) {
	c.t.Helper()
	if err := c.conn.WriteJSON(m); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *wsClient) read(timeout time.Duration) (msg, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m msg
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("server sent non-JSON %q", data)
	}
	return m, nil
}

func (c *wsClient) next() msg {
	c.t.Helper()
	m, err := c.read(3 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// await reads until a message satisfies ok, skipping others.
func (c *wsClient) await(what string, ok func(msg) bool) msg {
	c.t.Helper()
	for i, m := range c.held {
		if ok(m) {
			c.held = append(c.held[:i:i], c.held[i+1:]...)
			return m
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	var skipped []string // what came instead, for the failure message
	for time.Now().Before(deadline) {
		m, err := c.read(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %s: %v (received meanwhile: %v)", what, err, skipped)
		}
		if ok(m) {
			return m
		}
		if len(skipped) < 20 {
			skipped = append(skipped, fmt.Sprintf("%s v%v", m.str("type"), m["version"]))
		}
	}
	c.t.Fatalf("no %s within 5s (received meanwhile: %v)", what, skipped)
	return nil
}

func (c *wsClient) awaitType(typ string) msg {
	c.t.Helper()
	return c.await(typ, func(m msg) bool { return m.str("type") == typ })
}

// expectClosed reads until the server closes and returns the close code.
func (c *wsClient) expectClosed(within time.Duration) (int, []msg) {
	c.t.Helper()
	var seen []msg
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		m, err := c.read(time.Until(deadline))
		if err == nil {
			seen = append(seen, m)
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, seen
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break
		}
		return websocket.CloseAbnormalClosure, seen
	}
	c.t.Fatalf("socket still open after %v (%d messages received)", within, len(seen))
	return 0, nil
}

// quiet asserts that nothing arrives for d.
func (c *wsClient) quiet(d time.Duration) {
	c.t.Helper()
	if m, err := c.read(d); err == nil {
		c.t.Fatalf("unexpected message %v", m)
	}
}

func dialStatus(t *testing.T, n *node, origin string) int {
	t.Helper()
	h := http.Header{}
	h.Set("Origin", origin)
	_, resp, err := websocket.DefaultDialer.Dial("ws://"+strings.TrimPrefix(n.base, "http://")+"/ws", h)
	if err == nil {
		t.Fatal("dial succeeded")
	}
	if resp == nil {
		t.Fatalf("no HTTP response: %v", err)
	}
	return resp.StatusCode
}
