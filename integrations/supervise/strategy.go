// Package supervise runs an integration's parts as children of one host
// actor (the integration grain, or a plain actor in tests): a crashing child
// is restarted with exponential backoff, a child that keeps crashing is
// stopped and shows in the connection's status, and nothing a child does
// can stop its siblings, its host or the node.
package supervise

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Policy says how crashed children are restarted. Zero values are defaults.
type Policy struct {
	// InitialBackoff is the wait before the first restart; it doubles per
	// crash in Window. Default 500ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the wait. Default 30s.
	MaxBackoff time.Duration
	// MaxRestarts is how many crashes within Window a child may have; one
	// more stops it for good. Default 5.
	MaxRestarts int
	// Window is the period crashes are counted over. Default 5m.
	Window time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = 500 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 30 * time.Second
	}
	if p.MaxRestarts <= 0 {
		p.MaxRestarts = 5
	}
	if p.Window <= 0 {
		p.Window = 5 * time.Minute
	}
	return p
}

// Backoff is the wait before restart n (1-based): InitialBackoff doubling,
// capped, with up to 20% jitter so children of many hosts do not restart in
// step.
func (p Policy) Backoff(n int) time.Duration {
	p = p.withDefaults()
	d := p.InitialBackoff
	for i := 1; i < n && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// childCrashed is what the strategy tells the host about a crash: a restart
// is scheduled after Delay, or (GaveUp) the child was stopped.
type childCrashed struct {
	pid      *actor.PID
	reason   string
	restarts int
	delay    time.Duration
	gaveUp   bool
}

// strategy is a SupervisorStrategy: restart with backoff, give up after
// MaxRestarts crashes in Window. It never escalates, so a child's crash
// never reaches the host's own supervisor.
type strategy struct{ p Policy }

// Strategy returns the supervisor strategy for a host's props
// (actor.WithSupervisor).
func Strategy(p Policy) actor.SupervisorStrategy { return &strategy{p: p.withDefaults()} }

func (s *strategy) HandleFailure(system *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, rs *actor.RestartStatistics, reason, _ any) {
	// The failing message is left out on purpose: it may carry a platform
	// payload; the reason is the panic value, our own code's.
	var host *actor.PID
	if h, ok := sup.(interface{ Self() *actor.PID }); ok {
		host = h.Self()
	}
	crashes := rs.NumberOfFailures(s.p.Window) + 1
	rs.Fail()
	msg := &childCrashed{pid: child, reason: fmt.Sprint(reason), restarts: crashes}
	if crashes > s.p.MaxRestarts {
		msg.gaveUp = true
		sup.StopChildren(child)
	} else {
		msg.delay = s.p.Backoff(crashes)
		time.AfterFunc(msg.delay, func() { sup.RestartChildren(child) })
	}
	if host != nil {
		system.Root.Send(host, msg)
	}
}
