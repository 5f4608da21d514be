package actors

import (
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// idleWheel asks grains whether they are idle, at the time each asked to
// be asked: one timing wheel per actor system instead of a runtime timer
// per grain (~130 bytes each; a slot here is one pointer). Grains register
// on activation and again after each check that keeps them (see onIdle).
//
// A grain that stopped meanwhile (deleted, missing widget) gets its check
// as a dead letter, which protoactor drops.
type idleWheel struct {
	system *actor.ActorSystem
	tick   time.Duration

	mu    sync.Mutex
	slots [][]*actor.PID // slots[(pos+k) % len] is due in k ticks
	pos   int
}

// wheels holds one idleWheel per actor system (several in one test process).
var wheels sync.Map // *actor.ActorSystem -> *idleWheel

// idleWheelOf returns system's wheel, started on first use for grains
// whose idle timeout is about idle. It stops when the system shuts down.
func idleWheelOf(system *actor.ActorSystem, idle time.Duration) *idleWheel {
	if w, ok := wheels.Load(system); ok {
		return w.(*idleWheel)
	}
	// Fine enough to keep the jitter (idle/5) meaningful, coarse enough
	// to cost nothing: a second with the default 5 minutes.
	tick := min(max(idle/300, 5*time.Millisecond), time.Second)
	span := int(idle*6/5/tick) + 3 // the longest idle timeout with its jitter
	w := &idleWheel{system: system, tick: tick, slots: make([][]*actor.PID, span)}
	if prev, loaded := wheels.LoadOrStore(system, w); loaded {
		return prev.(*idleWheel)
	}
	go w.run()
	return w
}

// after registers pid for an idle check in d (rounded up to the tick;
// beyond the wheel's span, at its end: the grain registers again).
func (w *idleWheel) after(pid *actor.PID, d time.Duration) {
	k := int((d + w.tick - 1) / w.tick)
	k = min(max(k, 1), len(w.slots)-1)
	w.mu.Lock()
	i := (w.pos + k) % len(w.slots)
	w.slots[i] = append(w.slots[i], pid)
	w.mu.Unlock()
}

func (w *idleWheel) run() {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for range t.C {
		if w.system.IsStopped() {
			wheels.Delete(w.system)
			return
		}
		w.mu.Lock()
		w.pos = (w.pos + 1) % len(w.slots)
		due := w.slots[w.pos]
		w.slots[w.pos] = nil
		w.mu.Unlock()
		w.send(due)
	}
}

// idleChunk is how many checks go out together.
const idleChunk = 64

// send asks due grains, spread over half a tick: a wave of passivations
// (100,000 grains activated together go idle together) then reaches the
// scheduler as a steady trickle, not a burst each tick that activations
// would queue behind.
func (w *idleWheel) send(due []*actor.PID) {
	chunks := (len(due) + idleChunk - 1) / idleChunk
	for c := 0; c < chunks; c++ {
		if c > 0 {
			time.Sleep(w.tick / 2 / time.Duration(chunks))
		}
		for _, pid := range due[c*idleChunk : min((c+1)*idleChunk, len(due))] {
			w.system.Root.Send(pid, idleCheck{})
		}
	}
}
