package actors

import (
	"testing"
	"time"
)

// TestBudgetIsATokenBucket: a fresh budget allows its burst at once, then
// one action per 1/perSecond; a reservation past the budget says how long
// to wait, and waits add up.
func TestBudgetIsATokenBucket(t *testing.T) {
	var b budget
	now := int64(1)
	for i := 0; i < 40; i++ {
		b.advance(now, 20, 40)
		if b.tokens < 1 {
			t.Fatalf("burst: refused action %d of 40", i+1)
		}
		b.tokens--
	}
	b.advance(now, 20, 40)
	if b.tokens >= 1 {
		t.Fatal("allowed a 41st action at once")
	}
	now += int64(50 * time.Millisecond) // one token at 20/s
	b.advance(now, 20, 40)
	if b.tokens < 1 || b.tokens >= 2 {
		t.Fatalf("after 50 ms: %.2f tokens, want 1", b.tokens)
	}
	now += int64(time.Hour)
	b.advance(now, 20, 40)
	if b.tokens != 40 {
		t.Fatalf("after an hour: %.2f tokens, want the burst (40)", b.tokens)
	}

	var r budget
	for i := 0; i < 3; i++ {
		if d := r.reserve(10, 3); d != 0 {
			t.Fatalf("reservation %d waits %v within the burst", i+1, d)
		}
	}
	if d := r.reserve(10, 3); d < 90*time.Millisecond || d > 100*time.Millisecond {
		t.Fatalf("4th reservation waits %v, want ~100 ms", d)
	}
	if d := r.reserve(10, 3); d < 190*time.Millisecond || d > 200*time.Millisecond {
		t.Fatalf("5th reservation waits %v, want ~200 ms (waits add up)", d)
	}
	if !(&budget{}).allow(1, 1) {
		t.Fatal("a fresh budget refused its first action")
	}
}
