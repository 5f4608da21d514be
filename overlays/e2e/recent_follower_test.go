package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRecentFollowerOverlayAnimatesEachEvent: the card follows the events
// of its own type, ignores the others, plays its entrance for each new
// event (the same name twice too) and shows names as text.
func TestRecentFollowerOverlayAnimatesEachEvent(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	cheers := srv.widget("ana", `{"type":"recent_follower","config":{"event_type":"cheer"}}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(cheers, "")))
	waitFor(t, tab, "the empty card", texts("[data-testid=rf-title], [data-testid=rf-name]"), 5*time.Second, equals("Latest cheer|—"))
	entrances := `document.querySelector("[data-testid=rf-card]").dataset.entrances`
	if n := eval(t, tab, entrances); n != "0" {
		t.Fatalf("the first paint played %s entrances", n)
	}

	srv.act("ana", cheers, "record", `{"event_type":"cheer","name":"PixelPanda","amount":1500}`)
	waitFor(t, tab, "the cheer", texts("[data-testid=rf-name], [data-testid=rf-amount]"), 5*time.Second, func(v string) bool {
		return v == "PixelPanda|1,500 bits" || v == "PixelPanda|1500 bits"
	})
	waitFor(t, tab, "its entrance", entrances, 2*time.Second, equals("1"))
	widgetShot(t, tab, "recent_follower")

	srv.act("ana", cheers, "record", `{"event_type":"follow","name":"NotACheer"}`) // another card's event
	srv.act("ana", cheers, "record", `{"event_type":"cheer","name":"PixelPanda","amount":100}`)
	waitFor(t, tab, "the same name again, animated again", entrances+`+"|"+`+texts("[data-testid=rf-name], [data-testid=rf-amount]"), 5*time.Second,
		equals("2|PixelPanda|100 bits"))

	srv.act("ana", cheers, "set", `{"name":"<img src=x onerror=alert(1)>"}`)
	waitFor(t, tab, "markup as text", text("[data-testid=rf-name]"), 5*time.Second, equals("<img src=x onerror=alert(1)>"))
	if n := eval(t, tab, `String(document.querySelectorAll(".sw-root img").length)`); n != "0" {
		t.Fatal("a name was rendered as HTML")
	}

	// A person switches the card to tips with a currency: the old cheer is forgotten.
	srv.update("ana", cheers, `{"config":{"event_type":"tip","unit":"$","animation":"pop"}}`)
	waitFor(t, tab, "the tip card", texts("[data-testid=rf-title], [data-testid=rf-name]"), 5*time.Second, equals("Latest tip|—"))
	srv.act("ana", cheers, "record", `{"event_type":"tip","name":"Rich","amount":12.5}`)
	waitFor(t, tab, "the tip", texts("[data-testid=rf-name], [data-testid=rf-amount]"), 5*time.Second, equals("Rich|$12.50"))
	if c := eval(t, tab, `document.querySelector("[data-testid=rf-card]").className`); c != "rf-card enter-pop" {
		t.Fatalf("the configured entrance did not play: class %q", c)
	}
}
