package clustered_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/clustertest"
)

// unlimitedActions lifts the per-widget action budget (benchmarks measure
// the grain and the store, not the limiter).
func unlimitedActions(d *actors.Deps) { d.ActionsPerSecond, d.ActionBurst = 1e9, 1e9 }

// BenchmarkActionsPersistedConcurrent is durable acknowledged actions per
// second on one node with many widgets acting at once (each widget one
// action at a time, as a grain serializes them): the embedded store's
// group commit shares one fsync among the grains writing together.
//
//	go test -run '^$' -bench ActionsPersistedConcurrent -benchtime 5000x ./actors/clustered/
func BenchmarkActionsPersistedConcurrent(b *testing.B) {
	for _, widgets := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("widgets=%d", widgets), func(b *testing.B) {
			n := benchNode(b, time.Minute, unlimitedActions)
			alice := actors.UserCaller("alice")
			for w := 0; w < widgets; w++ {
				if _, err := n.w.Create(ctx, alice, fmt.Sprintf("g%d", w), actors.CreateInput{Type: "goal", Active: true}); err != nil {
					b.Fatal(err)
				}
			}
			by := json.RawMessage(`{"by":1}`)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := 0; w < widgets; w++ {
				wg.Add(1)
				go func(id string) {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := n.w.Act(ctx, alice, id, "increment", by); err != nil {
							b.Error(err)
							return
						}
					}
				}(fmt.Sprintf("g%d", w))
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "actions/s")
		})
	}
}

// BenchmarkRemoteGrainCall is a read of an active grain hosted by another
// member (one gRPC round trip over loopback); BenchmarkGetActiveGrain is
// the local one.
func BenchmarkRemoteGrainCall(b *testing.B) {
	c := clustertest.New(b, 2)
	alice := actors.UserCaller("alice")
	nodes := c.Nodes()
	if _, err := nodes[0].Widgets.Create(ctx, alice, "r", actors.CreateInput{Type: "goal", Active: true}); err != nil {
		b.Fatal(err)
	}
	caller := c.Other(c.HostOf("Widget", "r"))
	if _, err := caller.Widgets.Get(ctx, alice, "r"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := caller.Widgets.Get(ctx, alice, "r"); err != nil {
			b.Fatal(err)
		}
	}
}
