package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// The crowd test runs many goroutines at once; these helpers report errors
// instead of failing the test from a goroutine that is not the test's own.

// violations collects what went wrong anywhere in the crowd.
type violations struct {
	mu   sync.Mutex
	list []string
	n    int
}

func (v *violations) add(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n++
	if len(v.list) < 30 {
		v.list = append(v.list, fmt.Sprintf(format, args...))
	}
}

func (v *violations) report() (int, string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.n, strings.Join(v.list, "\n  ")
}

// restClient is one user's HTTP client. All users share one keep-alive
// pool, as they do behind a load balancer's upstream connections, so the
// server handles one user's request in buffers another's just used.
type restClient struct {
	base  string
	token string
	http  *http.Client
}

var sharedTransport = &http.Transport{MaxIdleConns: 16, MaxIdleConnsPerHost: 16, MaxConnsPerHost: 16, IdleConnTimeout: 30 * time.Second}

func newRESTClient(base, token string) *restClient {
	return &restClient{base: base, token: token, http: &http.Client{Transport: sharedTransport, Timeout: 15 * time.Second}}
}

func (c *restClient) do(method, path string, body any) (response, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}, err
}

func decodeRecord(r response) (persistence.Record, error) {
	var env struct{ Data persistence.Record }
	err := json.Unmarshal(r.Body, &env)
	return env.Data, err
}

func decodeRecords(r response) ([]persistence.Record, error) {
	var env struct{ Data []persistence.Record }
	err := json.Unmarshal(r.Body, &env)
	return env.Data, err
}

// rawSocket is a WebSocket client that returns errors.
type rawSocket struct{ conn *websocket.Conn }

func dialSocket(base, token string) (*rawSocket, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial("ws://"+strings.TrimPrefix(base, "http://")+"/ws", nil)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	s := &rawSocket{conn: conn}
	if err := s.send(msg{"type": "AUTH", "token": token}); err != nil {
		return nil, err
	}
	m, err := s.read(5 * time.Second)
	if err != nil {
		return nil, err
	}
	if m.str("type") != "AUTH_OK" {
		_ = conn.Close()
		return nil, fmt.Errorf("AUTH answered %v", m)
	}
	return s, nil
}

func (s *rawSocket) send(m msg) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return s.conn.WriteJSON(m)
}

func (s *rawSocket) read(timeout time.Duration) (msg, error) {
	_ = s.conn.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := s.conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m msg
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("non-JSON frame %q", data)
	}
	return m, nil
}

// call sends a request and reads until the reply with the same requestId.
func (s *rawSocket) call(m msg) (msg, error) {
	if err := s.send(m); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r, err := s.read(time.Until(deadline))
		if err != nil {
			return nil, err
		}
		if r.str("requestId") == m.str("requestId") {
			return r, nil
		}
	}
	return nil, errors.New("no reply within 10s")
}

func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// waitUntil polls cond until it holds or limit passes.
func waitUntil(t *testing.T, limit time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// activeGrains reads the node's widget-grain gauge from /metrics, as an operator would.
func activeGrains(t *testing.T, n *node) int {
	t.Helper()
	r := n.do("GET", "/metrics", "", nil)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if v, ok := strings.CutPrefix(line, "streamwidgets_widget_grains_active "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return int(f)
			}
		}
	}
	t.Fatalf("no widget grain gauge in /metrics (status %d)", r.Status)
	return -1
}
