package httpapi

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
)

// labelCase is one kind of request and the labels it must be counted under.
type labelCase struct {
	method, path, body string
	signed             bool
	route              string // the route label it must be counted under
}

// labelCases covers every route, the public ones, unknown paths and several
// methods. Id routes use an id that fails ValidID: the handler runs and
// answers 404 without a grain.
func labelCases() []labelCase {
	const rec = recordsPath
	const wp = "/watch-party"
	return []labelCase{
		{"GET", rec, "", true, rec + "/"},
		{"GET", rec + "?perPage=2&filter=" + `%7B%22active%22%3Atrue%7D`, "", true, rec + "/"},
		{"POST", rec, `{"type":`, true, rec + "/"},
		{"GET", rec + "/many?id=a&id=b", "", true, rec + "/many"},
		{"GET", rec + "/type/goal", "", true, rec + "/type/:type"},
		{"GET", rec + "/" + badID, "", true, rec + "/:id"},
		{"PUT", rec + "/" + badID, `{"title":"t"}`, true, rec + "/:id"},
		{"DELETE", rec + "/" + badID, "", true, rec + "/:id"},
		{"POST", rec + "/" + badID + "/regenerate_token", "", true, rec + "/:id/regenerate_token"},
		{"POST", rec + "/" + badID + "/actions/start", "", true, rec + "/:id/actions/:action"},
		{"POST", rec + "/" + badID + "/control_token", "", true, rec + "/:id/control_token"},
		{"DELETE", rec + "/" + badID + "/control_token", "", true, rec + "/:id/control_token"},
		{"HEAD", rec + "/" + badID, "", true, rec + "/:id"},
		{"GET", rec + "/" + badID, "", false, rec}, // refused by authenticate, the group's middleware
		{"GET", "/kinds", "", false, "/kinds"},
		{"GET", "/healthz", "", false, "/healthz"},
		{"HEAD", "/healthz", "", false, "/healthz"},
		{"GET", "/readyz", "", false, "/readyz"},
		{"GET", "/openapi.json", "", false, "/openapi.json"},
		{"GET", "/.well-known/jwks.json", "", false, "/.well-known/jwks.json"},
		{"POST", "/auth/session", `{"ticket":"nope"}`, false, "/auth/session"},
		{"GET", "/no/such/route", "", false, "/"},
		{"PATCH", rec + "/" + badID, `{}`, true, rec},
		// Watch-party rooms (rooms.go): bad ids and bodies never reach a grain.
		{"GET", wp + "/rooms", "", true, wp + "/rooms"},
		{"POST", wp + "/rooms", `{"title":`, true, wp + "/rooms"},
		{"GET", wp + "/rooms/" + badID, "", true, wp + "/rooms/:id"},
		{"POST", wp + "/rooms/" + badID + "/join", "", true, wp + "/rooms/:id/join"},
		{"POST", wp + "/rooms/" + badID + "/leave", "", true, wp + "/rooms/:id/leave"},
		{"POST", wp + "/rooms/" + badID + "/end", "", true, wp + "/rooms/:id/end"},
		{"POST", wp + "/rooms/" + badID + "/invite", `{"user_ids":["bob"]}`, true, wp + "/rooms/:id/invite"},
		{"PUT", wp + "/rooms/" + badID + "/members/bob", `{"role":"viewer"}`, true, wp + "/rooms/:id/members/:userId"},
		{"POST", wp + "/rooms/" + badID + "/obs_token", "", true, wp + "/rooms/:id/obs_token"},
		{"GET", wp + "/invites", "", true, wp + "/invites"},
		{"POST", wp + "/invites/" + badID + "/decline", "", true, wp + "/invites/:id/decline"},
	}
}

// TestMetricsLabelsUnderConcurrentLoad is the regression test for Fiber's
// zero-copy strings (method="GETT", a 500 from /metrics): 2,000 concurrent
// requests of mixed methods and routes by several users through a real
// listener, then /metrics must answer 200 and count every request under
// exactly the method and route it was.
func TestMetricsLabelsUnderConcurrentLoad(t *testing.T) {
	a := startAPI(t, noLimits)
	users := []string{"alice", "bob", "carol", "dave", "erin"}
	tokens := make([]string, len(users))
	for i, u := range users {
		tokens[i] = a.token(u)
	}
	cases := labelCases()
	const total, workers = 2000, 32
	want := map[string]float64{} // "METHOD route" -> requests
	var wg sync.WaitGroup
	jobs := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c := cases[i%len(cases)]
				tok := ""
				if c.signed {
					tok = tokens[i%len(tokens)]
				}
				if r := a.do(c.method, c.path, tok, c.body); r.status >= 500 {
					t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
				}
			}
		}()
	}
	for i := 0; i < total; i++ {
		c := cases[i%len(cases)]
		want[c.method+" "+c.route]++
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	known := map[string]bool{}
	for _, r := range a.app.GetRoutes(false) {
		known[r.Path] = true
	}
	methods := map[string]bool{}
	for _, c := range cases {
		methods[c.method] = true
	}
	got := map[string]float64{}
	for _, s := range a.scrape() {
		if s.name != "streamwidgets_http_requests_total" && s.name != "streamwidgets_http_request_seconds_count" {
			continue
		}
		m, route := s.labels["method"], s.labels["route"]
		if !methods[m] {
			t.Errorf("series %s: method %q was never sent", s.series, m)
		}
		if !known[route] {
			t.Errorf("series %s: route %q is not a registered route", s.series, route)
		}
		if s.name == "streamwidgets_http_requests_total" {
			got[m+" "+route] += s.value
		}
	}
	if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
		t.Fatalf("requests counted by method and route:\n got  %v\n want %v", sorted(got), sorted(want))
	}
}

func sorted(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(out)
	return out
}

// TestLabelCasesCoverEveryRoute keeps labelCases complete as routes are added.
func TestLabelCasesCoverEveryRoute(t *testing.T) {
	a := startAPI(t, noLimits)
	covered := map[string]bool{}
	for _, c := range labelCases() {
		covered[c.method+" "+c.route] = true
	}
	for _, r := range a.app.GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "CONNECT" || r.Method == "TRACE" {
			continue
		}
		if r.Path == "/metrics" { // scraped by the test itself
			continue
		}
		if !covered[r.Method+" "+r.Path] && !strings.HasPrefix(r.Path, "/ws") {
			t.Errorf("route %s %s has no case in labelCases", r.Method, r.Path)
		}
	}
}
