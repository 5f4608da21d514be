package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

type msg map[string]any

func (m msg) str(k string) string  { s, _ := m[k].(string); return s }
func (m msg) num(k string) float64 { f, _ := m[k].(float64); return f }

// socket is one real-time session against base (a member or the load
// balancer), authenticated and subscribed to one widget.
type socket struct {
	t     *testing.T
	name  string
	base  string
	conn  *websocket.Conn
	token string
	seen  []int64 // versions received, in order
}

// dialSession opens base's /ws, authenticates with token and subscribes to
// widget id; it returns an error instead of failing (failover retries it).
func dialSession(t *testing.T, name, base, token, id string) (*socket, error) {
	d := websocket.Dialer{HandshakeTimeout: 3 * time.Second}
	conn, _, err := d.Dial("ws://"+strings.TrimPrefix(base, "http://")+"/ws", http.Header{})
	if err != nil {
		return nil, err
	}
	s := &socket{t: t, name: name, base: base, conn: conn, token: token}
	t.Cleanup(func() { _ = conn.Close() })
	if err := s.send(msg{"type": "AUTH", "token": token}); err != nil {
		return nil, err
	}
	if m, err := s.read(3 * time.Second); err != nil || m.str("type") != "AUTH_OK" {
		return nil, fmt.Errorf("%s: AUTH answered %v, %v", name, m, err)
	}
	if err := s.send(msg{"type": "WIDGET_SUBSCRIBE", "widgetId": id, "requestId": "sub"}); err != nil {
		return nil, err
	}
	m, err := s.read(6 * time.Second)
	if err != nil || m.str("type") != "WIDGET_INITIAL_STATE" {
		return nil, fmt.Errorf("%s: subscribe answered %v, %v", name, m, err)
	}
	s.record(m)
	return s, nil
}

// record notes the version of a state-carrying message: an update, or the
// full state sent on (re-)subscription.
func (s *socket) record(m msg) {
	if os.Getenv("E2E_DEBUG") != "" {
		s.t.Logf("%s %s <- %v", time.Now().Format("15:04:05.000"), s.name, m)
	}
	switch m.str("type") {
	case "WIDGET_STATE_UPDATE", "WIDGET_CONFIG_UPDATE":
		s.seen = append(s.seen, int64(m.num("version")))
	case "WIDGET_INITIAL_STATE":
		var w struct{ Version int64 }
		if raw, err := json.Marshal(m["widget"]); err == nil {
			_ = json.Unmarshal(raw, &w)
		}
		s.seen = append(s.seen, w.Version)
	}
}

func (s *socket) send(m msg) error { return s.conn.WriteJSON(m) }

func (s *socket) read(timeout time.Duration) (msg, error) {
	_ = s.conn.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := s.conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m msg
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: non-JSON frame %q", s.name, data)
	}
	return m, nil
}

// last is the newest version this socket has seen.
func (s *socket) last() int64 {
	if len(s.seen) == 0 {
		return 0
	}
	return s.seen[len(s.seen)-1]
}

// errDropped: the server sent an ERROR for the widget while the socket
// waited for updates: its subscription is gone (the grain moved and the
// connection's re-subscription failed); a client subscribes again.
var errDropped = errors.New("subscription dropped by the server")

// awaitVersion reads until a state or config update at version >= v
// arrives, recording every version seen.
func (s *socket) awaitVersion(v int64, within time.Duration) error {
	deadline := time.Now().Add(within)
	for s.last() < v {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: at version %d after %v, want %d", s.name, s.last(), within, v)
		}
		m, err := s.read(time.Until(deadline))
		if err != nil {
			return fmt.Errorf("%s: waiting for version %d: %w", s.name, v, err)
		}
		s.record(m)
		if m.str("type") == "ERROR" && m.str("widgetId") != "" {
			return fmt.Errorf("%s: %w: %s %s", s.name, errDropped, m.str("code"), m.str("message"))
		}
	}
	return nil
}

// resubscribe subscribes again on the same socket; the full state answers.
func (s *socket) resubscribe(id string) error {
	if err := s.send(msg{"type": "WIDGET_SUBSCRIBE", "widgetId": id, "requestId": "resub"}); err != nil {
		return err
	}
	deadline := time.Now().Add(6 * time.Second)
	for time.Now().Before(deadline) {
		m, err := s.read(time.Until(deadline))
		if err != nil {
			return err
		}
		s.record(m)
		if m.str("requestId") == "resub" {
			if m.str("type") != "WIDGET_INITIAL_STATE" {
				return fmt.Errorf("%s: re-subscribe answered %v", s.name, m)
			}
			return nil
		}
	}
	return fmt.Errorf("%s: no answer to the re-subscription", s.name)
}

// act sends an action and waits for its response; it returns the version
// the action produced.
func (s *socket) act(id, action string, payload msg) (int64, error) {
	req := msg{"type": "WIDGET_ACTION", "widgetId": id, "action": action, "requestId": "act"}
	if payload != nil {
		req["payload"] = payload
	}
	if err := s.send(req); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		m, err := s.read(time.Until(deadline))
		if err != nil {
			return 0, err
		}
		s.record(m)
		switch m.str("type") {
		case "WIDGET_ACTION_RESPONSE":
			if m["success"] != true {
				return 0, fmt.Errorf("%s: action %s refused: %v", s.name, action, m)
			}
			return int64(m.num("version")), nil
		case "ERROR":
			return 0, fmt.Errorf("%s: action %s: %v", s.name, action, m)
		}
	}
	return 0, fmt.Errorf("%s: no answer to %s", s.name, action)
}
