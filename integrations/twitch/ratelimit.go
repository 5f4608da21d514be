package twitch

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimiter follows Helix's points bucket (800 points a minute per user
// token) from the Ratelimit-Limit, -Remaining and -Reset headers of every
// answer. With the bucket empty a call waits for the reset, or fails with
// *RateLimitedError when the reset is past its deadline. One limiter is
// shared by every call made with one account's token.
type RateLimiter struct {
	mu        sync.Mutex
	limit     int
	remaining int
	reset     time.Time
	known     bool
	now       func() time.Time
}

// NewRateLimiter returns a limiter that knows nothing until the first answer.
func NewRateLimiter() *RateLimiter { return &RateLimiter{now: time.Now} }

// Take reserves one point, waiting for the reset if the bucket is empty.
func (r *RateLimiter) Take(ctx context.Context) error {
	for {
		r.mu.Lock()
		now := r.now()
		if r.known && !now.Before(r.reset) {
			r.known = false // a new window: the next answer tells its size
		}
		if !r.known || r.remaining > 0 {
			if r.known {
				r.remaining--
			}
			r.mu.Unlock()
			return nil
		}
		until := r.reset
		r.mu.Unlock()
		if dl, ok := ctx.Deadline(); ok && dl.Before(until) {
			return &RateLimitedError{Until: until}
		}
		t := time.NewTimer(until.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Observe records an answer's headers.
func (r *RateLimiter) Observe(h http.Header) {
	limit, err1 := strconv.Atoi(h.Get("Ratelimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("Ratelimit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("Ratelimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limit, r.remaining, r.reset, r.known = limit, remaining, time.Unix(reset, 0), true
}

// Exhausted records a 429: nothing left until reset (from the header, or a
// second from now if it had none).
func (r *RateLimiter) Exhausted(h http.Header) time.Time {
	r.Observe(h)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.known || !r.reset.After(r.now()) {
		r.reset, r.known = r.now().Add(time.Second), true
	}
	r.remaining = 0
	return r.reset
}

// Remaining returns the points left as last seen and when the bucket refills.
func (r *RateLimiter) Remaining() (int, time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.remaining, r.reset, r.known
}
