package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleShowsWhoWatches (issue 10, "is my overlay live?"): per widget,
// the console shows how many OBS views and manager sessions are connected,
// live, from WIDGET_VIEWERS; its own preview is not counted as OBS.
func TestConsoleShowsWhoWatches(t *testing.T) {
	t.Parallel() // its own server and browser
	srv := startServer(t)
	tab := browser(t)
	cd := srv.widget("lee", `{"type":"countdown","title":"Intro","config":{"duration":300}}`)
	srv.widget("lee", `{"type":"goal","title":"Subs","config":{"target":10}}`)
	run(t, tab, chromedp.Navigate(srv.signInLink("lee")))
	run(t, tab, chromedp.Click(`[data-testid=widget-item][data-id="`+cd.ID+`"] button`))
	waitFor(t, tab, "the countdown", text(`[data-testid=detail-title]`), 5*time.Second, equals("Intro"))

	obsCount := `document.querySelector("[data-testid=viewers-obs]").dataset.count`
	listCount := `document.querySelector('[data-testid=widget-item][data-id="` + cd.ID + `"] [data-testid=list-obs]')?.dataset.count`
	managers := `document.querySelector("[data-testid=viewers-managers]").dataset.count`
	waitFor(t, tab, "no OBS view (the preview is not one)", obsCount, 5*time.Second, equals("0"))
	if got := eval(t, tab, text(`[data-testid=viewers-obs]`)); !strings.Contains(got, "Not open in OBS") {
		t.Fatalf("with no OBS view the console says %q", got)
	}
	waitFor(t, tab, "one manager", managers, 5*time.Second, equals("1"))

	// The row is changed in place, never rebuilt: a tap that began before a
	// viewer count arrived still lands.
	row := `document.querySelector('[data-testid=widget-item][data-id="` + cd.ID + `"] button')`
	run(t, tab, chromedp.Evaluate[chromedp.Void](`void (window.rowBefore = `+row+`)`))
	first := obsTab(t, tab)
	run(t, first, chromedp.Navigate(srv.overlayURL(cd, "")))
	waitFor(t, tab, "one OBS view", obsCount, 5*time.Second, equals("1"))
	waitFor(t, tab, "the list's OBS dot", listCount, 5*time.Second, equals("1"))
	if same := eval(t, tab, `String(window.rowBefore === `+row+` && window.rowBefore.isConnected)`); same != "true" {
		t.Fatal("the widget's row in the list was rebuilt when its viewer count changed: a tap in progress is lost")
	}
	if got := eval(t, tab, text(`[data-testid=viewers-obs]`)); !strings.Contains(got, "In OBS: 1 view") {
		t.Fatalf("with one OBS view the console says %q", got)
	}
	second := obsTab(t, tab)
	run(t, second, chromedp.Navigate(srv.overlayURL(cd, "")))
	waitFor(t, tab, "two OBS views", obsCount, 5*time.Second, equals("2"))
	screenshot(t, tab, "console-in-obs")

	// Another manager session of the same user (a phone beside the PC).
	phone := newContext(t, tab)
	run(t, phone, chromedp.Navigate(srv.signInLink("lee")))
	waitFor(t, tab, "two managers", managers, 5*time.Second, equals("2"))

	// OBS drops the source: the console sees it go.
	run(t, first, chromedp.Navigate("about:blank"))
	waitFor(t, tab, "one OBS view left", obsCount, 5*time.Second, equals("1"))
	run(t, second, chromedp.Navigate("about:blank"))
	waitFor(t, tab, "no OBS view", obsCount, 5*time.Second, equals("0"))
	waitFor(t, tab, "the list's dot off", listCount, 5*time.Second, equals("0"))

	// A widget made elsewhere appears when the console's tab is looked at again.
	srv.widget("lee", `{"type":"goal","title":"Made on the phone","config":{"target":5}}`)
	run(t, tab, chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event("visibilitychange"))`))
	waitFor(t, tab, "the new widget in the list", text(`[data-testid=widget-list]`), 5*time.Second, func(v string) bool { return strings.Contains(v, "Made on the phone") })
}

// TestConsoleCountdownControls (issue 10): a duration is typed as m:ss,
// Start/Pause show which state the timer is in (x-active-when), and time is
// added or removed as m:ss through the action's inline field.
func TestConsoleCountdownControls(t *testing.T) {
	t.Parallel() // its own server and browser
	srv := startServer(t)
	tab := browser(t)
	run(t, tab, chromedp.Navigate(srv.signInLink("max")), chromedp.WaitVisible(`[data-testid=config-form]`))
	run(t, tab, chromedp.SetValue(`[data-testid=kind-select]`, "countdown"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-testid=kind-select]").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(`[data-testid=field-duration]`),
		chromedp.SetValue(`[data-testid=field-name]`, "BRB"), chromedp.SetValue(`[data-testid=field-duration]`, "1:30"),
		chromedp.Click(`[data-testid=save]`))
	waitFor(t, tab, "the preview at 01:30", previewText(overlayTime), 5*time.Second, equals("01:30"))
	if got := eval(t, tab, `document.querySelector("[data-testid=field-duration]").value`); got != "1:30" {
		t.Fatalf("the edit form shows the duration as %q", got)
	}

	pressed := `["start","pause"].map((a) => document.querySelector("[data-testid=action-" + a + "]").getAttribute("aria-pressed")).join(",")`
	waitFor(t, tab, "Pause marked while paused", pressed, 5*time.Second, equals("false,true"))
	run(t, tab, chromedp.Click(`[data-testid=action-start]`))
	waitFor(t, tab, "Start marked while running", pressed, 5*time.Second, equals("true,false"))
	waitFor(t, tab, "the preview counting", previewText(overlayTime), 5*time.Second, equals("01:29"))
	screenshot(t, tab, "console-countdown-running")
	run(t, tab, chromedp.Click(`[data-testid=action-pause]`))
	waitFor(t, tab, "Pause marked again", pressed, 5*time.Second, equals("false,true"))

	before := seconds(eval(t, tab, previewText(overlayTime)))
	run(t, tab, chromedp.SetValue(`[data-testid=payload-add_time-seconds]`, "-0:30"), chromedp.Click(`[data-testid=action-add_time]`))
	waitFor(t, tab, "30 s removed", previewText(overlayTime), 5*time.Second, func(v string) bool { return seconds(v) == before-30 })
	run(t, tab, chromedp.SetValue(`[data-testid=payload-add_time-seconds]`, "1:02:03"), chromedp.Click(`[data-testid=action-add_time]`))
	waitFor(t, tab, "1:02:03 added", previewText(overlayTime), 5*time.Second, func(v string) bool { return seconds(v) == before-30+3723 })
}
