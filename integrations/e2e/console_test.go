package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
)

// TestConsoleConnectsTwitchAndShowsARevocation: in a real browser the
// streamer opens Integrations, sees what Twitch will be asked for, presses
// Connect Twitch, approves on (the fake) Twitch and lands back in the
// manager with the connection running; when they revoke access on Twitch,
// the panel says so and what to do.
func TestConsoleConnectsTwitchAndShowsARevocation(t *testing.T) {
	fake := twitchfake.New(t)
	fake.AddUser(twitchfake.User{ID: "100", Login: "anastreams", DisplayName: "AnaStreams"})
	n := startNode(t, fake)
	ticket, err := n.app.Issuer.MintTicket("ana", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	p := openPage(t)
	state := `document.querySelector("[data-testid=integration-twitch-state]")?.textContent`

	p.navigate(n.base + "/#signin=" + ticket)
	p.waitFor("the Integrations button", `!document.querySelector("[data-testid=integrations-open]").hidden`, 10*time.Second, "true")
	p.click("[data-testid=integrations-open]")
	p.waitFor("not connected", state, 5*time.Second, "Not connected")
	// The panel is styled (the console's CSP refuses <style> elements).
	if got := p.eval(`getComputedStyle(document.querySelector(".intg-card")).borderTopLeftRadius`); got != "12px" {
		t.Fatalf("the integrations panel is unstyled (card radius %q)", got)
	}
	if got := p.eval(`document.querySelector("[data-testid=integration-twitch]").textContent`); !strings.Contains(got, "moderator:read:followers") || !strings.Contains(got, "chat widget") {
		t.Fatalf("the scopes and why are not shown: %q", got)
	}

	p.click("[data-testid=twitch-connect]") // to Twitch and back
	p.waitFor("back from Twitch", `document.querySelector("[data-testid=integrations-banner]")?.textContent`, 10*time.Second, "Twitch is connected")
	if got := p.eval(`location.hash`); got != "" {
		t.Fatalf("the outcome stays in the address bar: %q", got)
	}
	p.waitFor("connected", state, 15*time.Second, "Connected")
	if got := p.eval(`document.querySelector("[data-testid=integration-twitch]").textContent`); !strings.Contains(got, "anastreams") {
		t.Fatalf("the account is not shown: %q", got)
	}

	fake.RevokeUser("100") // the streamer removes the app in Twitch's settings
	fake.ExpireAccessTokens("100")
	p.waitFor("revoked", state, 20*time.Second, "Access revoked")
	if got := p.eval(`document.querySelector("[data-testid=integration-twitch]").textContent`); !strings.Contains(got, "Connect again") {
		t.Fatalf("no advice for a revoked connection: %q", got)
	}
}
