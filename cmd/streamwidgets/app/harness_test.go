package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// node is a real server on 127.0.0.1:0 with its own data dir.
type node struct {
	t    *testing.T
	app  *app.App
	base string
	logs *syncBuffer
	dir  string
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) Sync() error { return nil }
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startNode starts a node for t and stops it when t ends. Every node is
// independent (its own data dir, port, cluster member, tables), so a test
// that starts its own nodes begins with t.Parallel(); only tests that
// measure time (tick rates, worst latencies, heap growth) stay sequential,
// and run alone before the parallel ones.
func startNode(t *testing.T, mutate ...func(*app.Config)) *node {
	t.Helper()
	return startNodeIn(t, t.TempDir(), mutate...)
}

func startNodeIn(t *testing.T, dir string, mutate ...func(*app.Config)) *node {
	t.Helper()
	logs := &syncBuffer{}
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), logs, zap.DebugLevel))
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: dir}
	for _, m := range mutate {
		m(&cfg)
	}
	useTestStore(t, &cfg)
	a, err := app.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, app: a, base: "http://" + a.Addr(), logs: logs, dir: dir}
	t.Cleanup(n.stop)
	return n
}

func (n *node) stop() {
	if n.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.app.Shutdown(ctx); err != nil {
		n.t.Errorf("shutdown: %v", err)
	}
	n.app = nil
}

func (n *node) token(user string) string {
	n.t.Helper()
	tok, err := n.app.Issuer.Mint(user, time.Hour)
	if err != nil {
		n.t.Fatal(err)
	}
	return tok
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) code() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

func (r response) record(t *testing.T) persistence.Record {
	t.Helper()
	var env struct{ Data persistence.Record }
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatalf("decode record from %s: %v", r.Body, err)
	}
	return env.Data
}

func (r response) records(t *testing.T) []persistence.Record {
	t.Helper()
	var env struct{ Data []persistence.Record }
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatalf("decode records from %s: %v", r.Body, err)
	}
	return env.Data
}

func (n *node) do(method, path, token string, body any) response {
	n.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	for attempt := 1; ; attempt++ {
		r, err := n.send(method, path, token, body != nil, raw)
		// A body over the server's limit is answered 413 and the connection
		// closed at once, possibly while the client is still writing it; the
		// client then sees a write error instead of the answer: ask again.
		if err != nil && len(raw) > 64<<10 && attempt < 5 {
			continue
		}
		if err != nil {
			n.t.Fatalf("%s %s: %v", method, path, err)
		}
		return r
	}
}

func (n *node) send(method, path, token string, hasBody bool, raw []byte) (response, error) {
	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, n.base+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

func (n *node) create(token string, body any) persistence.Record {
	n.t.Helper()
	r := n.do("POST", "/records/stream_widgets", token, body)
	if r.Status != http.StatusCreated {
		n.t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return r.record(n.t)
}
