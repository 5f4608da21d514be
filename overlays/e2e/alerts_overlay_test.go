package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	alertCard = `[data-testid=alert-card]`
	alertText = `[data-testid=alert-text]`
)

// alertLogJSON is the page's own display log.
const alertLogJSON = `JSON.stringify(window.__alertLog.map((e) => [e.id, e.resumed ? "resumed" : e.skipped ? "skipped" : "shown", e.end !== null || !!e.skipped]))`

// TestAlertsOverlayShowsAcknowledgesAndPlays: an alert from an integration
// appears in OBS with its variation's text, image and sound; the OBS view
// acknowledges it shown and ended (the server logs "ended", not a
// fallback); the preview shows it too but never acknowledges or plays; a
// test alert is flagged; markup and template syntax stay text; skip takes
// an alert off at once; with only the preview open, the fallback ends it.
func TestAlertsOverlayShowsAcknowledgesAndPlays(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	media := mediaServer(t)
	parent := alertsBrowser(t)
	obs, preview := alertsTab(t, parent), alertsTab(t, parent)
	w := srv.widget("ana", fmt.Sprintf(`{"type":"alerts","config":{"duration":2.5,"gap":0.3,"max_hold":4,
		"sound_url":%q,"volume":50,"rules":[
		{"type":"cheer","min_amount":100,"template":"{name} cheered {amount} bits!","image_url":%q,"animation":"bounce"},
		{"type":"any","template":"<script>window.__pwned=1</script>{{name}}"}]}}`, media+"/ding.wav", media+"/cheer.png"))
	run(t, obs, chromedp.Navigate(srv.overlayURL(w, "")))
	run(t, preview, chromedp.Navigate(srv.overlayURL(w, "preview=1")))
	for _, tab := range []contextTab{{"obs", obs}, {"preview", preview}} {
		waitFor(t, tab.ctx, tab.name+" ready", `document.body.dataset.widget`, 5*time.Second, equals("ready"))
	}

	srv.act("ana", w, "enqueue", `{"id":"tw-1","type":"cheer","name":"Kim","amount":500,"message":"<b>gg</b> {{name}} {message}"}`)
	for _, tab := range []contextTab{{"obs", obs}, {"preview", preview}} {
		waitFor(t, tab.ctx, tab.name+": the cheer", texts(alertText+", .al-name, [data-testid=alert-message]"), 5*time.Second,
			equals("Kim cheered 500 bits!|Kim|<b>gg</b> {{name}} {message}"))
	}
	waitFor(t, obs, "the variation's image from another site", `document.querySelector("[data-testid=alert-image]").naturalWidth`, 5*time.Second, equals("300"))
	if got := eval(t, obs, `JSON.stringify(window.__plays)`); got != fmt.Sprintf(`[{"src":%q,"volume":0.5}]`, media+"/ding.wav") {
		t.Fatalf("OBS played %s, want the sound once at 50%%", got)
	}
	if got := eval(t, obs, `document.querySelectorAll(".al-message b").length`); got != "0" {
		t.Fatal("a message was rendered as HTML")
	}
	if got := eval(t, obs, `document.querySelector(".al-card").className`); !strings.Contains(got, "anim-bounce") {
		t.Fatalf("the variation's animation is not used: %q", got)
	}
	waitUntil(t, "OBS's 'shown'", 3*time.Second, func() bool {
		st := srv.alertsState("ana", w)
		return len(st.Showing) == 1 && st.Showing[0].ShownAt != nil
	})
	// The OBS view ends it after its 2.5 s and says so: the queue logs "ended".
	waitFor(t, obs, "the cheer gone", `document.querySelectorAll("`+alertCard+`").length`, 5*time.Second, equals("0"))
	waitUntil(t, "the acknowledged end", 3*time.Second, func() bool { return srv.alertsState("ana", w).outcomes() == "tw-1:ended" })
	if got := eval(t, preview, `JSON.stringify(window.__plays)`); got != "[]" {
		t.Fatalf("the preview played %s", got)
	}

	// The manager never acknowledges: not through REST either.
	if code, body := srv.ownerAct("ana", w, "ended", `{"id":"tw-1"}`); code != http.StatusForbidden {
		t.Fatalf("the owner acknowledged: %d %s", code, body)
	}

	// A test alert through the console's path, flagged; markup in a template and a name stays text.
	if code, body := srv.ownerAct("ana", w, "test", `{"type":"follow"}`); code != http.StatusOK {
		t.Fatalf("test alert: %d %s", code, body)
	}
	waitFor(t, obs, "the test alert", text(alertText)+` + "|" + document.querySelector("`+alertCard+`")?.dataset.test`, 5*time.Second,
		equals("<script>window.__pwned=1</script>{TestViewer}|true"))
	srv.act("ana", w, "enqueue", `{"id":"tw-2","type":"follow","name":"<img src=x onerror=\"window.__pwned=2\">"}`)
	waitFor(t, obs, "the markup name", text(alertText), 8*time.Second, equals(`<script>window.__pwned=1</script>{<img src=x onerror="window.__pwned=2">}`))
	if got := eval(t, obs, `[document.querySelectorAll(".sw-root script, .sw-root .al-text img").length, typeof window.__pwned].join("|")`); got != "0|undefined" {
		t.Fatalf("markup ran: %s", got)
	}
	screenshot(t, obs, "alerts-markup-as-text")

	// Skip: off the screen at once, logged as skipped.
	if code, body := srv.ownerAct("ana", w, "skip", ""); code != http.StatusOK {
		t.Fatalf("skip: %d %s", code, body)
	}
	waitFor(t, obs, "the skipped alert gone", `document.querySelectorAll("`+alertCard+`").length`, time.Second, equals("0"))
	if got := srv.alertsState("ana", w).outcomes(); !strings.HasSuffix(got, "tw-2:skipped") {
		t.Fatalf("log %s", got)
	}

	// With no OBS view, the preview shows the alert but the queue goes on
	// only by the fallback: after max_hold it is logged as unseen.
	run(t, obs, chromedp.Navigate("about:blank"))
	srv.act("ana", w, "enqueue", `{"id":"tw-3","type":"raid","name":"Rae","amount":12}`)
	waitFor(t, preview, "the raid in the preview", text(alertText), 5*time.Second, equals("<script>window.__pwned=1</script>{Rae}"))
	waitUntil(t, "the fallback", 8*time.Second, func() bool { return strings.HasSuffix(srv.alertsState("ana", w).outcomes(), "tw-3:unseen") })

	// The gallery's picture: a cheer with its image and message, over a game-like backdrop.
	shot := srv.widget("ana", fmt.Sprintf(`{"type":"alerts","config":{"duration":30,"image_url":%q,"rules":[
		{"type":"cheer","min_amount":100,"template":"{name} cheered {amount} bits!"}]}}`, media+"/star.svg"))
	run(t, obs, chromedp.Navigate(srv.overlayURL(shot, "")))
	waitFor(t, obs, "the overlay", `document.body.dataset.widget`, 5*time.Second, equals("ready"))
	srv.act("ana", shot, "enqueue", `{"id":"tw-9","type":"cheer","name":"PixelPanda","amount":1000,"message":"Clutch play! Take my bits and buy a better crosshair"}`)
	waitFor(t, obs, "the star", `document.querySelector("[data-testid=alert-image]")?.naturalWidth`, 5*time.Second, equals("360"))
	widgetShot(t, obs, "alerts")
}

type contextTab struct {
	name string
	ctx  context.Context
}

// TestAlertsOverlayResumesAcrossReconnectsAndReloads: a dropped connection
// leaves the alert on screen and it is acknowledged once back; a page loaded
// mid-alert (OBS refreshed the source) shows the rest of it, not all of it
// again; a page loaded after the alert's time ran out skips it and ends it
// at once instead of letting the queue wait for the fallback.
//
// It runs before the parallel tests, alone: its page must be back within
// the server's 3 s grace, which failed beside them at load 24.
func TestAlertsOverlayResumesAcrossReconnectsAndReloads(t *testing.T) {
	srv := startServer(t)
	obs := alertsTab(t, alertsBrowser(t))
	w := srv.widget("ana", `{"type":"alerts","config":{"duration":4,"gap":0.3,"max_hold":10}}`)
	open := func() {
		t.Helper()
		run(t, obs, chromedp.Navigate("about:blank"), chromedp.Navigate(srv.overlayURL(w, ""))) // a new document
		waitFor(t, obs, "the overlay", `document.body.dataset.widget`, 5*time.Second, equals("ready"))
	}
	appears := func(id string) time.Time {
		t.Helper()
		waitFor(t, obs, id+" on screen", `document.querySelector("`+alertCard+`")?.dataset.id`, 5*time.Second, equals(id))
		return time.Now()
	}
	ended := func(id string, within time.Duration) {
		t.Helper()
		waitUntil(t, id+" acknowledged", within, func() bool { return strings.Contains(srv.alertsState("ana", w).outcomes(), id+":ended") })
	}
	open()

	// The connection drops mid-alert: the card stays, shown once, ended once back.
	srv.act("ana", w, "enqueue", `{"id":"a1","type":"follow","name":"Ann"}`)
	appears("a1")
	time.Sleep(time.Second)
	eval(t, obs, `window.__sockets.filter((s) => s.readyState === 1).pop().close()`)
	waitFor(t, obs, "the page back", `document.body.dataset.status`, 10*time.Second, equals("open"))
	ended("a1", 6*time.Second)
	if got := eval(t, obs, alertLogJSON); got != `[["a1","shown",true]]` {
		t.Fatalf("display log %s", got)
	}

	// OBS reloads the page 1.5 s into a 4 s alert: the rest is shown, not all of it.
	srv.act("ana", w, "enqueue", `{"id":"a2","type":"follow","name":"Bob"}`)
	appears("a2")
	time.Sleep(1500 * time.Millisecond)
	reloaded := time.Now()
	open()
	waitFor(t, obs, "the rest of a2", alertLogJSON, 3*time.Second, equals(`[["a2","resumed",false]]`))
	waitFor(t, obs, "a2 over", alertLogJSON, 4*time.Second, equals(`[["a2","resumed",true]]`))
	if d := time.Since(reloaded); d > 3500*time.Millisecond {
		t.Fatalf("the resumed alert stayed %v after the reload, want the 2.5 s left", d)
	}
	ended("a2", 2*time.Second)

	// The page goes away just before a3's end and comes back after it: a3 is
	// over, so the page skips it and ends it (the fallback would wait 3 s more).
	// On a busy machine the page can take longer to come back than the
	// server's 3 s grace: then the fallback ended it first and the page's
	// skip was not exercised, so the scenario is tried again (at most 3 times).
	for attempt := 1; ; attempt++ {
		id := fmt.Sprintf("a3-%d", attempt)
		srv.act("ana", w, "enqueue", fmt.Sprintf(`{"id":%q,"type":"follow","name":"Cy"}`, id))
		time.Sleep(time.Until(appears(id).Add(3800 * time.Millisecond)))
		run(t, obs, chromedp.Navigate("about:blank"))
		time.Sleep(300 * time.Millisecond)
		open()
		if out := srv.alertsState("ana", w).outcomes(); strings.Contains(out, id+":") && !strings.Contains(out, id+":ended") {
			if attempt == 3 {
				t.Fatalf("the page never came back within the grace in 3 tries (outcomes %s)", out)
			}
			t.Logf("attempt %d: the server's fallback ended %s before the page was back (%s); again", attempt, id, out)
			waitFor(t, obs, "no card", `String(document.querySelectorAll("`+alertCard+`").length)`, 5*time.Second, equals("0"))
			continue
		}
		waitFor(t, obs, id+" skipped", alertLogJSON, 2*time.Second, equals(fmt.Sprintf(`[[%q,"skipped",true]]`, id)))
		ended(id, 1500*time.Millisecond)
		if n := eval(t, obs, `document.querySelectorAll("`+alertCard+`").length`); n != "0" {
			t.Fatalf("a finished alert is drawn again (%s cards)", n)
		}
		return
	}
}
