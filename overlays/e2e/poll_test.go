package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPollOverlayShowsVotesLive: nothing on stream until the poll opens
// (the manager's preview shows the draft);
// votes move the bars live (one vote per voter, a second one moves it); the
// time left counts down in the page; the server's timer closes the poll and
// the winner is highlighted; a Twitch poll mirrored by sync replaces it; a
// closed poll hides itself when configured to.
func TestPollOverlayShowsVotesLive(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	poll := srv.widget("ana", `{"type":"poll","config":{"question":"What do we play next?","options":["Celeste","Hades","Tetris"]}}`)
	// The manager's preview shows the poll before it opens, so its look can be set up.
	run(t, tab, chromedp.Navigate(srv.overlayURL(poll, "preview=1")))
	waitFor(t, tab, "the draft in the preview", text("[data-testid=poll-status]")+`+"|"+`+text("[data-testid=poll-question]"), 5*time.Second,
		equals("Not open yet (preview)|What do we play next?"))
	run(t, tab, chromedp.Navigate("about:blank"), chromedp.Navigate(srv.overlayURL(poll, "")))
	waitFor(t, tab, "the idle poll", `document.querySelector(".sw-root")?.dataset.status`, 5*time.Second, equals("hidden"))
	if got := eval(t, tab, visibleText); got != "" {
		t.Fatalf("a poll not opened yet shows %q", got)
	}

	srv.act("ana", poll, "open", `{"duration_seconds":90}`)
	waitFor(t, tab, "the open poll", texts("[data-testid=poll-question], [data-testid=poll-title]"), 5*time.Second,
		equals("What do we play next?|Celeste|Hades|Tetris"))
	first := waitFor(t, tab, "the time left", text("[data-testid=poll-status]"), 5*time.Second, func(v string) bool { return strings.HasPrefix(v, "Vote now · 1:") })
	waitFor(t, tab, "the time left counting in the page", text("[data-testid=poll-status]"), 3*time.Second, func(v string) bool { return v != first })
	for _, v := range []string{`"ann",2`, `"bob",2`, `"cid",1`, `"dee",2`, `"cid",3`, `"ANN",2`} {
		voter, option, _ := strings.Cut(v, ",")
		srv.act("ana", poll, "vote", fmt.Sprintf(`{"voter":%s,"option":%s}`, voter, option))
	}
	waitFor(t, tab, "the counts", texts("[data-testid=poll-count]")+`+"|"+`+text("[data-testid=poll-total]"), 5*time.Second,
		equals("0 · 0%|3 · 75%|1 · 25%|4 votes"))
	if w := eval(t, tab, `parseFloat(document.querySelectorAll("[data-testid=poll-fill]")[1].style.width)`); w != "75" {
		t.Fatalf("Hades' bar is %s wide, want 75%%", w)
	}
	widgetShot(t, tab, "poll")

	srv.act("ana", poll, "close", `{}`)
	waitFor(t, tab, "the winner", `[...document.querySelectorAll(".poll-row.winner [data-testid=poll-title]")].map((e) => e.textContent).join("|") + "|" + `+text("[data-testid=poll-status]"),
		5*time.Second, equals("Hades|Poll closed"))

	// A short poll closed by the server's timer, with nobody voting: no winner.
	srv.act("ana", poll, "open", `{"duration_seconds":2}`)
	waitFor(t, tab, "the reopened poll", text("[data-testid=poll-total]"), 5*time.Second, equals("0 votes"))
	waitFor(t, tab, "closed by the timer", text("[data-testid=poll-status]"), 6*time.Second, equals("Poll closed"))
	if n := eval(t, tab, `String(document.querySelectorAll(".poll-row.winner").length)`); n != "0" {
		t.Fatalf("%s winners of a poll without votes", n)
	}

	// Twitch's own poll, mirrored by its integration.
	srv.act("ana", poll, "sync", `{"id":"tw-1","question":"Best boss?","status":"open","options":[
		{"id":"a","title":"Hornet","votes":12},{"id":"b","title":"<img src=x onerror=alert(1)>","votes":4}]}`)
	waitFor(t, tab, "the Twitch poll", texts("[data-testid=poll-title], [data-testid=poll-count]"), 5*time.Second,
		equals("Hornet|12 · 75%|<img src=x onerror=alert(1)>|4 · 25%"))
	if n := eval(t, tab, `String(document.querySelectorAll(".sw-root img").length)`); n != "0" {
		t.Fatal("an option was rendered as HTML")
	}
	srv.update("ana", poll, `{"config":{"hide_after_close":1}}`)
	srv.act("ana", poll, "sync", `{"id":"tw-1","question":"Best boss?","status":"closed","options":[
		{"id":"a","title":"Hornet","votes":12},{"id":"b","title":"Radiance","votes":30}]}`)
	waitFor(t, tab, "the Twitch winner", text(".poll-row.winner [data-testid=poll-title]"), 5*time.Second, equals("Radiance"))
	waitFor(t, tab, "the result hidden a second later", visibleText, 5*time.Second, equals(""))
}
