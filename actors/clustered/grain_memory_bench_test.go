package clustered_test

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/streamwidgets/streamwidgets/actors"
)

// BenchmarkActiveGrainMemory is the heap one active widget grain keeps, as
// a node serving streams holds it: created through its grain (as REST
// creates widgets), then one action each (the action budget is in use).
// It reports heap-B/grain after a forced GC; issue 14's target is ≤ 2 KiB.
//
//	go test -run '^$' -bench ActiveGrainMemory -benchtime 5000x ./actors/clustered/
//
// SW_GRAIN_HEAP=FILE also writes a heap profile there while the grains are
// active (run with -memprofilerate 1 for every allocation):
//
//	go tool pprof -sample_index=inuse_space -top FILE
func BenchmarkActiveGrainMemory(b *testing.B) {
	n := benchNode(b, time.Hour)
	alice := actors.UserCaller("alice")
	set := json.RawMessage(`{"value":7}`)
	id := func(i int) string { return fmt.Sprintf("a%07d", i) }
	// One grain first: the node's lazily made structures (kind tables,
	// pools, the first bbolt pages) are not a grain's.
	if _, err := n.w.Create(ctx, alice, "warm", actors.CreateInput{Type: "goal", Active: true}); err != nil {
		b.Fatal(err)
	}
	warmRegistry(n.m.System)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // twice: sync.Pool's victim cache outlives one
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.w.Create(ctx, alice, id(i), actors.CreateInput{Type: "goal", Active: true}); err != nil {
			b.Fatal(err)
		}
		if _, err := n.w.Act(ctx, alice, id(i), "set", set); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "heap-B/grain")
	if path := os.Getenv("SW_GRAIN_HEAP"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// warmRegistry passes 200,000 short-lived futures through protoactor's
// process registry, as a node's requests do once it has served for a
// while. The registry is 32,768 small maps; each keeps its table once an
// entry has passed through it, so on a fresh node the first grains and
// calls seem to cost ~900 bytes each more than they do on a node in
// service (9 MiB in all, once).
func warmRegistry(system *actor.ActorSystem) {
	for range 200_000 {
		f := actor.NewFuture(system, time.Minute)
		system.Root.Send(f.PID(), struct{}{})
		_, _ = f.Result()
	}
}
