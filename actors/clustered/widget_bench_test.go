package clustered_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// Figures for the notes: go test -run '^$' -bench . -benchtime 2000x ./actors/

// benchNode starts a node whose (slow, graceful) stop runs after the timer.
func benchNode(b *testing.B, idle time.Duration, mutate ...func(*actors.Deps)) *node {
	t := &testing.T{}
	n := startNode(t, b.TempDir(), actortest.NewClock(start), idle, mutate...)
	b.Cleanup(n.stop)
	return n
}

func BenchmarkCreateThroughGrain(b *testing.B) {
	n := benchNode(b, time.Minute)
	alice := actors.UserCaller("alice")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.w.Create(ctx, alice, fmt.Sprintf("w%d", i), actors.CreateInput{Type: "goal", Active: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetActiveGrain(b *testing.B) {
	n := benchNode(b, time.Minute)
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "w", actors.CreateInput{Type: "goal", Active: true}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.w.Get(ctx, alice, "w"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkActionPersisted is one acknowledged action on one widget, each
// waiting for the previous: apply, persist (fsync), reply. The per-widget
// action budget (20/s by default) would refuse all but the first 40: this
// measures the grain and the store, so the budget is lifted.
func BenchmarkActionPersisted(b *testing.B) {
	n := benchNode(b, time.Minute, unlimitedActions)
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "g", actors.CreateInput{Type: "goal", Active: true}); err != nil {
		b.Fatal(err)
	}
	by := json.RawMessage(`{"by":1}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.w.Act(ctx, alice, "g", "increment", by); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdleGrainMemory activates b.N grains (loaded from the store) and
// reports the heap each idle grain keeps.
func BenchmarkIdleGrainMemory(b *testing.B) {
	n := benchNode(b, time.Hour)
	for i := 0; i < b.N; i++ {
		if _, err := n.store.Put(ctx, storetest.NewRecord(fmt.Sprintf("m%d", i), "alice", i), 0); err != nil {
			b.Fatal(err)
		}
	}
	alice := actors.UserCaller("alice")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.w.Get(ctx, alice, fmt.Sprintf("m%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heap-B/grain")
}
