package actors

import (
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// TestIdleWheelAsksAtTheTimeAsked: each registered grain gets its idle
// check once, not before its time, and the wheel stops with its system.
func TestIdleWheelAsksAtTheTimeAsked(t *testing.T) {
	system := actor.NewActorSystem()
	var mu sync.Mutex
	got := map[string]time.Time{}
	props := actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(idleCheck); ok {
			mu.Lock()
			if _, twice := got[c.Self().Id]; twice {
				t.Errorf("%s checked twice", c.Self().Id)
			}
			got[c.Self().Id] = time.Now()
			mu.Unlock()
		}
	})
	w := idleWheelOf(system, time.Second) // 5 ms ticks
	if again := idleWheelOf(system, time.Minute); again != w {
		t.Fatal("a second wheel for the same system")
	}
	start := time.Now()
	delays := map[string]time.Duration{"a": 20 * time.Millisecond, "b": 200 * time.Millisecond, "c": 10 * time.Second}
	for name, d := range delays {
		pid, err := system.Root.SpawnNamed(props, name)
		if err != nil {
			t.Fatal(err)
		}
		w.after(pid, d)
	}
	time.Sleep(600 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{"a", "b"} {
		at, ok := got[name]
		if !ok {
			t.Fatalf("%s never checked", name)
		}
		if early := delays[name] - at.Sub(start); early > 0 {
			t.Errorf("%s checked %v early", name, early)
		}
	}
	// Beyond the span (1.2 s + 3 ticks), a check comes at the span's end:
	// the grain then registers again for the rest.
	if _, ok := got["c"]; ok {
		t.Error("c checked after 0.6 s; asked for 10 s (the span is ~1.2 s)")
	}
	system.Shutdown()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := wheels.Load(system); !ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("the wheel outlived its actor system")
}
