package httpapi

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// fakeClock is a manual clock for keyedLimiter (used from one goroutine).
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestKeyedLimiterRefusesPastBurstAndSaysWhenToRetry(t *testing.T) {
	clock := newFakeClock()
	l := newKeyedLimiter(2, 3, 100, clock.Now)
	for i := 0; i < 3; i++ {
		if d := l.take("alice"); !d.ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	d := l.take("alice")
	if d.ok || !d.firstRefusal || d.retryAfter != 500*time.Millisecond {
		t.Fatalf("4th request: %+v, want refused, first refusal, retry in 500ms", d)
	}
	if d := l.take("alice"); d.ok || d.firstRefusal {
		t.Fatalf("5th request: %+v, want refused and not reported again", d)
	}
	if d := l.take("bob"); !d.ok {
		t.Fatal("another key shares alice's bucket")
	}
	clock.Advance(500 * time.Millisecond)
	if d := l.take("alice"); !d.ok {
		t.Fatal("refused after Retry-After")
	}
	if d := l.take("alice"); d.ok || !d.firstRefusal {
		t.Fatalf("a new flood after an allowed request: %+v, want a first refusal", d)
	}
}

// TestKeyedLimiterForgetsIdleKeys: an attacker rotating keys cannot grow the
// map: keys idle for the refill time are forgotten.
func TestKeyedLimiterForgetsIdleKeys(t *testing.T) {
	clock := newFakeClock()
	l := newKeyedLimiter(50, 100, 1_000_000, clock.Now) // refill time 2s
	for i := 0; i < 10_000; i++ {
		l.take(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	if n := l.size(); n != 10_000 {
		t.Fatalf("tracking %d keys, want 10000", n)
	}
	clock.Advance(2 * time.Second)
	l.take("198.51.100.1")
	if n := l.size(); n != 1 {
		t.Fatalf("after the refill time %d keys are still tracked, want 1", n)
	}
}

func TestKeyedLimiterIsBounded(t *testing.T) {
	clock := newFakeClock()
	l := newKeyedLimiter(1, 10, 64, clock.Now)
	for i := 0; i < 10_000; i++ {
		if d := l.take(fmt.Sprint("key-", i)); !d.ok {
			t.Fatalf("a new key's first request was refused (%d)", i)
		}
	}
	if n := l.size(); n > 64 {
		t.Fatalf("tracking %d keys, cap is 64", n)
	}
}

// TestKeyedLimiterForgettingChangesNoDecision replays random traffic through
// the limiter and through one that never forgets: every decision must match,
// since a forgotten bucket was full and a new one starts full.
func TestKeyedLimiterForgettingChangesNoDecision(t *testing.T) {
	clock := newFakeClock()
	const perSecond, burst = 5, 4
	l := newKeyedLimiter(perSecond, burst, 1_000_000, clock.Now)
	ref := map[string]*rate.Limiter{}
	rng := rand.New(rand.NewPCG(1, 2))
	allowed, refused := 0, 0
	for i := 0; i < 50_000; i++ {
		clock.Advance(time.Duration(rng.IntN(200)) * time.Millisecond / 10)
		key := fmt.Sprint("k", rng.IntN(20))
		r, ok := ref[key]
		if !ok {
			r = rate.NewLimiter(perSecond, burst)
			ref[key] = r
		}
		want := r.AllowN(clock.Now(), 1)
		if got := l.take(key).ok; got != want {
			t.Fatalf("request %d for %s: limiter says %v, a never-forgetting one %v", i, key, got, want)
		}
		if want {
			allowed++
		} else {
			refused++
		}
	}
	if allowed == 0 || refused == 0 {
		t.Fatalf("the replay never exercised both outcomes: %d allowed, %d refused", allowed, refused)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, c := range []struct {
		wait time.Duration
		want int
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {9500 * time.Millisecond, 10}} {
		if got := retryAfterSeconds(c.wait); got != c.want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", c.wait, got, c.want)
		}
	}
}

func TestRateDefaults(t *testing.T) {
	def := Rate{PerSecond: 50, Burst: 100}
	for _, c := range []struct {
		name string
		in   Rate
		want Rate
	}{
		{"zero is the default", Rate{}, def},
		{"rate only: burst twice the rate", Rate{PerSecond: 5}, Rate{PerSecond: 5, Burst: 10}},
		{"small rate: burst at least 1", Rate{PerSecond: 0.1}, Rate{PerSecond: 0.1, Burst: 1}},
		{"burst only: default rate", Rate{Burst: 7}, Rate{PerSecond: 50, Burst: 7}},
		{"both set", Rate{PerSecond: 3, Burst: 4}, Rate{PerSecond: 3, Burst: 4}},
		{"negative turns it off", Rate{PerSecond: -1}, Rate{PerSecond: -1}},
	} {
		if got := c.in.withDefault(def); got != c.want {
			t.Errorf("%s: %+v -> %+v, want %+v", c.name, c.in, got, c.want)
		}
	}
}
