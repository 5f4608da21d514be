package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAlertsBurstShownOnceInOrder (issue 11): 500 alerts enqueued from five
// manager sockets while the OBS page's connection drops twice, once by
// itself and once because the server restarts (every grain stops and is
// activated again from the store): every alert is shown exactly once, in the
// order each socket sent them, with the configured gap between two alerts,
// all read from the page's own display log. Alerts last 100 ms with a 20 ms
// gap so the run takes about a minute and a half. STREAMWIDGETS_ALERT_BURST
// sets another count.
func TestAlertsBurstShownOnceInOrder(t *testing.T) {
	t.Parallel()
	total := 500
	if n, err := strconv.Atoi(os.Getenv("STREAMWIDGETS_ALERT_BURST")); err == nil && n > 0 {
		total = n
	}
	const (
		sockets  = 5
		gapMs    = 20.0
		duration = 100.0
	)
	srv := startServer(t)
	tab := alertsTab(t, alertsBrowser(t))
	w := srv.widget("ana", `{"type":"alerts","config":{"duration":0.1,"gap":0.02,"max_hold":30,"animation":"fade"}}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(w, "")))
	waitFor(t, tab, "the overlay", `document.body.dataset.widget`, 5*time.Second, equals("ready"))

	// Five sockets, each sending its share in order, a little faster than
	// the alerts play, so the queue grows and drains while the page reconnects.
	per := total / sockets
	var errs lockedErrs
	var wg sync.WaitGroup
	enqueuers := make([]*enqueuer, sockets)
	started := time.Now()
	for k := range sockets {
		e := newEnqueuer(t, srv, "ana", w.ID)
		enqueuers[k] = e
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer e.close()
			for i := range per {
				p := map[string]any{"id": fmt.Sprintf("s%d-%03d", k, i), "type": "follow", "name": fmt.Sprintf("viewer%d_%d", k, i)}
				if err := e.send(p); err != nil {
					errs.add(err)
					return
				}
				time.Sleep(350 * time.Millisecond)
			}
		}()
	}
	shown := func() int {
		n, _ := strconv.Atoi(eval(t, tab, `window.__alertLog.length`))
		return n
	}

	// Reconnect 1: the page's socket drops (a network blip).
	waitUntil(t, "a tenth of the alerts", 2*time.Minute, func() bool { return shown() >= total/10 })
	if got := eval(t, tab, `(() => { const ws = window.__sockets.filter((s) => s.readyState === 1).pop(); ws.close(); return "closed" })()`); got != "closed" {
		t.Fatalf("could not drop the page's socket: %q", got)
	}
	waitFor(t, tab, "the page back", `document.body.dataset.status`, 10*time.Second, equals("open"))

	// Reconnect 2: the server restarts while the sockets still send: every
	// grain stops, the alert box is activated again from the store by
	// whoever calls it first, the senders dial again and resend.
	waitUntil(t, "a quarter of the alerts", 2*time.Minute, func() bool { return shown() >= total/4 })
	srv.stop()
	srv.start()
	waitFor(t, tab, "the page back after the restart", `document.body.dataset.status`, 20*time.Second, equals("open"))

	wg.Wait()
	for _, err := range errs.list() {
		t.Error(err)
	}
	retries := 0
	for _, e := range enqueuers {
		retries += e.retries
	}
	waitUntil(t, "every alert shown and ended", 4*time.Minute, func() bool {
		return eval(t, tab, `String(window.__alertLog.length >= `+strconv.Itoa(total)+` && window.__alertLog.every((e) => e.end !== null || e.skipped))`) == "true"
	})
	elapsed := time.Since(started)

	var log []struct {
		Seq     int64    `json:"seq"`
		ID      string   `json:"id"`
		Start   float64  `json:"start"`
		End     *float64 `json:"end"`
		Resumed bool     `json:"resumed"`
		Skipped bool     `json:"skipped"`
	}
	if err := json.Unmarshal([]byte(eval(t, tab, `JSON.stringify(window.__alertLog)`)), &log); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	last := map[string]int{} // socket -> last index shown
	var gaps, lengths []float64
	type slow struct {
		gap float64
		id  string
		at  int
	}
	var slowest []slow
	for i, e := range log {
		if e.Skipped || e.Resumed {
			t.Errorf("entry %d (%s): skipped=%v resumed=%v: the page missed part of an alert", i, e.ID, e.Skipped, e.Resumed)
			continue
		}
		seen[e.ID]++
		sock, idx, _ := strings.Cut(e.ID, "-")
		n, _ := strconv.Atoi(idx)
		if prev, ok := last[sock]; ok && n <= prev {
			t.Errorf("%s shown after %s-%03d: out of order", e.ID, sock, prev)
		}
		last[sock] = n
		if i > 0 && e.Seq <= log[i-1].Seq {
			t.Errorf("%s (play %d) shown after play %d: out of the queue's order", e.ID, e.Seq, log[i-1].Seq)
		}
		lengths = append(lengths, *e.End-e.Start)
		if i > 0 && log[i-1].End != nil {
			gap := e.Start - *log[i-1].End
			gaps = append(gaps, gap)
			slowest = append(slowest, slow{gap, e.ID, i})
			if gap < gapMs-2 { // timer granularity
				t.Errorf("%s started %.1f ms after the previous alert left, want at least the %g ms gap", e.ID, gap, gapMs)
			}
		}
	}
	for k := range sockets {
		for i := range per {
			if id := fmt.Sprintf("s%d-%03d", k, i); seen[id] != 1 {
				t.Errorf("%s shown %d times", id, seen[id])
			}
		}
	}
	if len(log) != sockets*per {
		t.Errorf("the page shows %d alerts, want %d", len(log), sockets*per)
	}
	for _, l := range lengths {
		if l < duration-5 {
			t.Errorf("an alert was on screen %.0f ms, want %g", l, duration)
			break
		}
	}
	st := srv.alertsState("ana", w)
	if st.Queued != 0 || len(st.Showing) != 0 {
		t.Errorf("the server still has %d queued and %d on screen", st.Queued, len(st.Showing))
	}
	sort.Slice(slowest, func(i, j int) bool { return slowest[i].gap > slowest[j].gap })
	for _, s := range slowest[:min(5, len(slowest))] {
		t.Logf("long gap: %.0f ms before %s (alert %d)", s.gap, s.id, s.at)
	}
	sort.Float64s(gaps)
	sort.Float64s(lengths)
	pct := func(xs []float64, p float64) float64 {
		if len(xs) == 0 {
			return 0
		}
		return xs[min(len(xs)-1, int(p*float64(len(xs))))]
	}
	t.Logf("%d alerts from %d sockets (%d resends across the restart) shown in %v: gap after an alert min %.1f / median %.1f / p99 %.1f / max %.1f ms (configured %g); on screen median %.1f ms (configured %g)",
		len(log), sockets, retries, elapsed.Round(time.Second), slices.Min(gaps), pct(gaps, .5), pct(gaps, .99), slices.Max(gaps), gapMs, pct(lengths, .5), duration)
}
