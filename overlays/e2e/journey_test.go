package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	overlayTime  = `[data-testid=countdown-time]`
	overlayTitle = `.cd-title`
	previewTime  = `document.querySelector("[data-testid=preview]")?.contentDocument?.querySelector("[data-testid=countdown-time]")?.textContent`
)

// seconds parses "mm:ss" or "h:mm:ss".
func seconds(s string) float64 {
	total := 0.0
	for _, part := range strings.Split(s, ":") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return math.NaN()
		}
		total = total*60 + float64(n)
	}
	return total
}

// TestStreamerJourney is what a streamer does on a first evening, in a real
// browser: sign in, create a countdown, put it in OBS, start it, survive a
// reload and a server restart, and rotate a leaked token.
func TestStreamerJourney(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	consoleTab := browser(t)
	obs := newContext(t, consoleTab) // OBS is another browser
	run(t, obs, chromedp.EmulateViewport(1920, 1080))

	// 1. Sign in with a login link, create a countdown, copy its OBS URL.
	run(t, consoleTab, chromedp.Navigate(srv.signInLink("alice")), chromedp.WaitVisible(`[data-testid=config-form]`))
	if who := eval(t, consoleTab, text(`[data-testid=who]`)); who != "Signed in as alice" {
		t.Fatalf("header says %q", who)
	}
	if strings.Contains(eval(t, consoleTab, `location.href`), "signin=") {
		t.Fatal("the one-time sign-in ticket stays in the address bar")
	}
	run(t, consoleTab,
		chromedp.SetValue(`[data-testid=kind-select]`, "countdown"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-testid=kind-select]").dispatchEvent(new Event("change"))`),
		chromedp.SendKeys(`[data-testid=field-name]`, "Starting soon"),
		chromedp.SetValue(`[data-testid=field-title]`, "Starting soon"),
		chromedp.SetValue(`[data-testid=field-text]`, "Grab a drink"),
		chromedp.SetValue(`[data-testid=field-duration]`, "300"),
		chromedp.Click(`[data-testid=save]`),
		chromedp.WaitVisible(`[data-testid=obs-url]`),
		chromedp.Click(`[data-testid=copy-url]`),
	)
	waitFor(t, consoleTab, "the copy confirmation", `document.body.innerText.includes("Copied")`, 3*time.Second, func(v string) bool { return v == "true" })
	obsURL := get(t, consoleTab, chromedp.Value(`[data-testid=obs-url]`))
	if !strings.Contains(obsURL, "/widgets/") || !strings.Contains(obsURL, "#token=") {
		t.Fatalf("OBS URL %q is not the fragment form", obsURL)
	}
	run(t, obs, chromedp.Navigate(obsURL))
	waitFor(t, obs, "the overlay to show 05:00", text(overlayTime), 5*time.Second, func(v string) bool { return v == "05:00" })
	if title := eval(t, obs, text(overlayTitle)); title != "Starting soon" {
		t.Fatalf("overlay title %q", title)
	}
	screenshot(t, obs, "overlay-ready")

	// 2. Start in the console: the overlay counts within 1 s; the console's
	//    preview and OBS each follow the server's clock within a second while
	//    running, and show the very same second once paused.
	widgetID := strings.SplitN(strings.SplitN(obsURL, "/widgets/", 2)[1], "#", 2)[0]
	run(t, consoleTab, chromedp.Click(`[data-testid=action-start]`))
	clicked := time.Now()
	running := `document.querySelector(".kind-countdown") && !document.querySelector(".kind-countdown").classList.contains("paused")`
	waitFor(t, obs, "the overlay to start counting", running, time.Second, func(v string) bool { return v == "true" })
	t.Logf("overlay running %v after the click", time.Since(clicked).Round(time.Millisecond))
	// Whole seconds round up: 04:59 shows once a full second has passed.
	waitFor(t, obs, "the overlay to show 04:59", text(overlayTime), 3*time.Second, func(v string) bool { return v == "04:59" })
	time.Sleep(2500 * time.Millisecond)
	// Under load the two tabs cannot be read at one instant, so each is
	// checked against the server's own countdown at the moment it was read.
	left := countdownLeft(t, srv, "alice", widgetID)
	for _, view := range []struct {
		name string
		tab  context.Context
		js   string
	}{{"OBS", obs, text(overlayTime)}, {"the console's preview", consoleTab, previewTime}} {
		from := time.Now()
		shown := eval(t, view.tab, view.js)
		to := time.Now()
		// The view shows ceil(time left) at some instant in [from, to].
		if got := seconds(shown); !(got >= math.Ceil(left(to))-1 && got <= math.Ceil(left(from))+1) {
			t.Fatalf("%s shows %s while the server has %.1f..%.1f s left", view.name, shown, left(from), left(to))
		}
	}
	if got := seconds(eval(t, obs, text(overlayTime))); got > 298 || got < 295 {
		t.Fatalf("after ~3 s the overlay shows %v s", got)
	}
	screenshot(t, consoleTab, "console-running")
	screenshot(t, obs, "overlay-running")

	run(t, consoleTab, chromedp.Click(`[data-testid=action-pause]`))
	paused := `document.querySelector(".kind-countdown")?.classList.contains("paused")`
	waitFor(t, obs, "the overlay paused", paused, 5*time.Second, equals("true"))
	pausedLeft := countdownLeft(t, srv, "alice", widgetID)(time.Now())
	want := fmt.Sprintf("%02d:%02d", int(math.Ceil(pausedLeft))/60, int(math.Ceil(pausedLeft))%60)
	waitFor(t, obs, "OBS at the paused second", text(overlayTime), 5*time.Second, equals(want))
	waitFor(t, consoleTab, "the preview at the paused second", previewTime, 5*time.Second, equals(want))
	run(t, consoleTab, chromedp.Click(`[data-testid=action-start]`))
	resumed := time.Now()
	waitFor(t, obs, "the overlay counting again", running, 5*time.Second, equals("true"))

	expected := func() float64 { return pausedLeft - time.Since(resumed).Seconds() }
	assertClose := func(what string) {
		t.Helper()
		got := seconds(waitFor(t, obs, what, text(overlayTime), 10*time.Second, func(v string) bool {
			return math.Abs(seconds(v)-expected()) < 1.6
		}))
		t.Logf("%s: overlay %v, expected %.1f", what, got, expected())
	}

	// 3. Reload the overlay; then restart the server under it.
	run(t, obs, chromedp.Reload())
	assertClose("time after a reload")
	srv.stop()
	waitFor(t, obs, "the overlay to notice the lost connection", `document.body.dataset.status`, 5*time.Second, func(v string) bool { return v == "reconnecting" })
	// Viewers see the widget as it was, never a "reconnecting" note (issue 10).
	if shown := eval(t, obs, `document.body.innerText`); strings.Contains(shown, "reconnecting") || !strings.Contains(shown, ":") {
		t.Fatalf("while reconnecting the stream shows %q", shown)
	}
	screenshot(t, obs, "overlay-reconnecting")
	srv.start()
	waitFor(t, obs, "the overlay to reconnect by itself", `document.body.dataset.status`, 20*time.Second, func(v string) bool { return v == "open" })
	assertClose("time after a server restart")

	// 4. Regenerate the token: the old overlay says so; the new URL works.
	run(t, consoleTab, chromedp.Reload(), chromedp.WaitVisible(`[data-testid=regenerate]`),
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), chromedp.Click(`[data-testid=regenerate]`))
	waitFor(t, obs, "the revoked message", text(`[data-testid=notice]`), 5*time.Second, func(v string) bool {
		return strings.Contains(v, "no longer works")
	})
	if d := eval(t, obs, `getComputedStyle(document.getElementById("widget")).display`); d != "none" {
		t.Fatalf("the revoked overlay still shows the old widget (display %q)", d)
	}
	if shown := eval(t, obs, `document.body.innerText.trim()`); shown != "" {
		t.Fatalf("the revoked overlay shows %q on stream (notices are for #debug)", shown)
	}
	screenshot(t, obs, "overlay-revoked")
	var fresh string
	waitFor(t, consoleTab, "the new OBS URL", `document.querySelector("[data-testid=obs-url]").value`, 5*time.Second, func(v string) bool {
		fresh = v
		return v != obsURL && strings.Contains(v, "#token=")
	})
	run(t, obs, chromedp.Navigate(fresh))
	assertClose("time on the new URL")
	if vis := eval(t, obs, `!document.querySelector("[data-testid=notice]").hidden`); vis != "false" {
		t.Fatal("the new URL still shows a notice")
	}

	// 5. Another user, signed in elsewhere, sees none of alice's widgets.
	bob := newContext(t, consoleTab)
	run(t, bob, chromedp.Navigate(srv.signInLink("bob")), chromedp.WaitVisible(`[data-testid=config-form]`))
	if n := eval(t, bob, `document.querySelectorAll("[data-testid=widget-item]").length`); n != "0" {
		t.Fatalf("bob sees %s widgets", n)
	}
	if leaked := eval(t, bob, `document.body.innerText.includes("Starting soon")`); leaked != "false" {
		t.Fatal("bob's console shows alice's widget")
	}
	screenshot(t, bob, "console-other-user")
}

// TestOverlayMessagesForBrokenLinks: a streamer who pastes a wrong URL sees
// what is wrong, not a blank source.
func TestOverlayMessagesForBrokenLinks(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := browser(t)
	run(t, tab, chromedp.EmulateViewport(1920, 1080))
	run(t, tab, chromedp.Navigate(srv.base()+"/widgets/abc"))
	waitFor(t, tab, "the missing-token message", text(`[data-testid=notice]`), 5*time.Second, func(v string) bool { return strings.Contains(v, "no token") })
	run(t, tab, chromedp.Navigate(srv.base()+"/widgets/abc#token=not-a-real-token"))
	waitFor(t, tab, "the invalid-link message", text(`[data-testid=notice]`), 5*time.Second, func(v string) bool { return strings.Contains(v, "no longer works") })
	screenshot(t, tab, "overlay-invalid-link")

	// The plan's ?token= form works too, and the token leaves the query string.
	tok, _ := srv.app.Issuer.Mint("carol", time.Hour)
	req, _ := http.NewRequest("POST", srv.base()+"/records/stream_widgets", strings.NewReader(`{"type":"goal","config":{"title":"Sub goal","target":50,"unit":"subs"}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Data struct {
			ID          string `json:"id"`
			AccessToken string `json:"access_token"`
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	run(t, tab, chromedp.Navigate(srv.base()+"/widgets/"+created.Data.ID+"?token="+created.Data.AccessToken))
	waitFor(t, tab, "the goal bar", text(`[data-testid=goal-label]`), 5*time.Second, func(v string) bool { return v == "0 / 50 subs" })
	if href := eval(t, tab, `location.search`); strings.Contains(href, "token") {
		t.Fatalf("the token stays in the query string: %q", href)
	}
	screenshot(t, tab, "overlay-goal")

	// Deleting the widget shows a clear message on the overlay.
	req, _ = http.NewRequest("DELETE", srv.base()+"/records/stream_widgets/"+created.Data.ID, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	waitFor(t, tab, "the deleted message", text(`[data-testid=notice]`), 5*time.Second, func(v string) bool { return strings.Contains(v, "deleted") })
}

// countdownLeft reads a countdown's state over REST and returns the time it
// has left at any instant, as the server counts it.
func countdownLeft(t *testing.T, srv *server, user, id string) func(time.Time) float64 {
	t.Helper()
	code, out := srv.rest(user, "GET", "/records/stream_widgets/"+id, "")
	var r struct {
		Data struct {
			State struct {
				DurationLeft float64   `json:"duration_left"`
				Enabled      bool      `json:"enabled"`
				LastTick     time.Time `json:"last_tick_timestamp"`
			} `json:"state"`
		} `json:"data"`
	}
	if err := json.Unmarshal(out, &r); code != http.StatusOK || err != nil {
		t.Fatalf("GET %s: %d %s", id, code, out)
	}
	s := r.Data.State
	return func(at time.Time) float64 {
		if !s.Enabled {
			return s.DurationLeft
		}
		return max(0, s.DurationLeft-at.Sub(s.LastTick).Seconds())
	}
}
