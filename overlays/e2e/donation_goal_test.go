package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// donationSocketLog keeps every message the page's sockets receive, as sent.
const donationSocketLog = `(() => {
  const Native = window.WebSocket;
  window.__received = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); this.addEventListener("message", (e) => window.__received.push(String(e.data))); }
  };
})();`

// TestDonationGoalOverlayCountsEachDonationOnce: donations from several
// sources fill the bar live, a donation delivered twice counts once, the
// latest donor is shown as text, the deduplication window never reaches
// the page, and the goal shows when it is reached.
func TestDonationGoalOverlayCountsEachDonationOnce(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: donationSocketLog}); err != nil {
		t.Fatal(err)
	}
	goal := srv.widget("ana", `{"type":"donation_goal","config":{"title":"Charity stream","target":250,"currency":"USD"}}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(goal, "")))
	waitFor(t, tab, "the empty goal", text("[data-testid=dg-label]"), 5*time.Second, equals("$0 / $250"))
	if d := eval(t, tab, display("[data-testid=dg-latest]")); d != "none" {
		t.Fatalf("a latest donor is drawn before any donation (display %q)", d)
	}

	srv.act("ana", goal, "donate", `{"source":"streamlabs","event_id":"sl-1","amount":25.5,"name":"<img src=x onerror=alert(1)>","currency":"USD"}`)
	srv.act("ana", goal, "donate", `{"source":"streamlabs","event_id":"sl-1","amount":25.5,"name":"<img src=x onerror=alert(1)>","currency":"USD"}`) // redelivered
	srv.act("ana", goal, "donate", `{"source":"streamelements","event_id":"sl-1","amount":10}`)                                                      // same id, another source
	waitFor(t, tab, "both sources, the repeat once", text("[data-testid=dg-label]")+`+"|"+`+text("[data-testid=dg-latest]"), 5*time.Second,
		equals("$35.50 / $250|Latest: Anonymous — $10"))
	srv.act("ana", goal, "donate", `{"source":"kofi","event_id":"k-77","amount":50,"name":"PixelPanda"}`)
	waitFor(t, tab, "the latest donor", text("[data-testid=dg-latest]")+`+"|"+`+text("[data-testid=dg-pct]"), 5*time.Second,
		equals("Latest: PixelPanda — $50|34%"))
	widgetShot(t, tab, "donation_goal")

	srv.act("ana", goal, "donate", `{"source":"kofi","event_id":"k-78","amount":1,"name":"<img src=x onerror=alert(1)>"}`)
	waitFor(t, tab, "markup as text", text("[data-testid=dg-who]"), 5*time.Second, equals("<img src=x onerror=alert(1)>"))
	if n := eval(t, tab, `String(document.querySelectorAll(".sw-root img").length)`); n != "0" {
		t.Fatal("a donor name was rendered as HTML")
	}
	got := eval(t, tab, `window.__received.join("\n")`)
	if !strings.Contains(got, `"current":86.5`) || strings.Contains(got, `"seen"`) {
		t.Fatalf("what the page received (want the total, never the window):\n%.2000s", got)
	}

	srv.act("ana", goal, "set", `{"value":260}`)
	waitFor(t, tab, "the goal reached", `document.querySelector(".sw-root").classList.contains("reached") + "|" + `+text("[data-testid=dg-pct]"), 5*time.Second,
		equals("true|100%"))
	srv.update("ana", goal, `{"config":{"show_latest":false}}`)
	waitFor(t, tab, "the latest donor hidden", display("[data-testid=dg-latest]"), 5*time.Second, equals("none"))
}
