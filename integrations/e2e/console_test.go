package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
	"github.com/streamwidgets/streamwidgets/overlays/browsertest"
)

// TestConsoleConnectsTwitchAndShowsARevocation: in a real browser the
// streamer opens Integrations, sees what Twitch will be asked for, presses
// Connect Twitch, approves on (the fake) Twitch and lands back in the
// manager with the connection running; when they revoke access on Twitch,
// the panel says so and what to do.
func TestConsoleConnectsTwitchAndShowsARevocation(t *testing.T) {
	path, err := browsertest.Path()
	if err != nil {
		t.Fatal(err)
	}
	fake := twitchfake.New(t)
	fake.AddUser(twitchfake.User{ID: "100", Login: "anastreams", DisplayName: "AnaStreams"})
	n := startNode(t, fake)
	ticket, err := n.app.Issuer.MintTicket("ana", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browsertest.Options(path, t.TempDir(), 1280, 900)...)
	defer cancelAlloc()
	tab, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, stop := context.WithTimeout(tab, 60*time.Second)
	defer stop()
	eval := func(js string) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String((() => { try { return `+js+` } catch (e) { return "" } })() ?? "")`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	waitFor := func(what, js string, within time.Duration, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(within)
		var last string
		for time.Now().Before(deadline) {
			if last = eval(js); ok(last) {
				return last
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("waited %s for %s; last %q", within, what, last)
		return ""
	}
	has := func(sub string) func(string) bool { return func(s string) bool { return strings.Contains(s, sub) } }
	click := func(sel string) {
		t.Helper()
		eval(`document.querySelector("` + sel + `").click() || "ok"`)
	}
	state := `document.querySelector("[data-testid=integration-twitch-state]")?.textContent`

	if err := chromedp.Do(ctx, chromedp.Navigate(n.base+"/#signin="+ticket)); err != nil {
		t.Fatal(err)
	}
	waitFor("the Integrations button", `!document.querySelector("[data-testid=integrations-open]").hidden`, 10*time.Second, has("true"))
	click("[data-testid=integrations-open]")
	waitFor("not connected", state, 5*time.Second, has("Not connected"))
	// The panel is styled (the console's CSP refuses <style> elements).
	if got := eval(`getComputedStyle(document.querySelector(".intg-card")).borderTopLeftRadius`); got != "12px" {
		t.Fatalf("the integrations panel is unstyled (card radius %q)", got)
	}
	if got := eval(`document.querySelector("[data-testid=integration-twitch]").textContent`); !strings.Contains(got, "moderator:read:followers") || !strings.Contains(got, "chat widget") {
		t.Fatalf("the scopes and why are not shown: %q", got)
	}

	click("[data-testid=twitch-connect]") // to Twitch and back
	waitFor("back from Twitch", `document.querySelector("[data-testid=integrations-banner]")?.textContent`, 10*time.Second, has("Twitch is connected"))
	if got := eval(`location.hash`); got != "" {
		t.Fatalf("the outcome stays in the address bar: %q", got)
	}
	waitFor("connected", state, 15*time.Second, has("Connected"))
	if got := eval(`document.querySelector("[data-testid=integration-twitch]").textContent`); !strings.Contains(got, "anastreams") {
		t.Fatalf("the account is not shown: %q", got)
	}

	fake.RevokeUser("100") // the streamer removes the app in Twitch's settings
	fake.ExpireAccessTokens("100")
	waitFor("revoked", state, 20*time.Second, has("Access revoked"))
	if got := eval(`document.querySelector("[data-testid=integration-twitch]").textContent`); !strings.Contains(got, "Connect again") {
		t.Fatalf("no advice for a revoked connection: %q", got)
	}
}
