package httpapi

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/transport/auth"
)

// TestOpenAPIMatchesRoutes keeps openapi.json true: every route the app
// registers is documented with its method, and every documented one exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	app := newTestApp(t)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	registered := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if r.Method == "HEAD" || r.Path == "/" {
			continue
		}
		path := strings.TrimSuffix(param.ReplaceAllString(r.Path, "{$1}"), "/")
		registered[r.Method+" "+path] = true
	}
	var missing, stale []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 || len(stale) > 0 {
		t.Fatalf("openapi.json is out of date:\n undocumented routes: %v\n documented but not served: %v", missing, stale)
	}
	if len(registered) < 12 {
		t.Fatalf("only %d routes registered; the check is not looking at the app", len(registered))
	}
}

// newTestApp builds the API with every optional route on and no backends.
func newTestApp(t *testing.T) *fiber.App {
	t.Helper()
	iss, err := auth.LoadOrCreateLocalIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := iss.Trust()
	v, _ := auth.NewVerifier(trust)
	app, err := New(Config{}, Deps{Kinds: kinds.Default(), Verifier: v, JWKS: iss.JWKS(), CursorKey: make([]byte, 32), Metrics: prometheus.NewRegistry(),
		SignIn: func(string) (string, string, time.Time, error) { return "", "", time.Time{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// TestOpenAPIDocumentsRateLimits: every operation can answer 429 (the
// per-address limit covers every route) and the 429 documents Retry-After.
func TestOpenAPIDocumentsRateLimits(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]struct{ Responses map[string]json.RawMessage } `json:"paths"`
		Components struct {
			Responses map[string]struct {
				Headers map[string]json.RawMessage `json:"headers"`
			} `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Components.Responses["RateLimited"].Headers["Retry-After"]; !ok {
		t.Fatal("components.responses.RateLimited does not document Retry-After")
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if !strings.Contains(string(op.Responses["429"]), "#/components/responses/RateLimited") {
				t.Errorf("%s %s: no 429 RateLimited response", strings.ToUpper(method), path)
			}
		}
	}
}
