package app_test

import (
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// authRefusal signs a fresh socket in with token and returns the ERROR it
// gets before the close, and the close code.
func authRefusal(t *testing.T, n *node, token string) (msg, int) {
	t.Helper()
	c := n.dial("", 0)
	c.send(msg{"type": "AUTH", "token": token})
	code, seen := c.expectClosed(3 * time.Second)
	if len(seen) != 1 || seen[0].str("type") != "ERROR" {
		t.Fatalf("AUTH with a refused token: got %v before close %d, want one ERROR", seen, code)
	}
	return seen[0], code
}

// An OBS page reloaded after its widget was deleted hears "widget_deleted",
// also after a restart; a wrong or regenerated token learns nothing more
// than before (auth_failed, the same message).
func TestDeletedWidgetsTokenSaysDeleted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := startNodeIn(t, dir, fastWS)
	alice := n.token("alice")
	gone := n.create(alice, msg{"type": "countdown", "title": "Gone", "config": msg{"duration": 60}})
	kept := n.create(alice, msg{"type": "countdown", "title": "Kept", "config": msg{"duration": 60}})
	if r := n.do("POST", "/records/stream_widgets/"+kept.ID+"/regenerate_token", alice, nil); r.Status != 200 {
		t.Fatalf("regenerate: %d %s", r.Status, r.Body)
	}
	if r := n.do("DELETE", "/records/stream_widgets/"+gone.ID, alice, nil); r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}

	check := func(t *testing.T, n *node) {
		m, code := authRefusal(t, n, gone.AccessToken)
		if m.str("code") != protocol.CodeWidgetDeleted || code != protocol.ClosePolicyViolation {
			t.Fatalf("deleted widget's token: %v, close %d; want %s, close %d", m, code, protocol.CodeWidgetDeleted, protocol.ClosePolicyViolation)
		}
		var failed []msg
		for _, token := range []string{kept.AccessToken, "a-guessed-token-xxxxxxxxxxxxxxxxx", gone.AccessToken + "x"} {
			m, code := authRefusal(t, n, token)
			if m.str("code") != protocol.CodeAuthFailed || code != protocol.ClosePolicyViolation {
				t.Fatalf("wrong or regenerated token: %v, close %d; want auth_failed", m, code)
			}
			failed = append(failed, m)
		}
		for _, m := range failed[1:] {
			if m.str("message") != failed[0].str("message") {
				t.Fatalf("refusals of wrong tokens differ: %q vs %q", m.str("message"), failed[0].str("message"))
			}
		}
	}
	check(t, n)
	n.stop()
	check(t, startNodeIn(t, dir, fastWS))
}
