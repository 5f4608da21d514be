package app_test

import (
	"net/http"
	"testing"
	"time"
)

// TestSignInLinkWorksOnceAcrossRestart: a one-time sign-in link redeemed
// before a restart is refused after it (the redemption is in the store, on
// either store: with STREAMWIDGETS_TEST_STORE=dynamodb it is DynamoDB).
func TestSignInLinkWorksOnceAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := startNodeIn(t, dir)
	ticket, err := n.app.Issuer.MintTicket("alice", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]string{"ticket": ticket}
	if r := n.do("POST", "/auth/session", "", body); r.Status != http.StatusOK {
		t.Fatalf("first sign-in: %d %s", r.Status, r.Body)
	}
	if r := n.do("POST", "/auth/session", "", body); r.Status != http.StatusUnauthorized {
		t.Fatalf("second sign-in before the restart: %d, want 401", r.Status)
	}
	n.stop()

	restarted := startNodeIn(t, dir)
	if r := restarted.do("POST", "/auth/session", "", body); r.Status != http.StatusUnauthorized {
		t.Fatalf("sign-in with the used link after a restart: %d %s, want 401", r.Status, r.Body)
	}
	fresh, _ := restarted.app.Issuer.MintTicket("alice", 15*time.Minute)
	if r := restarted.do("POST", "/auth/session", "", map[string]string{"ticket": fresh}); r.Status != http.StatusOK {
		t.Fatalf("a new link after the restart: %d %s", r.Status, r.Body)
	}
}
