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
}

type contextTab struct {
	name string
	ctx  context.Context
}
