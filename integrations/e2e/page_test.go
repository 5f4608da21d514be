package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamwidgets/streamwidgets/overlays/browsertest"
)

// page is one tab of a browser of its own, closed with the test; every
// step must be done within a minute.
type page struct {
	t   *testing.T
	ctx context.Context
}

func openPage(t *testing.T) *page {
	t.Helper()
	path, err := browsertest.Path()
	if err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browsertest.Options(path, t.TempDir(), 1280, 900)...)
	tab, cancel := chromedp.NewContext(alloc)
	ctx, stop := context.WithTimeout(tab, 60*time.Second)
	t.Cleanup(func() { stop(); cancel(); cancelAlloc() })
	return &page{t: t, ctx: ctx}
}

func (p *page) navigate(url string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(url)); err != nil {
		p.t.Fatal(err)
	}
}

// eval is a JavaScript expression's value as a string ("" on an error).
func (p *page) eval(js string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`String((() => { try { return `+js+` } catch (e) { return "" } })() ?? "")`))
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// waitFor polls js until its value contains want.
func (p *page) waitFor(what, js string, within time.Duration, want string) string {
	p.t.Helper()
	var last string
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if last = p.eval(js); strings.Contains(last, want) {
			return last
		}
	}
	p.t.Fatalf("waited %s for %s; last %q", within, what, last)
	return ""
}

func (p *page) click(sel string) {
	p.t.Helper()
	p.eval(`document.querySelector("` + sel + `").click() || "ok"`)
}
