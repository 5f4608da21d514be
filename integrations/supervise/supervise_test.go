package supervise_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/integrationstest"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
)

// crasher panics on start, every time.
type crasher struct{ starts *atomic.Int32 }

func (c *crasher) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		c.starts.Add(1)
		panic("poller bug: index out of range")
	}
}

// steady reports every 20 ms, counting.
type steady struct {
	ticks  *atomic.Int32
	timers *supervise.Timers
}

type tick struct{}

func (s *steady) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		s.timers = supervise.NewTimers(ctx)
		s.timers.After("t", 20*time.Millisecond, tick{})
	case *actor.Stopping:
		s.timers.StopAll()
	case tick:
		n := s.ticks.Add(1)
		supervise.Tell(ctx, &supervise.Report{State: integrations.StateConnected, Detail: fmt.Sprint("tick ", n)})
		s.timers.After("t", 20*time.Millisecond, tick{})
	}
}

// TestCrashLoopStopsOnlyThatPart: a part that crashes on every start is
// restarted with backoff, then stopped; the connection says which part and
// why, and its sibling keeps running throughout.
func TestCrashLoopStopsOnlyThatPart(t *testing.T) {
	var starts, ticks atomic.Int32
	h := integrationstest.StartHost(t, "test", []supervise.Child{
		{Name: "crasher", Props: actor.PropsFromProducer(func() actor.Actor { return &crasher{starts: &starts} })},
		{Name: "steady", Props: actor.PropsFromProducer(func() actor.Actor { return &steady{ticks: &ticks} })},
	}, supervise.Policy{InitialBackoff: 10 * time.Millisecond, MaxRestarts: 3, Window: time.Minute}, integrationstest.Logger(t))

	var st integrations.Status
	integrationstest.Eventually(t, 5*time.Second, func() error {
		st = h.Status(t)
		for _, c := range st.Components {
			if c.Name == "crasher" && c.Run == "stopped" {
				return nil
			}
		}
		return fmt.Errorf("crasher not stopped yet: %+v", st.Components)
	})
	if got := starts.Load(); got != 4 {
		t.Fatalf("crasher started %d times, want 1 + 3 restarts", got)
	}
	if st.State != integrations.StateDegraded || !strings.Contains(st.Message, "crasher") || !strings.Contains(st.Message, "index out of range") {
		t.Fatalf("status: %s %q", st.State, st.Message)
	}
	before := ticks.Load()
	time.Sleep(200 * time.Millisecond)
	if ticks.Load() <= before {
		t.Fatal("the sibling stopped with the crashing part")
	}
	time.Sleep(100 * time.Millisecond)
	if starts.Load() != 4 {
		t.Fatal("a stopped part was started again")
	}
}

func TestBackoffDoublesAndIsCapped(t *testing.T) {
	p := supervise.Policy{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	base := 100 * time.Millisecond
	for n := 1; n <= 8; n++ {
		d := p.Backoff(n)
		// base doubling to the cap, plus up to 20% jitter.
		if d < base || d > base*6/5 {
			t.Fatalf("backoff %d = %s, want %s plus at most 20%%", n, d, base)
		}
		base = min(base*2, time.Second)
	}
}

// TestRestartStartsEveryPartAgain: stopping and starting at once (a new
// "Connect") must not collide with the stopping children's names.
func TestRestartStartsEveryPartAgain(t *testing.T) {
	var ticks atomic.Int32
	h := integrationstest.StartHost(t, "test", []supervise.Child{
		{Name: "steady", Props: actor.PropsFromProducer(func() actor.Actor { return &steady{ticks: &ticks} })},
	}, supervise.Policy{}, integrationstest.Logger(t))
	for range 3 {
		h.Restart(t)
	}
	integrationstest.Eventually(t, 2*time.Second, func() error {
		st := h.Status(t)
		if len(st.Components) != 1 || st.Components[0].Run != "running" || st.State != integrations.StateConnected {
			return fmt.Errorf("after restarts: %+v", st.Components)
		}
		return nil
	})
}
