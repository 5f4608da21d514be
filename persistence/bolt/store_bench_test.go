package bolt_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// BenchmarkPutConcurrent is durable, acknowledged writes per second with
// `writers` grains writing at once, each to its own widget, each waiting for
// its write to be on disk before the next (as a grain does before it
// replies). Group commit shows as writes/s growing with writers.
//
//	go test -run '^$' -bench PutConcurrent -benchtime 3000x ./persistence/bolt/
func BenchmarkPutConcurrent(b *testing.B) {
	for _, writers := range []int{1, 8, 64, 256} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, err := bolt.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			ctx := context.Background()
			recs := make([]persistence.Record, writers)
			for i := range recs {
				if recs[i], err = s.Put(ctx, storetest.NewRecord(fmt.Sprintf("w%d", i), "alice", i), 0); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(rec persistence.Record) {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						rec.State = []byte(fmt.Sprintf(`{"duration_left":%d,"enabled":true}`, rec.Version))
						out, err := s.Put(ctx, rec, rec.Version)
						if err != nil {
							b.Error(err)
							return
						}
						rec = out
					}
				}(recs[w])
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}
