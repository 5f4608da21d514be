package consoleforms

// A small copy of ../browser_test.go's harness: this package is its own test
// binary so that its test-only kind stays out of the other browser tests.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/overlays/browsertest"
)

type server struct {
	t   *testing.T
	app *app.App
}

func startServer(t *testing.T) *server {
	t.Helper()
	a, err := app.New(app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir()}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return &server{t: t, app: a}
}

func (s *server) base() string { return "http://" + s.app.Addr() }

func (s *server) signInLink(user string) string {
	s.t.Helper()
	ticket, err := s.app.Issuer.MintTicket(user, 15*time.Minute)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.base() + "/#signin=" + ticket
}

// record GETs a widget as user and decodes its data.
func (s *server) record(user, id string, into any) {
	s.t.Helper()
	tok, err := s.app.Issuer.Mint(user, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", s.base()+"/records/stream_widgets/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct{ Data json.RawMessage }
	if err := json.Unmarshal(body, &env); err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", id, resp.StatusCode, body)
	}
	if err := json.Unmarshal(env.Data, into); err != nil {
		s.t.Fatal(err)
	}
}

func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := browsertest.Path()
	if err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browsertest.Options(path, t.TempDir(), 1400, 900)...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[string](fmt.Sprintf(`String((() => { try { return %s } catch (e) { return "" } })() ?? "")`, js)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func waitFor(t *testing.T, ctx context.Context, what, js string, within time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		last = eval(t, ctx, js)
		if ok(last) {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waited %v for %s; last value %q", within, what, last)
	return ""
}

func equals(want string) func(string) bool { return func(v string) bool { return v == want } }

func contains(want string) func(string) bool {
	return func(v string) bool { return strings.Contains(v, want) }
}

func text(sel string) string { return fmt.Sprintf(`document.querySelector(%q)?.textContent`, sel) }

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "..", ".artifacts", "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
