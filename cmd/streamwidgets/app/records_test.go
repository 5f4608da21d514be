package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
)

const countdownBody = `{"type":"countdown","title":"Starting soon","config":{"duration":300,"text":"brb"}}`

// TestEveryRouteRefusesForeignersAndWidgetTokens: for every route and method,
// the owner succeeds, another user gets exactly what a missing widget gets,
// a widget access token (read-only, for OBS) is not a sign-in, and nothing changes.
func TestEveryRouteRefusesForeignersAndWidgetTokens(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice, mallory := n.token("alice"), n.token("mallory")
	w := n.create(alice, countdownBody)
	id := w.ID
	routes := []struct {
		method, path, body string
		ownerStatus        int
		foreignStatus      int
	}{
		{"GET", "/records/stream_widgets/" + id, "", 200, 404},
		{"PUT", "/records/stream_widgets/" + id, `{"title":"renamed"}`, 200, 404},
		{"POST", "/records/stream_widgets/" + id + "/regenerate_token", "", 200, 404},
		{"GET", "/records/stream_widgets/many?id=" + id, "", 200, 200},  // foreign ids are just absent
		{"GET", "/records/stream_widgets/type/countdown", "", 200, 200}, // scoped list
		{"GET", "/records/stream_widgets", "", 200, 200},                // scoped list
		{"POST", "/records/stream_widgets", countdownBody, 201, 201},    // creates the caller's own
		{"DELETE", "/records/stream_widgets/" + id, "", 200, 404},
	}
	for _, r := range routes {
		t.Run(r.method+" "+strings.Replace(r.path, id, ":id", 1), func(t *testing.T) {
			before := n.do("GET", "/records/stream_widgets/"+id, alice, nil)

			foreign := n.do(r.method, r.path, mallory, r.body)
			if foreign.Status != r.foreignStatus {
				t.Fatalf("another user: %d %s, want %d", foreign.Status, foreign.Body, r.foreignStatus)
			}
			if r.foreignStatus == 404 {
				missing := n.do(r.method, strings.Replace(r.path, id, "00000000-0000-0000-0000-000000000000", 1), mallory, r.body)
				if missing.code() != foreign.code() || missing.Status != foreign.Status {
					t.Fatalf("a foreign widget is distinguishable from a missing one: %s vs %s", foreign.Body, missing.Body)
				}
			}
			if strings.Contains(string(foreign.Body), id) || strings.Contains(string(foreign.Body), w.AccessToken) {
				t.Fatalf("another user saw alice's widget: %s", foreign.Body)
			}

			readOnly := n.do(r.method, r.path, w.AccessToken, r.body)
			if readOnly.Status != http.StatusUnauthorized || readOnly.code() != "unauthorized" {
				t.Fatalf("widget token as sign-in: %d %s, want 401", readOnly.Status, readOnly.Body)
			}
			anonymous := n.do(r.method, r.path, "", r.body)
			if anonymous.Status != http.StatusUnauthorized {
				t.Fatalf("no sign-in: %d", anonymous.Status)
			}

			after := n.do("GET", "/records/stream_widgets/"+id, alice, nil)
			if string(before.Body) != string(after.Body) {
				t.Fatalf("refused requests changed the widget:\n%s\n%s", before.Body, after.Body)
			}
			owner := n.do(r.method, r.path, alice, r.body)
			if owner.Status != r.ownerStatus {
				t.Fatalf("owner: %d %s, want %d", owner.Status, owner.Body, r.ownerStatus)
			}
		})
	}
	// Mallory's own list never contains alice's widgets.
	for _, rec := range n.do("GET", "/records/stream_widgets?perPage=100", mallory, nil).records(t) {
		if rec.UserID != "mallory" {
			t.Fatalf("mallory's list has %s's widget", rec.UserID)
		}
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	n := startNode(t, liftRESTLimits)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	path := "/records/stream_widgets/" + w.ID
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed JSON on create", "POST", "/records/stream_widgets", `{"type":`, 400, "malformed_json"},
		{"malformed JSON on update", "PUT", path, `not json`, 400, "malformed_json"},
		{"array body", "POST", "/records/stream_widgets", `[` + countdownBody + `]`, 400, "invalid_field"},
		{"title of the wrong type", "PUT", path, `{"title":42}`, 400, "invalid_field"},
		{"active of the wrong type", "PUT", path, `{"active":"yes"}`, 400, "invalid_field"},
		{"config not an object", "PUT", path, `{"config":"300"}`, 400, "invalid_field"},
		{"unknown field", "PUT", path, `{"colour":"red"}`, 400, "unknown_field"},
		{"forged user_id on update", "PUT", path, `{"user_id":"mallory","title":"mine now"}`, 400, "read_only_field"},
		{"forged user_id on create", "POST", "/records/stream_widgets", `{"type":"goal","user_id":"mallory"}`, 400, "read_only_field"},
		{"client access_token on create", "POST", "/records/stream_widgets", `{"type":"goal","access_token":"chosen"}`, 400, "read_only_field"},
		{"client id on create", "POST", "/records/stream_widgets", `{"type":"goal","id":"mine"}`, 400, "read_only_field"},
		{"changing the id", "PUT", path, `{"id":"other","title":"x"}`, 400, "read_only_field"},
		{"changing the type", "PUT", path, `{"type":"goal"}`, 400, "read_only_field"},
		{"unknown type", "POST", "/records/stream_widgets", `{"type":"fireworks"}`, 422, "unknown_type"},
		{"missing type", "POST", "/records/stream_widgets", `{"title":"x"}`, 422, "unknown_type"},
		{"invalid config on create", "POST", "/records/stream_widgets", `{"type":"countdown","config":{"duration":-1}}`, 422, "invalid_config"},
		{"invalid config on update", "PUT", path, `{"config":{"duration":0}}`, 422, "invalid_config"},
		{"config field of the wrong type", "PUT", path, `{"config":{"duration":"5 minutes"}}`, 422, "invalid_config"},
		{"unknown config field", "PUT", path, `{"config":{"font":"Comic Sans"}}`, 422, "invalid_config"},
		{"title too long", "PUT", path, `{"title":"` + strings.Repeat("x", 201) + `"}`, 400, "invalid_field"},
		{"stale version", "PUT", path, `{"version":99,"title":"x"}`, 409, "conflict"},
		{"oversize body", "PUT", path, `{"title":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "body_too_large"},
		{"bad filter", "GET", `/records/stream_widgets?filter={"user_id":"mallory"}`, "", 400, "invalid_query"},
		{"bad perPage", "GET", "/records/stream_widgets?perPage=1000", "", 400, "invalid_query"},
		{"forged cursor", "GET", "/records/stream_widgets?cursor=eyJ1IjoibWFsbG9yeSJ9.AAAA", "", 400, "invalid_cursor"},
		{"unknown type route", "GET", "/records/stream_widgets/type/fireworks", "", 422, "unknown_type"},
		{"junk id", "GET", "/records/stream_widgets/..%2F..%2Fetc", "", 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := n.do("GET", path, alice, nil)
			countBefore := len(n.do("GET", "/records/stream_widgets?perPage=100", alice, nil).records(t))
			r := n.do(tc.method, tc.path, alice, tc.body)
			if r.Status != tc.status || r.code() != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if !strings.Contains(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("error is not JSON: %q", r.Header.Get("Content-Type"))
			}
			after := n.do("GET", path, alice, nil)
			countAfter := len(n.do("GET", "/records/stream_widgets?perPage=100", alice, nil).records(t))
			if string(before.Body) != string(after.Body) || countBefore != countAfter {
				t.Fatalf("refused request changed stored data")
			}
		})
	}
}

func TestEchoingARecordBackUpdatesIt(t *testing.T) {
	t.Parallel()
	// An admin UI sends the whole record back on save: server fields that
	// match (or are volatile) are accepted, only the edited ones change.
	n := startNode(t)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	var body map[string]any
	_ = json.Unmarshal(n.do("GET", "/records/stream_widgets/"+w.ID, alice, nil).Body, &struct{ Data *map[string]any }{&body})
	body["title"] = "Be right back"
	body["config"].(map[string]any)["duration"] = 600
	r := n.do("PUT", "/records/stream_widgets/"+w.ID, alice, body)
	if r.Status != 200 {
		t.Fatalf("echoed record refused: %d %s", r.Status, r.Body)
	}
	got := r.record(t)
	if got.Title != "Be right back" || !strings.Contains(string(got.Config), `"duration":600`) || got.Version != 2 || got.AccessToken != w.AccessToken {
		t.Fatalf("update result: %+v", got)
	}
	// The unstarted countdown follows the new duration.
	if !strings.Contains(string(got.State), `"duration_left":600`) {
		t.Fatalf("state did not follow the new duration: %s", got.State)
	}
}

func TestRegenerateTokenReplacesItAtOnce(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	r := n.do("POST", "/records/stream_widgets/"+w.ID+"/regenerate_token", alice, nil)
	got := r.record(t)
	if r.Status != 200 || got.AccessToken == w.AccessToken || len(got.AccessToken) < 22 {
		t.Fatalf("regenerate: %d token %q (old %q)", r.Status, got.AccessToken, w.AccessToken)
	}
}

func TestListFiltersAndCursor(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice, bob := n.token("alice"), n.token("bob")
	for i := 0; i < 7; i++ {
		n.create(alice, fmt.Sprintf(`{"type":"countdown","title":"Timer %d","active":%v}`, i, i%2 == 0))
	}
	n.create(alice, `{"type":"goal","title":"Sub goal"}`)
	n.create(bob, `{"type":"goal","title":"Bob goal"}`)

	seen := map[string]bool{}
	next := ""
	for pages := 0; ; pages++ {
		path := "/records/stream_widgets?perPage=3"
		if next != "" {
			path += "&cursor=" + next
		}
		r := n.do("GET", path, alice, nil)
		var page struct {
			Data []struct {
				ID     string `json:"id"`
				UserID string `json:"user_id"`
			}
			Next *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil || r.Status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.Status, r.Body)
		}
		for _, d := range page.Data {
			if d.UserID != "alice" || seen[d.ID] {
				t.Fatalf("page %d has %+v (another user's or a repeat)", pages, d)
			}
			seen[d.ID] = true
		}
		if page.Next == nil {
			break
		}
		next = *page.Next
		// Bob cannot use alice's cursor.
		if r := n.do("GET", "/records/stream_widgets?perPage=3&cursor="+next, bob, nil); r.Status != 400 || r.code() != "invalid_cursor" {
			t.Fatalf("bob used alice's cursor: %d %s", r.Status, r.Body)
		}
		// Nor can the cursor be reused with another filter.
		if r := n.do("GET", "/records/stream_widgets?perPage=3&q=x&cursor="+next, alice, nil); r.Status != 400 {
			t.Fatalf("cursor reused with another query: %d", r.Status)
		}
	}
	if len(seen) != 8 {
		t.Fatalf("paging saw %d widgets, want 8", len(seen))
	}
	cases := map[string]int{
		`/records/stream_widgets?filter={"active":true,"type":"countdown"}`: 4,
		`/records/stream_widgets?filter={"active":false}`:                   3,
		`/records/stream_widgets?q=timer`:                                   7,
		`/records/stream_widgets/type/goal`:                                 1,
		`/records/stream_widgets/type/countdown?filter={"active":false}`:    3,
	}
	for path, want := range cases {
		if got := len(n.do("GET", path, alice, nil).records(t)); got != want {
			t.Errorf("%s: %d widgets, want %d", path, got, want)
		}
	}
}

func TestManyReturnsOnlyTheCallersWidgetsInOrder(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice, bob := n.token("alice"), n.token("bob")
	a1, a2 := n.create(alice, countdownBody), n.create(alice, countdownBody)
	b1 := n.create(bob, countdownBody)
	got := n.do("GET", fmt.Sprintf("/records/stream_widgets/many?id=%s&id=%s&id=%s&id=nope&id=%s", a2.ID, b1.ID, a1.ID, a2.ID), alice, nil).records(t)
	if len(got) != 2 || got[0].ID != a2.ID || got[1].ID != a1.ID {
		t.Fatalf("many = %+v, want [a2 a1]", got)
	}
}

func TestCreateFloodIsRateLimitedPerUser(t *testing.T) {
	t.Parallel()
	n := startNode(t, func(c *app.Config) { c.HTTP.CreatesPerMinute = 3 })
	alice, bob := n.token("alice"), n.token("bob")
	for i := 0; i < 3; i++ {
		n.create(alice, countdownBody)
	}
	r := n.do("POST", "/records/stream_widgets", alice, countdownBody)
	if r.Status != 429 || r.code() != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("4th create in a minute: %d %s Retry-After=%q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if got := len(n.do("GET", "/records/stream_widgets", alice, nil).records(t)); got != 3 {
		t.Fatalf("the refused create stored a widget: %d widgets", got)
	}
	n.create(bob, countdownBody) // another user's budget is separate
}

func TestConcurrentRESTUpdatesLoseNothing(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice := n.token("alice")
	w := n.create(alice, `{"type":"countdown","config":{"duration":60}}`)
	fields := []string{`{"config":{"title":"T%d"}}`, `{"config":{"text":"X%d"}}`, `{"title":"W%d"}`}
	const rounds = 10
	var wg sync.WaitGroup
	for f, tmpl := range fields {
		wg.Add(1)
		go func(f int, tmpl string) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if r := n.do("PUT", "/records/stream_widgets/"+w.ID, alice, fmt.Sprintf(tmpl, i)); r.Status != 200 {
					t.Errorf("update %d/%d: %d %s", f, i, r.Status, r.Body)
				}
			}
		}(f, tmpl)
	}
	wg.Wait()
	got := n.do("GET", "/records/stream_widgets/"+w.ID, alice, nil).record(t)
	want := fmt.Sprintf("T%d", rounds-1)
	if !strings.Contains(string(got.Config), `"title":"`+want+`"`) || !strings.Contains(string(got.Config), fmt.Sprintf(`"text":"X%d"`, rounds-1)) ||
		got.Title != fmt.Sprintf("W%d", rounds-1) || !strings.Contains(string(got.Config), `"duration":60`) {
		t.Fatalf("a concurrent update was lost: %s title=%s", got.Config, got.Title)
	}
	if got.Version != 1+int64(len(fields)*rounds) {
		t.Fatalf("version %d, want %d: writes were merged or dropped", got.Version, 1+len(fields)*rounds)
	}
}

func TestLogsNeverContainSecrets(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	n.do("GET", "/records/stream_widgets/"+w.ID, alice, nil)
	n.do("GET", "/widgets/"+w.ID+"?token="+w.AccessToken, "", nil) // the plan's OBS URL form
	n.do("PUT", "/records/stream_widgets/"+w.ID, alice, `{"title":"x"}`)
	r := n.do("POST", "/records/stream_widgets/"+w.ID+"/regenerate_token", alice, nil).record(t)
	n.do("GET", "/records/stream_widgets", "Bearer-garbage."+alice, nil)
	n.do("DELETE", "/records/stream_widgets/"+w.ID, alice, nil)
	logs := n.logs.String()
	if !strings.Contains(logs, `"request"`) {
		t.Fatal("no request was logged at all")
	}
	for name, secret := range map[string]string{"JWT": alice, "widget token": w.AccessToken, "new widget token": r.AccessToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
}
