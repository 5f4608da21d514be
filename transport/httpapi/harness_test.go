package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/transport/auth"
)

// testAPI is the API on a real listener (127.0.0.1:0) with an embedded store
// and the self-hosted issuer. It has no cluster: routes that reach a grain are
// exercised with ids that fail ValidID (404 before any grain call) or bodies
// refused before it, which is all the transport-level tests need.
type testAPI struct {
	t      *testing.T
	app    *fiber.App
	base   string
	iss    *auth.LocalIssuer
	client *http.Client
}

// noLimits turns every rate limit off, for tests about something else.
var noLimits = Config{
	UserReads: Rate{PerSecond: -1}, UserWrites: Rate{PerSecond: -1},
	AddressReads: Rate{PerSecond: -1}, AddressWrites: Rate{PerSecond: -1}, AddressProbes: Rate{PerSecond: -1},
}

func startAPI(t *testing.T, cfg Config) *testAPI {
	t.Helper()
	dir := t.TempDir()
	iss, err := auth.LoadOrCreateLocalIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := iss.Trust()
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(trust)
	if err != nil {
		t.Fatal(err)
	}
	store, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	app, err := New(cfg, Deps{Kinds: kinds.Default(), Store: store, Verifier: v, JWKS: iss.JWKS(),
		CursorKey: make([]byte, 32), Metrics: prometheus.NewRegistry(),
		SignIn: func(string) (string, string, time.Time, error) { return "", "", time.Time{}, auth.ErrInvalidToken }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	a := &testAPI{t: t, app: app, base: "http://" + ln.Addr().String(), iss: iss,
		client: &http.Client{Transport: tr, Timeout: 20 * time.Second}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := app.ShutdownWithContext(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		// Shutdown before Serve registered the listener would leave it
		// serving: closing the listener ends Serve in every case.
		_ = ln.Close()
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return a
}

func (a *testAPI) token(user string) string {
	a.t.Helper()
	tok, err := a.iss.Mint(user, time.Hour)
	if err != nil {
		a.t.Fatal(err)
	}
	return tok
}

// reply is a finished response with its body read.
type reply struct {
	status int
	header http.Header
	body   string
}

// do sends one request; it is safe from many goroutines (errors are reported
// with t.Errorf and a zero reply).
func (a *testAPI) do(method, path, token, body string) reply {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Errorf("%s %s: %v", method, path, err)
		return reply{}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Errorf("%s %s: %v", method, path, err)
		return reply{}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Errorf("%s %s: read body: %v", method, path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// badID fails actors.ValidID, so id routes answer 404 without a grain.
var badID = strings.Repeat("x", 65)
