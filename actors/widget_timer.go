package actors

import (
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
)

// wake fires at the time a kind asked for (kinds.Timer.At): an alert's end,
// a poll's close. at tells a stale wake (the state moved on) from the current one.
type wake struct{ at time.Time }

// maxWakeDelay bounds one timer; a later wake is reached in several.
const maxWakeDelay = 24 * time.Hour

// settle persists transitions that time alone caused (a countdown reaching
// zero, an alert ending) and publishes their events. It runs only when the
// state waits for time and its wake is due: settling decodes the whole
// config and state (1.5 ms for a full alert box), which every call would
// otherwise pay, refused and rate-limited ones included.
func (g *widgetGrain) settle() error {
	if g.stopTick == nil && (g.wakeAt.IsZero() || g.now().Before(g.wakeAt)) {
		return nil // syncTicker keeps wakeAt at the state's Timer.At
	}
	return g.settleNow()
}

// settleNow settles whether or not a wake is due (the wake itself).
func (g *widgetGrain) settleNow() error {
	def, ok := g.deps.Kinds.Lookup(g.rec.Type)
	if !ok || !g.rec.Active {
		return nil
	}
	now := g.now()
	state, events, changed, err := def.Settle(g.rec.Config, g.rec.State, now)
	if err != nil || !changed {
		return err
	}
	next := *g.rec
	next.State, next.UpdatedAt = state, now
	saved, err := g.save(next, g.rec.Version, nil)
	if errors.Is(err, ErrConflict) {
		return g.load()
	}
	if err == nil {
		g.publishEvents(saved, events, kinds.By{Role: kinds.RoleService, Service: "timer"})
	}
	return err
}

// settleRefused tells a settle that can never succeed as it stands (the
// store refuses the state's size, the kind cannot read the state) from a
// store that is only unavailable for now.
func settleRefused(err error) bool {
	var we *Error
	var ke *kinds.Error
	return errors.As(err, &we) && we.Code == CodeTooLarge || errors.As(err, &ke)
}

func (g *widgetGrain) onTick() {
	if g.rec == nil {
		g.syncTicker()
		return
	}
	if err := g.settle(); err != nil {
		g.logger().Warn("timer settle failed; retrying next tick", zap.Error(err))
	}
	g.syncTicker()
	if g.rec != nil && g.timer().Tick {
		g.publishState() // a running timer's tick: viewers re-sync to the server clock
	}
}

func (g *widgetGrain) onWake(w wake) {
	if !w.at.Equal(g.wakeAt) {
		return // the state moved on; its own wake is scheduled
	}
	g.stopWake, g.wakeAt = nil, time.Time{}
	if g.rec == nil {
		return
	}
	if err := g.settleNow(); err != nil && settleRefused(err) {
		// Retrying cannot help: wait for the next change (its save re-arms the wake).
		g.logger().Error("a timed transition was refused; it is retried after the widget's next change", zap.Error(err))
		return
	} else if err != nil {
		g.logger().Warn("timed settle failed; retrying in a second", zap.Error(err))
		g.wakeAt = g.now().Add(time.Second)
		g.stopWake = g.sched().SendOnce(time.Second, g.ctx.Self(), wake{at: g.wakeAt})
		return
	}
	g.syncTicker()
}

// timer is what the current state asks of the grain's clock. An inactive
// widget waits for nothing: its alerts do not time out unseen while it is
// off; the kind catches up on the first settle after it is switched on.
func (g *widgetGrain) timer() kinds.Timer {
	if g.rec == nil || !g.rec.Active {
		return kinds.Timer{}
	}
	def, ok := g.deps.Kinds.Lookup(g.rec.Type)
	if !ok {
		return kinds.Timer{}
	}
	return def.Timer(g.rec.Config, g.rec.State, g.now())
}

// timed reports whether the state waits for time: the grain stays active.
func (g *widgetGrain) timed() bool {
	t := g.timer()
	return t.Tick || !t.At.IsZero()
}

// syncTicker runs the tick timer exactly while the state ticks, and one
// wake at the time the state names.
func (g *widgetGrain) syncTicker() { g.syncTickerTo(g.timer()) }

// syncTickerTo is syncTicker with the state's Timer already known.
func (g *widgetGrain) syncTickerTo(t kinds.Timer) {
	switch {
	case t.Tick && g.stopTick == nil:
		every := g.deps.TickInterval
		g.stopTick = g.sched().SendRepeatedly(every, every, g.ctx.Self(), tick{})
	case !t.Tick && g.stopTick != nil:
		g.stopTicking()
	}
	if t.At.Equal(g.wakeAt) {
		return
	}
	if g.stopWake != nil {
		g.stopWake()
		g.stopWake = nil
	}
	g.wakeAt = t.At
	if !t.At.IsZero() {
		// A millisecond late, so Settle at the wake sees the deadline passed.
		// Capped: a time centuries ahead (a schedule entry in the year 9000)
		// saturates Sub, and adding to it would wrap into the past and wake
		// the grain in a loop. A capped wake settles nothing and re-arms.
		delay := min(max(0, t.At.Sub(g.now())), maxWakeDelay) + time.Millisecond
		g.stopWake = g.sched().SendOnce(delay, g.ctx.Self(), wake{at: t.At})
	}
}

func (g *widgetGrain) stopTicking() {
	if g.stopTick != nil {
		g.stopTick()
		g.stopTick = nil
	}
	if g.stopWake != nil {
		g.stopWake()
		g.stopWake, g.wakeAt = nil, time.Time{}
	}
}
