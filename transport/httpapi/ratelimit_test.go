package httpapi

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"
)

// flood sends n requests from workers goroutines and tallies the statuses.
func (a *testAPI) flood(n, workers int, method, path, token, body string) map[int]int {
	a.t.Helper()
	var mu sync.Mutex
	got := map[int]int{}
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				r := a.do(method, path, token, body)
				if r.status == 429 {
					checkRateLimited(a.t, r)
				}
				mu.Lock()
				got[r.status]++
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	return got
}

// checkRateLimited checks a 429's stable body and its Retry-After.
func checkRateLimited(t *testing.T, r reply) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Error.Code != CodeRateLimited || e.Error.Message == "" {
		t.Errorf("429 body %q, want {\"error\":{\"code\":\"rate_limited\",\"message\":…}}", r.body)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("429 Retry-After %q, want whole seconds >= 1", r.header.Get("Retry-After"))
	}
}

func TestUserReadFloodIsLimitedAndOthersAreNot(t *testing.T) {
	cfg := noLimits
	cfg.UserReads = Rate{PerSecond: 0.2, Burst: 5}
	a := startAPI(t, cfg)
	alice, bob := a.token("alice"), a.token("bob")

	got := a.flood(40, 4, "GET", "/records/stream_widgets", alice, "")
	if got[200] < 5 || got[200] > 6 || got[429] != 40-got[200] {
		t.Fatalf("alice's 40 reads with burst 5 at 0.2/s: %v, want 5-6 OK and the rest 429", got)
	}
	if r := a.do("GET", "/records/stream_widgets", bob, ""); r.status != 200 {
		t.Fatalf("bob is limited by alice's flood: %d %s", r.status, r.body)
	}
	if n := a.metric(`streamwidgets_http_rate_limited_total{class="read",scope="user"}`); n != float64(got[429]) {
		t.Fatalf("rate_limited_total{user,read} = %v, want %d", n, got[429])
	}
	if n := a.metric(`streamwidgets_http_requests_total{method="GET",route="/records/stream_widgets/",status="429"}`); n != float64(got[429]) {
		t.Fatalf("429s are not counted under their route: %v, want %d", n, got[429])
	}
}

func TestUserWriteFloodHitsTheTighterLimit(t *testing.T) {
	cfg := noLimits
	cfg.UserReads = Rate{PerSecond: 1, Burst: 20}
	cfg.UserWrites = Rate{PerSecond: 0.2, Burst: 3}
	a := startAPI(t, cfg)
	alice := a.token("alice")

	got := a.flood(20, 4, "PUT", "/records/stream_widgets/"+badID, alice, `{"title":"x"}`)
	if got[404] < 3 || got[404] > 4 || got[429] != 20-got[404] {
		t.Fatalf("20 writes with burst 3: %v, want 3-4 answered (404) and the rest 429", got)
	}
	// Deletes and token regeneration share the write bucket; reads have their own.
	if r := a.do("DELETE", "/records/stream_widgets/"+badID, alice, ""); r.status != 429 {
		t.Fatalf("a delete after the write flood: %d, want 429", r.status)
	}
	if r := a.do("GET", "/records/stream_widgets", alice, ""); r.status != 200 {
		t.Fatalf("a read after the write flood: %d %s, want 200", r.status, r.body)
	}
	if n := a.metric(`streamwidgets_http_rate_limited_total{class="write",scope="user"}`); n != float64(got[429]+1) {
		t.Fatalf("rate_limited_total{user,write} = %v, want %d", n, got[429]+1)
	}
}

// TestDefaultLimitsStopAFlood: with the defaults, one user's flood of reads
// and of writes is cut to the burst (plus what refills during the flood).
func TestDefaultLimitsStopAFlood(t *testing.T) {
	a := startAPI(t, Config{})
	alice := a.token("alice")
	reads := a.flood(1000, 8, "GET", "/records/stream_widgets", alice, "")
	writes := a.flood(300, 8, "PUT", "/records/stream_widgets/"+badID, alice, `{"title":"x"}`)
	t.Logf("defaults: %d of 1000 reads and %d of 300 writes refused", reads[429], writes[429])
	if reads[429] < 500 || reads[200] < DefaultUserReads.Burst {
		t.Fatalf("1000 reads by one user: %v", reads)
	}
	if writes[429] < 150 || writes[404] < DefaultUserWrites.Burst {
		t.Fatalf("300 writes by one user: %v", writes)
	}
}

func TestAddressFloodWithoutTokenIsLimited(t *testing.T) {
	cfg := noLimits
	cfg.AddressReads = Rate{PerSecond: 0.2, Burst: 5}
	cfg.AddressWrites = Rate{PerSecond: 0.2, Burst: 3}
	cfg.AddressProbes = Rate{PerSecond: 1, Burst: 50}
	a := startAPI(t, cfg)

	got := a.flood(30, 4, "GET", "/records/stream_widgets", "", "")
	if got[401] < 5 || got[401] > 6 || got[429] != 30-got[401] {
		t.Fatalf("30 reads without a token, burst 5: %v, want 5-6 answered (401) and the rest 429", got)
	}
	// Public routes share the address's read bucket.
	if r := a.do("GET", "/kinds", "", ""); r.status != 429 {
		t.Fatalf("/kinds after the flood: %d, want 429", r.status)
	}
	signIns := a.flood(10, 2, "POST", "/auth/session", "", `{"ticket":"t"}`)
	if signIns[401] < 3 || signIns[401] > 4 || signIns[429] != 10-signIns[401] {
		t.Fatalf("10 sign-ins, write burst 3: %v", signIns)
	}
	// Probes have their own bucket: a load balancer keeps seeing the node.
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := a.do("GET", p, "", ""); r.status != 200 {
			t.Fatalf("%s during an address flood: %d", p, r.status)
		}
	}
	if n := a.metric(`streamwidgets_http_rate_limited_total{class="read",scope="address"}`); n != float64(got[429]+1) {
		t.Fatalf("rate_limited_total{address,read} = %v, want %d", n, got[429]+1)
	}
	if n := a.metric(`streamwidgets_http_rate_limited_total{class="write",scope="address"}`); n != float64(signIns[429]) {
		t.Fatalf("rate_limited_total{address,write} = %v, want %d", n, signIns[429])
	}
}

func TestProbeFloodIsLimitedApart(t *testing.T) {
	cfg := noLimits
	cfg.AddressReads = Rate{PerSecond: 1, Burst: 100}
	cfg.AddressProbes = Rate{PerSecond: 0.2, Burst: 3}
	a := startAPI(t, cfg)
	got := a.flood(20, 2, "GET", "/HEALTHZ/", "", "") // routing ignores case and a trailing slash; so does the limit
	if got[200] < 3 || got[200] > 4 || got[429] != 20-got[200] {
		t.Fatalf("20 probes, burst 3: %v", got)
	}
	if r := a.do("GET", "/kinds", "", ""); r.status != 200 {
		t.Fatalf("/kinds after a probe flood: %d, want 200 (separate bucket)", r.status)
	}
}
