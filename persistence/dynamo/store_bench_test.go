package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// Latency against DynamoDB Local on loopback:
//
//	go test -run '^$' -bench . -benchtime 500x ./persistence/dynamo/
func BenchmarkDynamo(b *testing.B) {
	t := &testing.T{}
	s, _ := newStore(t)
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		if _, err := s.Put(ctx, storetest.NewRecord(fmt.Sprintf("seed%d", i), "alice", i), 0); err != nil {
			b.Fatal(err)
		}
	}
	rec, _ := s.Get(ctx, "seed0")
	b.Run("Get", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Get(ctx, "seed0"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PutVersioned", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var err error
			if rec, err = s.Put(ctx, rec, rec.Version); err != nil {
				b.Fatal(err)
			}
		}
	})
	created := 0
	b.Run("CreateWithTokenGuard", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			created++
			if _, err := s.Put(ctx, storetest.NewRecord(fmt.Sprintf("new%d", created), "bob", created), 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListPage25", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.List(ctx, persistence.ListQuery{UserID: "alice", Limit: 25}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetByTokenHash", func(b *testing.B) {
		h := persistence.TokenHash(rec.AccessToken)
		for i := 0; i < b.N; i++ {
			if _, err := s.GetByTokenHash(ctx, h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDynamoPutConcurrent is durable writes/s with many widgets writing
// at once, as grains do (each writer its own record, one versioned write at
// a time, the next after the previous answered): the DynamoDB figure of
// issue 14. Every action writes the whole record (PutItem): it reports the
// item's size and the write units one such write costs on AWS (1 per KB
// or part of it, on the table and again on the by_owner index, which
// projects every attribute).
//
//	go test -run '^$' -bench DynamoPutConcurrent -benchtime 2000x ./persistence/dynamo/
func BenchmarkDynamoPutConcurrent(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			t := &testing.T{}
			s, _ := newStore(t)
			ctx := context.Background()
			recs := make([]persistence.Record, writers)
			for w := range recs {
				rec := storetest.NewRecord(fmt.Sprintf("w%d", w), "alice", w)
				rec.Type, rec.Config = "goal", []byte(goalConfig) // a goal as the console creates it
				var err error
				if recs[w], err = s.Put(ctx, rec, 0); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range recs {
				wg.Add(1)
				go func(rec persistence.Record) {
					defer wg.Done()
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						rec.State = []byte(fmt.Sprintf(`{"current":%d}`, i))
						var err error
						if rec, err = s.Put(ctx, rec, rec.Version); err != nil {
							b.Error(err)
							return
						}
					}
				}(recs[w])
			}
			wg.Wait()
			b.StopTimer()
			size := s.ItemBytes(recs[0])
			wcu := (size + 1023) / 1024
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(float64(size), "item-B")
			b.ReportMetric(float64(2*wcu), "WCU/write")
		})
	}
}

// goalConfig is a goal widget's default config (appearance included).
const goalConfig = `{"title":"Sub goal","target":100,"unit":"subs","source":"manual","font_family":"Inter, system-ui, sans-serif","font_size":32,"text_color":"#ffffff","accent_color":"#9147ff","align":"center","outline":true}`
