package httpapi

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyedLimiter is one token bucket (golang.org/x/time/rate) per key: a user id
// or a client address. Its map cannot grow without bound:
//
//   - A bucket left alone for burst/rate is full again, and a bucket created
//     afresh starts full, so forgetting it changes no decision. A sweep, run
//     from take at most once per that refill time, forgets every full bucket:
//     the map holds only keys seen within the last refill time.
//   - maxKeys caps it anyway (an attacker rotating more addresses per refill
//     time than the node can serve requests): when full after a sweep, one
//     arbitrary bucket is dropped, which at worst gives that key a fresh burst.
type keyedLimiter struct {
	limit   rate.Limit
	burst   int
	refill  time.Duration // burst/limit: how long an idle bucket takes to fill
	maxKeys int
	now     func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	nextSweep time.Time
}

type bucket struct {
	lim *rate.Limiter
	// refused is set by a refusal and cleared by the next allowed request,
	// so a flood is reported once, when it starts.
	refused bool
}

// decision is the outcome of one take.
type decision struct {
	ok bool
	// retryAfter is how long until one token is available (refusals only).
	retryAfter time.Duration
	// firstRefusal is true for the first refusal after an allowed request.
	firstRefusal bool
}

// newKeyedLimiter returns a limiter allowing perSecond requests per key with
// bursts of burst, tracking at most maxKeys keys.
func newKeyedLimiter(perSecond float64, burst, maxKeys int, now func() time.Time) *keyedLimiter {
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &keyedLimiter{
		limit: rate.Limit(perSecond), burst: burst, refill: max(refill, time.Second),
		maxKeys: maxKeys, now: now, buckets: map[string]*bucket{},
	}
}

// take spends one token of key's bucket if it has one.
func (l *keyedLimiter) take(key string) decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !now.Before(l.nextSweep) {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.sweep(now)
			l.evictOne()
		}
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	if b.lim.AllowN(now, 1) {
		b.refused = false
		return decision{ok: true}
	}
	first := !b.refused
	b.refused = true
	missing := 1 - b.lim.TokensAt(now)
	wait := time.Duration(missing / float64(l.limit) * float64(time.Second))
	return decision{retryAfter: wait, firstRefusal: first}
}

// check reports whether key's bucket has a token, without spending it.
func (l *keyedLimiter) check(key string) decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return decision{ok: true}
	}
	now := l.now()
	if tokens := b.lim.TokensAt(now); tokens < 1 {
		return decision{retryAfter: time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))}
	}
	return decision{ok: true}
}

// sweep forgets every bucket that is full again. Callers hold mu.
func (l *keyedLimiter) sweep(now time.Time) {
	full := float64(l.burst)
	for k, b := range l.buckets {
		if b.lim.TokensAt(now) >= full {
			delete(l.buckets, k)
		}
	}
	l.nextSweep = now.Add(l.refill)
}

// evictOne drops one arbitrary bucket if the map is still full. Callers hold mu.
func (l *keyedLimiter) evictOne() {
	if len(l.buckets) < l.maxKeys {
		return
	}
	for k := range l.buckets {
		delete(l.buckets, k)
		return
	}
}

// size is the number of keys tracked (tests and metrics).
func (l *keyedLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// retryAfterSeconds renders a wait as a Retry-After value: whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
