package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// dialer opens sockets to the service, spreading them over loopback
// source addresses when the service is on loopback (see SocketsPerAddress).
type dialer struct {
	wsURL   string
	perAddr int
	spread  bool
	next    atomic.Int64
}

func newDialer(base string, perAddr int) (*dialer, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	spread := perAddr > 0 && (host == "localhost" || (ip != nil && ip.IsLoopback() && ip.To4() != nil))
	return &dialer{wsURL: scheme + "://" + u.Host + "/ws", perAddr: perAddr, spread: spread}, nil
}

// source is the local address of the n-th socket: 127.0.0.2 for the first
// perAddr sockets, then 127.0.0.3, … (all of 127/8 is this host's loopback).
func (d *dialer) source() *net.TCPAddr {
	if !d.spread {
		return nil
	}
	k := int(d.next.Add(1)-1)/d.perAddr + 2
	return &net.TCPAddr{IP: net.IPv4(127, byte(k>>16), byte(k>>8), byte(k))}
}

func (d *dialer) dial(ctx context.Context) (*websocket.Conn, error) {
	nd := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: d.source()}
	wd := websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: 10 * time.Second,
		ReadBufferSize: 2048, WriteBufferSize: 1024}
	conn, resp, err := wd.DialContext(ctx, d.wsURL, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: HTTP %d: %w", resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	return conn, nil
}

// frame is what the tool reads of a server message.
type frame struct {
	Type      string          `json:"type"`
	WidgetID  string          `json:"widgetId"`
	Version   int64           `json:"version"`
	RequestID string          `json:"requestId"`
	Success   bool            `json:"success"`
	Code      string          `json:"code"`
	State     json.RawMessage `json:"state"`
	Widget    json.RawMessage `json:"widget"`
}

var stateUpdatePrefix = []byte(`{"type":"WIDGET_STATE_UPDATE",`)

// parseFrame decodes a server message. State updates, nearly all the
// traffic, take a fast path (the server's field order) so the client's CPU
// stays small next to the server's on a shared machine; anything else, or
// an update the fast path cannot read, goes through encoding/json.
func parseFrame(data []byte) (f frame, current int64, err error) {
	if bytes.HasPrefix(data, stateUpdatePrefix) {
		id, ok1 := stringField(data, `"widgetId":"`)
		v, ok2 := intField(data, `"version":`)
		c, ok3 := intField(data, `"current":`)
		if ok1 && ok2 && ok3 {
			return frame{Type: "WIDGET_STATE_UPDATE", WidgetID: id, Version: v}, c, nil
		}
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, 0, err
	}
	state := f.State
	if f.Type == "WIDGET_INITIAL_STATE" {
		var w struct {
			State json.RawMessage `json:"state"`
		}
		_ = json.Unmarshal(f.Widget, &w)
		state = w.State
	}
	var s struct {
		Current float64 `json:"current"`
	}
	_ = json.Unmarshal(state, &s)
	return f, int64(s.Current), nil
}

func stringField(data []byte, key string) (string, bool) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := data[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// intField reads a non-negative integer value (a goal value may be written
// as 12 or 12.0 — never, for the integers this tool sets, in exponent form).
func intField(data []byte, key string) (int64, bool) {
	i := bytes.LastIndex(data, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := data[i+len(key):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	if j == 0 || (j < len(rest) && (rest[j] == 'e' || rest[j] == 'E')) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n, err == nil
}

// conn wraps a socket with a write lock: the sender and the closer write.
type conn struct {
	ws *websocket.Conn
	mu sync.Mutex
}

func (c *conn) write(data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

// abort drops the TCP connection without a close frame, as a dead node does.
func (c *conn) abort() { _ = c.ws.NetConn().Close() }

// closeNormally sends a close frame (1000) and closes.
func (c *conn) closeNormally() {
	c.mu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.mu.Unlock()
	_ = c.ws.Close()
}

// closeCode is the close code a read error carries; 1006 for a connection
// that ended without a close frame.
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return websocket.CloseAbnormalClosure
}

func authFrame(token string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "AUTH", "token": token})
	return b
}

func subscribeFrame(widgetID string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "WIDGET_SUBSCRIBE", "widgetId": widgetID, "requestId": "sub:" + widgetID})
	return b
}

// actionFrame is goal "set" to seq, with seq as its requestId: the value
// travels in the state, so every subscriber can tell which action it sees.
func actionFrame(buf []byte, widgetID string, seq int64) []byte {
	buf = append(buf[:0], `{"type":"WIDGET_ACTION","widgetId":"`...)
	buf = append(buf, widgetID...)
	buf = append(buf, `","action":"set","payload":{"value":`...)
	buf = strconv.AppendInt(buf, seq, 10)
	buf = append(buf, `},"requestId":"`...)
	buf = strconv.AppendInt(buf, seq, 10)
	return append(buf, `"}`...)
}
