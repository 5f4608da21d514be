package app_test

import (
	"net/http"
	"strings"
	"testing"
)

// A control token (issue 10) lets a Stream Deck run one widget's actions
// without the user's JWT: shown once, replaced or revoked at once, and
// good for nothing else.
func TestControlTokenForAStreamDeck(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice, bob := n.token("alice"), n.token("bob")
	w := n.create(alice, msg{"type": "countdown", "title": "Break", "config": msg{"duration": 300}})
	path := "/records/stream_widgets/" + w.ID + "/control_token"

	for name, token := range map[string]string{"another user": bob, "the widget token": w.AccessToken, "nobody": ""} {
		if r := n.do("POST", path, token, nil); r.Status != http.StatusNotFound && r.Status != http.StatusUnauthorized {
			t.Fatalf("%s issued a control token: %d %s", name, r.Status, r.Body)
		}
	}
	r := n.do("POST", path, alice, nil)
	issued := r.record(t)
	if r.Status != http.StatusOK || !strings.HasPrefix(issued.ControlToken, "swc_") || !issued.HasControlToken || issued.ControlTokenHash != "" {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("a secret shown once may be cached: Cache-Control %q", cc)
	}
	control := issued.ControlToken
	if r := n.do("POST", actionPath(w.ID, "start"), control, nil); r.Status != http.StatusOK {
		t.Fatalf("the control token could not start the timer: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/records/stream_widgets/" + w.ID},
		{"PUT", "/records/stream_widgets/" + w.ID},
		{"DELETE", "/records/stream_widgets/" + w.ID},
		{"POST", path},
		{"GET", "/records/stream_widgets"},
	} {
		if r := n.do(tc.method, tc.path, control, `{"title":"x"}`); r.Status < 400 {
			t.Errorf("control token on %s %s: %d", tc.method, tc.path, r.Status)
		}
	}
	got := n.do("GET", "/records/stream_widgets/"+w.ID, alice, nil)
	if strings.Contains(string(got.Body), control) || strings.Contains(string(got.Body), "control_token_hash") ||
		!got.record(t).HasControlToken {
		t.Fatalf("a later read shows the token or its hash: %s", got.Body)
	}
	list := n.do("GET", "/records/stream_widgets", alice, nil)
	if strings.Contains(string(list.Body), "control_token_hash") {
		t.Fatalf("the list shows the control token's hash: %s", list.Body)
	}
	// Another widget of the same owner is out of reach.
	other := n.create(alice, msg{"type": "goal", "title": "Subs"})
	if r := n.do("POST", actionPath(other.ID, "reset"), control, nil); r.Status != http.StatusNotFound {
		t.Fatalf("the control token reached another widget: %d %s", r.Status, r.Body)
	}
	// Reissue replaces; revoke removes.
	again := n.do("POST", path, alice, nil).record(t).ControlToken
	if r := n.do("POST", actionPath(w.ID, "pause"), control, nil); r.Status != http.StatusNotFound {
		t.Fatalf("the replaced token still works: %d", r.Status)
	}
	if r := n.do("DELETE", path, alice, nil); r.Status != http.StatusOK || r.record(t).HasControlToken {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := n.do("POST", actionPath(w.ID, "pause"), again, nil); r.Status != http.StatusNotFound {
		t.Fatalf("the revoked token still works: %d", r.Status)
	}
}
