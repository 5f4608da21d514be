package actors

import "time"

// budget is a token bucket with golang.org/x/time/rate's semantics (it
// starts full; tokens accrue at perSecond up to burst), kept inline in the
// grain: 16 bytes instead of an 80-byte rate.Limiter behind a pointer and a
// map entry. Only the grain's goroutine touches it, so it has no lock.
type budget struct {
	tokens float64
	at     int64 // monotonic nanoseconds of the last update; 0: never used (full)
}

// monoEpoch anchors budget times to the monotonic clock (immune to wall-clock steps).
var monoEpoch = time.Now()

func monoNow() int64 { return int64(time.Since(monoEpoch)) + 1 }

func (b *budget) advance(now int64, perSecond float64, burst int) {
	if b.at == 0 {
		b.tokens, b.at = float64(burst), now
		return
	}
	if now > b.at {
		b.tokens = min(float64(burst), b.tokens+float64(now-b.at)*perSecond/float64(time.Second))
		b.at = now
	}
}

// allow spends one token if there is one.
func (b *budget) allow(perSecond float64, burst int) bool {
	b.advance(monoNow(), perSecond, burst)
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// reserve spends one token, now or in the future, and says how long to
// wait until it is there (0: now), like rate.Limiter's Reserve().Delay().
func (b *budget) reserve(perSecond float64, burst int) time.Duration {
	b.advance(monoNow(), perSecond, burst)
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / perSecond * float64(time.Second))
}

// actionBudget is one action's budget on one widget (see allowAction).
type actionBudget struct {
	name string
	budget
}
