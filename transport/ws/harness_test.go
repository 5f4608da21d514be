package ws

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// widgetToken signs a test socket in as a read-only viewer of widget "w1"
// (no grain is needed for AUTH).
const widgetToken = "test-widget-token"

// testServer is the /ws endpoint alone on 127.0.0.1:0, with a real actor
// system and connection actors, and its logs observed.
type testServer struct {
	t    *testing.T
	srv  *Server
	addr string
	logs *observer.ObservedLogs
}

// startServer serves /ws with cfg (zero values: defaults).
func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	return startServerWith(t, cfg, actors.ConnDeps{
		VerifyUser: func(context.Context, string) (string, time.Time, error) {
			return "", time.Time{}, errors.New("no users in this test")
		},
		WidgetForToken: func(_ context.Context, token string) (string, error) {
			if token != widgetToken {
				return "", errors.New("unknown token")
			}
			return "w1", nil
		},
		Widgets: readOnlyGrains{},
	})
}

// startServerWith serves /ws with cfg and the connections' deps.
func startServerWith(t *testing.T, cfg Config, deps actors.ConnDeps) *testServer {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	srv := New(cfg, system, deps, log)
	app := fiber.New(fiber.Config{Immutable: true, DisableStartupMessage: true})
	srv.Register(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		_ = app.ShutdownWithContext(ctx)
		system.Shutdown()
	})
	return &testServer{t: t, srv: srv, addr: ln.Addr().String(), logs: logs}
}

// readOnlyGrains answers as widget grains do to a viewer: it may act only
// with its kind's acknowledgements (none here), and nothing is subscribed.
type readOnlyGrains struct{}

func (readOnlyGrains) Subscribe(context.Context, *widgetpb.Caller, string, *actor.PID) (persistence.Record, *actor.PID, error) {
	return persistence.Record{}, nil, &actors.Error{Code: actors.CodeNotFound, Message: "widget not found"}
}

func (readOnlyGrains) Unsubscribe(context.Context, string, *actor.PID) error { return nil }

func (readOnlyGrains) Act(context.Context, *widgetpb.Caller, string, string, json.RawMessage) (persistence.Record, error) {
	return persistence.Record{}, &actors.Error{Code: actors.CodeForbidden, Message: "a widget token is read-only"}
}

// dialOpts tune a test client.
type dialOpts struct {
	origin     string
	host       string // Host header to send (default: the listener address)
	readBuffer int    // client SO_RCVBUF, set before connecting
}

// dial opens a socket; it returns the HTTP status on a refused handshake.
func (ts *testServer) dial(o dialOpts) (*websocket.Conn, int, error) {
	ts.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 3 * time.Second}
	if o.readBuffer > 0 {
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.readBuffer)
			})
		}}
		d.NetDial = nd.Dial
	}
	h := http.Header{}
	if o.origin != "" {
		h.Set("Origin", o.origin)
	}
	if o.host != "" {
		h.Set("Host", o.host)
	}
	conn, resp, err := d.Dial("ws://"+ts.addr+"/ws", h)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if err == nil {
		ts.t.Cleanup(func() { _ = conn.Close() })
	}
	return conn, status, err
}

// session dials and signs in as a viewer of w1, failing the test otherwise.
func (ts *testServer) session(o dialOpts) *websocket.Conn {
	ts.t.Helper()
	conn, status, err := ts.dial(o)
	if err != nil {
		ts.t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	if err := conn.WriteJSON(map[string]string{"type": "AUTH", "token": widgetToken}); err != nil {
		ts.t.Fatalf("send AUTH: %v", err)
	}
	if m := readJSON(ts.t, conn, 3*time.Second); m["type"] != "AUTH_OK" {
		ts.t.Fatalf("AUTH answered %v", m)
	}
	return conn
}

// openSockets is how many sockets the server tracks right now.
func (ts *testServer) openSockets() int {
	ts.srv.mu.Lock()
	defer ts.srv.mu.Unlock()
	return len(ts.srv.open)
}

// readJSON reads one text message, failing the test on error.
func readJSON(t *testing.T, conn *websocket.Conn, timeout time.Duration) map[string]any {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("server sent non-JSON %q", data)
	}
	return m
}

// readUntilClosed reads until the server closes the socket and returns the
// close code (websocket.CloseAbnormalClosure if the TCP connection just
// ended) and the messages seen before it.
func readUntilClosed(t *testing.T, conn *websocket.Conn, within time.Duration) (int, []map[string]any) {
	t.Helper()
	var seen []map[string]any
	deadline := time.Now().Add(within)
	_ = conn.SetReadDeadline(deadline)
	for {
		_, data, err := conn.ReadMessage()
		if err == nil {
			var m map[string]any
			_ = json.Unmarshal(data, &m)
			seen = append(seen, m)
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, seen
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("socket still open after %v (%d messages received)", within, len(seen))
		}
		return websocket.CloseAbnormalClosure, seen
	}
}

// eventually polls cond every 10 ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !waitFor(within, cond) {
		t.Fatalf("%s: not within %v", what, within)
	}
}

// waitFor polls cond every 10 ms; it reports whether cond held within.
func waitFor(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// tcpPair is the server side of a loopback TCP connection (the client side
// is closed with the test).
func tcpPair(t *testing.T) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
