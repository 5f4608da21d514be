package app_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
)

// BenchmarkWebSocketFanout: one action from a manager socket, delivered as
// WIDGET_STATE_UPDATE to N OBS sockets (real server, real clients, loopback).
//
//	go test -run '^$' -bench WebSocketFanout -benchtime 100x ./cmd/streamwidgets/app/
func BenchmarkWebSocketFanout(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			t := &testing.T{}
			node := startNode(t, func(c *app.Config) {
				c.Widgets.MaxBroadcastRate, c.Widgets.ActionsPerSecond, c.Widgets.ActionBurst = 1e9, 1e9, 1e9
				c.WS.MaxConnsPerIP, c.WS.MessagesPerSecond, c.WS.MessageBurst = 2*n, 1e9, 1e9
				liftRESTLimits(c) // every socket's upgrade comes from one address
			})
			b.Cleanup(node.stop)
			alice := node.token("alice")
			w := node.create(alice, `{"type":"goal"}`)
			var got atomic.Int64
			var want atomic.Int64
			done := make(chan struct{}, 1)
			for i := 0; i < n; i++ {
				c := node.session(w.AccessToken)
				subscribeTo(c, w.ID)
				go func() {
					for {
						_, data, err := c.conn.ReadMessage()
						if err != nil {
							return
						}
						var m struct {
							Type    string
							Version int64
						}
						_ = json.Unmarshal(data, &m)
						if m.Type == "WIDGET_STATE_UPDATE" && m.Version == want.Load() && got.Add(1) == int64(n) {
							done <- struct{}{}
						}
					}
				}()
			}
			manager := node.session(alice)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				got.Store(0)
				want.Store(int64(i + 2))
				t0 := time.Now()
				manager.send(msg{"type": "WIDGET_ACTION", "widgetId": w.ID, "action": "increment", "payload": msg{"by": 1}})
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					b.Fatalf("action %d reached %d of %d sockets", i, got.Load(), n)
				}
				lat = append(lat, time.Since(t0))
				manager.awaitType("WIDGET_ACTION_RESPONSE")
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
