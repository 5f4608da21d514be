package ws

import (
	"time"

	"golang.org/x/time/rate"
)

// verdict is what the flood guard says about one incoming frame.
type verdict int

const (
	admitted verdict = iota // within the budget
	refused                 // over the budget: refuse it, keep the socket
	flooding                // too many refusals: close the socket (1008)
)

// floodGuard is one connection's message budget. Every frame counts, text,
// binary or control: a frame the server refuses still costs it a read. It is
// used by the socket's reader goroutine only (ping and pong handlers run
// inside its reads), so it needs no lock.
type floodGuard struct {
	limiter       *rate.Limiter
	maxViolations int
	violations    int
	windowStart   time.Time
}

func newFloodGuard(perSecond float64, burst, maxViolations int) *floodGuard {
	return &floodGuard{limiter: rate.NewLimiter(rate.Limit(perSecond), burst), maxViolations: maxViolations, windowStart: time.Now()}
}

// admit counts one frame. MaxViolations refusals within a minute mean flooding.
func (g *floodGuard) admit() verdict {
	if g.limiter.Allow() {
		return admitted
	}
	if time.Since(g.windowStart) > time.Minute {
		g.violations, g.windowStart = 0, time.Now()
	}
	g.violations++
	if g.violations >= g.maxViolations {
		return flooding
	}
	return refused
}
