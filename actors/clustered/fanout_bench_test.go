package clustered_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
)

// BenchmarkFanout: one persisted action, delivered to N subscriber actors on
// this node. ns/op is action-to-last-delivery; p50/p99 are reported too.
//
//	go test -run '^$' -bench Fanout -benchtime 200x ./actors/
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			node := startNode(&testing.T{}, b.TempDir(), actortest.NewClock(start), time.Hour, func(d *actors.Deps) {
				d.MaxBroadcastRate, d.ActionBurst, d.ActionsPerSecond, d.MaxSubscribers = 1e9, 1e9, 1e9, n
			})
			b.Cleanup(node.stop)
			alice := actors.UserCaller("alice")
			if _, err := node.w.Create(ctx, alice, "g", actors.CreateInput{Type: "goal", Active: true}); err != nil {
				b.Fatal(err)
			}
			var delivered atomic.Int64
			var want atomic.Int64
			done := make(chan struct{}, 1)
			props := actor.PropsFromFunc(func(c actor.Context) {
				if d, ok := c.Message().(*actors.Delivery); ok && d.Version == want.Load() {
					if delivered.Add(1) == int64(n) {
						done <- struct{}{}
					}
				}
			})
			g := widgetpb.GetWidgetGrainClient(node.m.Cluster, "g")
			for i := 0; i < n; i++ {
				pid := node.m.System.Root.Spawn(props)
				actors.JoinRelay(node.m.System, "g", pid)
				if _, err := g.Subscribe(&widgetpb.SubscribeRequest{Caller: alice, WidgetId: "g", Subscriber: pid}); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			by := json.RawMessage(`{"by":1}`)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				delivered.Store(0)
				want.Store(int64(i + 2))
				t0 := time.Now()
				if _, err := node.w.Act(ctx, alice, "g", "increment", by); err != nil {
					b.Fatal(err)
				}
				<-done
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			reportPercentiles(b, lat)
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
