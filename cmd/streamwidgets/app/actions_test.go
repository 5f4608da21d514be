package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/transport/httpapi"
)

func actionPath(id, action string) string {
	return "/records/stream_widgets/" + id + "/actions/" + action
}

// countdownState reads the widget as its owner sees it.
func countdownState(t *testing.T, n *node, token, id string) (enabled bool, left float64, version int64) {
	t.Helper()
	rec := n.do("GET", "/records/stream_widgets/"+id, token, nil).record(t)
	var s struct {
		Enabled      bool    `json:"enabled"`
		DurationLeft float64 `json:"duration_left"`
	}
	if err := json.Unmarshal(rec.State, &s); err != nil {
		t.Fatalf("state %s: %v", rec.State, err)
	}
	return s.Enabled, s.DurationLeft, rec.Version
}

// Actions over REST answer like the socket's WIDGET_ACTION_RESPONSE, are
// scoped to the owner (or the widget's control token), and refuse bad input
// with stable codes without changing the widget.
func TestActionsOverREST(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice, bob := n.token("alice"), n.token("bob")
	w := n.create(alice, msg{"type": "countdown", "title": "Break", "config": msg{"duration": 300}})
	viewer := n.session(w.AccessToken)
	subscribeTo(viewer, w.ID)

	r := n.do("POST", actionPath(w.ID, "start"), alice, nil)
	var resp struct {
		Type, WidgetID, Action string
		Success                bool
		Version                int64
	}
	if err := json.Unmarshal(r.Body, &resp); err != nil || r.Status != http.StatusOK {
		t.Fatalf("owner start: %d %s", r.Status, r.Body)
	}
	if resp.Type != "WIDGET_ACTION_RESPONSE" || resp.WidgetID != w.ID || resp.Action != "start" || !resp.Success || resp.Version != 2 {
		t.Fatalf("owner start answered %s", r.Body)
	}
	if enabled, _, v := countdownState(t, n, alice, w.ID); !enabled || v != 2 {
		t.Fatalf("after start: enabled %v version %d", enabled, v)
	}
	if m := viewer.awaitType("WIDGET_STATE_UPDATE"); m.num("version") != 2 {
		t.Fatalf("the OBS view got %v", m)
	}
	r = n.do("POST", actionPath(w.ID, "add_time"), alice, `{"seconds":60}`)
	if r.Status != http.StatusOK {
		t.Fatalf("add_time with a payload: %d %s", r.Status, r.Body)
	}

	refused := []struct {
		name, token, action, body string
		status                    int
		code                      string
	}{
		{"another user", bob, "pause", "", http.StatusNotFound, "not_found"},
		{"the widget's read-only token", w.AccessToken, "pause", "", http.StatusUnauthorized, httpapi.CodeUnauthorized},
		{"no token", "", "pause", "", http.StatusUnauthorized, httpapi.CodeUnauthorized},
		{"payload not JSON", alice, "add_time", `{"seconds":`, http.StatusBadRequest, httpapi.CodeMalformedJSON},
		{"payload of the wrong shape", alice, "add_time", `{"seconds":"soon"}`, http.StatusUnprocessableEntity, "invalid_payload"},
		{"unknown action", alice, "explode", "", http.StatusUnprocessableEntity, "unknown_action"},
		{"action name too long", alice, strings.Repeat("a", 65), "", http.StatusBadRequest, httpapi.CodeInvalidField},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			r := n.do("POST", actionPath(w.ID, tc.action), tc.token, tc.body)
			if r.Status != tc.status || r.code() != tc.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	if enabled, left, v := countdownState(t, n, alice, w.ID); !enabled || v != 3 || left <= 300 || left > 360 {
		t.Fatalf("refused actions changed the widget: enabled %v, %v s left, version %d", enabled, left, v)
	}

	// Switched off: every action is refused with inactive.
	if r := n.do("PUT", "/records/stream_widgets/"+w.ID, alice, `{"active":false}`); r.Status != http.StatusOK {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	if r := n.do("POST", actionPath(w.ID, "pause"), alice, nil); r.Status != http.StatusConflict || r.code() != "inactive" {
		t.Fatalf("action on an inactive widget: %d %s", r.Status, r.Body)
	}
}

// A control token runs its widget's actions and nothing else, stops at
// once when revoked, and never appears in the logs.
func TestControlTokenRunsItsWidgetsActionsOnly(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice := n.token("alice")
	w := n.create(alice, msg{"type": "countdown", "title": "Deck", "config": msg{"duration": 300}})
	other := n.create(alice, msg{"type": "countdown", "title": "Other", "config": msg{"duration": 300}})
	ctx := context.Background()
	control, err := n.app.IssueControlToken(ctx, "alice", w.ID)
	if err != nil || !strings.HasPrefix(control, "swc_") {
		t.Fatalf("issue a control token: %q %v", control, err)
	}
	if r := n.do("POST", actionPath(w.ID, "start"), control, nil); r.Status != http.StatusOK {
		t.Fatalf("control token start: %d %s", r.Status, r.Body)
	}
	for name, req := range map[string][2]string{
		"another widget's action": {"POST", actionPath(other.ID, "start")},
		"read the widget":         {"GET", "/records/stream_widgets/" + w.ID},
		"list":                    {"GET", "/records/stream_widgets"},
		"change the widget":       {"PUT", "/records/stream_widgets/" + w.ID},
		"delete the widget":       {"DELETE", "/records/stream_widgets/" + w.ID},
		"regenerate its token":    {"POST", "/records/stream_widgets/" + w.ID + "/regenerate_token"},
	} {
		body := ""
		if req[0] == "PUT" {
			body = `{"title":"taken over"}`
		}
		r := n.do(req[0], req[1], control, body)
		if r.Status != http.StatusNotFound && r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
			t.Errorf("%s with a control token: %d %s", name, r.Status, r.Body)
		}
	}
	if enabled, _, _ := countdownState(t, n, alice, other.ID); enabled {
		t.Fatal("the control token started another widget")
	}
	if rec := n.do("GET", "/records/stream_widgets/"+w.ID, alice, nil).record(t); rec.Title != "Deck" {
		t.Fatalf("the control token changed the widget: %+v", rec)
	}
	if err := n.app.RevokeControlToken(ctx, "alice", w.ID); err != nil {
		t.Fatal(err)
	}
	if r := n.do("POST", actionPath(w.ID, "pause"), control, nil); r.Status == http.StatusOK {
		t.Fatalf("a revoked control token still works: %s", r.Body)
	}
	if strings.Contains(n.logs.String(), control) {
		t.Fatal("the log contains the control token")
	}
}

// Actions are REST writes: the per-user write limit applies, and a control
// token has a bucket of its own.
func TestActionsAreRateLimited(t *testing.T) {
	t.Parallel()
	n := startNode(t, func(c *app.Config) { c.HTTP.UserWrites = httpapi.Rate{PerSecond: 0.01, Burst: 3} })
	alice := n.token("alice")
	w := n.create(alice, msg{"type": "countdown", "title": "Limit", "config": msg{"duration": 300}}) // 1 write
	control, err := n.app.IssueControlToken(context.Background(), "alice", w.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		action := []string{"start", "pause", "start"}[i]
		r := n.do("POST", actionPath(w.ID, action), alice, nil)
		if r.Status != want {
			t.Fatalf("user action %d: %d %s, want %d", i+1, r.Status, r.Body, want)
		}
		if want == http.StatusTooManyRequests && (r.code() != httpapi.CodeRateLimited || r.Header.Get("Retry-After") == "") {
			t.Fatalf("refusal: %s, Retry-After %q", r.Body, r.Header.Get("Retry-After"))
		}
	}
	for i := 0; i < 4; i++ {
		r := n.do("POST", actionPath(w.ID, []string{"start", "pause"}[i%2]), control, nil)
		if want := map[bool]int{true: http.StatusOK, false: http.StatusTooManyRequests}[i < 3]; r.Status != want {
			t.Fatalf("control token action %d: %d %s, want %d", i+1, r.Status, r.Body, want)
		}
	}
}
