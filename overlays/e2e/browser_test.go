// Package e2e drives the console and the OBS overlay in a real headless
// Chromium against a real server on 127.0.0.1 (no mocks). It starts a
// protoactor cluster in-process, so CI runs it without -race.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/overlays/browsertest"
)

// server is a real node; restart keeps its data dir and address.
type server struct {
	t    *testing.T
	app  *app.App
	dir  string
	addr string
}

func startServer(t *testing.T) *server {
	s := &server{t: t, dir: t.TempDir(), addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) start() {
	s.t.Helper()
	a, err := app.New(app.Config{Addr: s.addr, DataDir: s.dir}, zap.NewNop())
	if err != nil {
		s.t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.app, s.addr = a, a.Addr()
}

func (s *server) stop() {
	if s.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.app.Shutdown(ctx)
	s.app = nil
}

func (s *server) base() string { return "http://" + s.addr }

// signInLink is what `streamwidgets login-link` prints.
func (s *server) signInLink(user string) string {
	s.t.Helper()
	ticket, err := s.app.Issuer.MintTicket(user, 15*time.Minute)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.base() + "/#signin=" + ticket
}

// browser returns a tab of its own in a fresh browser context (its own
// storage and cookies, as isolated as a browser of its own) of the shared
// headless Chromium. Do not put a timeout on this context.
func browser(t *testing.T) context.Context {
	t.Helper()
	return newContext(t, sharedBrowser(t, "plain"))
}

// browsers are started once per test process, one per flavour (extra
// flags), and shared by the tests, which may run in parallel: a Chromium
// start costs seconds of CPU, a browser context a fraction of that.
var browsers = struct {
	sync.Mutex
	byName map[string]*chromium
}{byName: map[string]*chromium{}}

type chromium struct {
	ctx    context.Context // the browser's first tab: cancelling it ends the browser
	cancel func()
	dir    string
}

// sharedBrowser returns the running browser called name, starting it with
// extra flags if it is not running (or died).
func sharedBrowser(t *testing.T, name string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	browsers.Lock()
	defer browsers.Unlock()
	if b := browsers.byName[name]; b != nil && b.ctx.Err() == nil {
		return b.ctx
	} else if b != nil {
		b.close()
	}
	path, err := browsertest.Path()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "streamwidgets-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(browsertest.Options(path, dir, 1440, 900), extra...)...)
	ctx, cancel := chromedp.NewContext(alloc)
	b := &chromium{ctx: ctx, cancel: func() { cancel(); cancelAlloc() }, dir: dir}
	if err := chromedp.Do(ctx); err != nil {
		b.close()
		t.Fatalf("start chromium: %v", err)
	}
	browsers.byName[name] = b
	return ctx
}

func (b *chromium) close() {
	b.cancel()
	_ = os.RemoveAll(b.dir)
}

// TestMain closes the shared browsers after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	browsers.Lock()
	for _, b := range browsers.byName {
		b.close()
	}
	browsers.Unlock()
	os.Exit(code)
}

// newContext opens a tab in a fresh browser context (its own storage), like
// a second browser on another machine.
func newContext(t *testing.T, parent context.Context) context.Context {
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
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

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// eval returns a JavaScript expression's string value ("" for null).
func eval(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[string](fmt.Sprintf(`String((() => { try { return %s } catch (e) { return "" } })() ?? "")`, js)))
}

// waitFor polls a JavaScript expression until ok accepts its value. A page
// that reloads itself while it is polled (the overlay does on a new #token)
// is polled again, not failed.
func waitFor(t *testing.T, ctx context.Context, what, js string, within time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		v, err := evalAcrossReloads(ctx, js)
		if err != nil {
			t.Fatal(err)
		}
		if last = v; ok(last) {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waited %v for %s; last value %q", within, what, last)
	return ""
}

// evalAcrossReloads evaluates js, answering "" while the page navigates.
func evalAcrossReloads(ctx context.Context, js string) (string, error) {
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[string](fmt.Sprintf(`String((() => { try { return %s } catch (e) { return "" } })() ?? "")`, js)))
	if err != nil && c.Err() == nil && navigating(err) {
		return "", nil
	}
	return v, err
}

// navigating tells the errors of a page being replaced mid-call.
func navigating(err error) bool {
	for _, s := range []string{"Inspected target navigated or closed", "Execution context was destroyed", "Cannot find context with specified id"} {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

func text(sel string) string {
	return fmt.Sprintf(`document.querySelector(%q)?.textContent`, sel)
}

// screenshot saves a PNG under .artifacts/browser/ at the repository root.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := get(t, ctx, chromedp.FullScreenshot(100))
	dir := filepath.Join("..", "..", ".artifacts", "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
