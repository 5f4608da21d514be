package httpapi

import (
	"strings"
	"testing"
)

func actionURL(id, action string) string { return recordsPath + "/" + id + "/actions/" + action }

// Transport-level checks of the actions route (no cluster: badID answers
// 404 at the grain client, so a request that gets there is "let through").
func TestActionRouteRefusesBeforeTheGrain(t *testing.T) {
	a := startAPI(t, noLimits)
	alice := a.token("alice")
	cases := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"payload not JSON", "POST", actionURL(badID, "add_time"), alice, `{"seconds":`, 400, CodeMalformedJSON},
		{"payload not UTF-8", "POST", actionURL(badID, "add_time"), alice, "\"\xff\"", 400, CodeMalformedJSON},
		{"empty payload reaches the grain", "POST", actionURL(badID, "start"), alice, "", 404, CodeNotFound},
		{"a widget's read-only token", "POST", actionURL(badID, "start"), "0123456789abcdef0123456789abcdef", "", 401, CodeUnauthorized},
		{"control token reaches the grain", "POST", actionURL(badID, "start"), "swc_abc", "", 404, CodeNotFound},
		{"control token on a read", "GET", recordsPath + "/" + badID, "swc_abc", "", 401, CodeUnauthorized},
		{"control token on the list", "GET", recordsPath, "swc_abc", "", 401, CodeUnauthorized},
		{"control token on an update", "PUT", recordsPath + "/" + badID, "swc_abc", `{"title":"x"}`, 401, CodeUnauthorized},
		{"control token on a path that only looks like actions", "POST", recordsPath + "/" + badID + "/regenerate_token", "swc_abc", "", 401, CodeUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.status || !strings.Contains(r.body, `"code":"`+tc.code+`"`) {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
}

// A control token has its own write bucket (not one shared by every control
// token), and its requests also spend the address's: a flood of made-up
// tokens cannot get around the limits.
func TestControlTokensAreRateLimited(t *testing.T) {
	t.Run("per token", func(t *testing.T) {
		cfg := noLimits
		cfg.UserWrites = Rate{PerSecond: 0.01, Burst: 2}
		a := startAPI(t, cfg)
		for i, want := range []int{404, 404, 429} {
			if r := a.do("POST", actionURL(badID, "start"), "swc_one", ""); r.status != want {
				t.Fatalf("request %d of one token: %d %s, want %d", i+1, r.status, r.body, want)
			}
		}
		if r := a.do("POST", actionURL(badID, "start"), "swc_two", ""); r.status != 404 {
			t.Fatalf("another token shares the first one's bucket: %d %s", r.status, r.body)
		}
	})
	t.Run("per address", func(t *testing.T) {
		cfg := noLimits
		cfg.AddressWrites = Rate{PerSecond: 0.01, Burst: 3}
		a := startAPI(t, cfg)
		for i := 0; i < 3; i++ {
			if r := a.do("POST", actionURL(badID, "start"), "swc_guess"+strings.Repeat("x", i), ""); r.status != 404 {
				t.Fatalf("made-up token %d: %d %s", i, r.status, r.body)
			}
		}
		if r := a.do("POST", actionURL(badID, "start"), "swc_guess-more", ""); r.status != 429 {
			t.Fatalf("a flood of made-up control tokens is not limited by address: %d %s", r.status, r.body)
		}
	})
}
