package dynamo_test

import (
	"context"
	"fmt"
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
