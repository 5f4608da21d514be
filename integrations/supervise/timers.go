package supervise

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"
)

// Timers are an actor's named one-shot timers: each delivers a message to
// the actor; setting a name again replaces its timer. Stop them all in
// Stopping and Restarting. Timer messages should implement
// actor.NotInfluenceReceiveTimeout when the host passivates on idleness.
type Timers struct {
	sched  *scheduler.TimerScheduler
	self   *actor.PID
	cancel map[string]scheduler.CancelFunc
}

// NewTimers returns the timers of the actor of ctx (call in Started).
func NewTimers(ctx actor.Context) *Timers {
	return &Timers{sched: scheduler.NewTimerScheduler(ctx.ActorSystem().Root), self: ctx.Self(), cancel: map[string]scheduler.CancelFunc{}}
}

// After sends msg to the actor after d, replacing the timer named name.
func (t *Timers) After(name string, d time.Duration, msg any) {
	if c := t.cancel[name]; c != nil {
		c()
	}
	t.cancel[name] = t.sched.SendOnce(max(d, 0), t.self, msg)
}

// Cancel stops the timer named name.
func (t *Timers) Cancel(name string) {
	if c := t.cancel[name]; c != nil {
		c()
		delete(t.cancel, name)
	}
}

// StopAll stops every timer.
func (t *Timers) StopAll() {
	if t == nil {
		return
	}
	for name, c := range t.cancel {
		c()
		delete(t.cancel, name)
	}
}
