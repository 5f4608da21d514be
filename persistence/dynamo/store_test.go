package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo/dynamotest"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// server is one DynamoDB Local for the whole package; each test gets its own tables.
var server *dynamotest.Server

func TestMain(m *testing.M) {
	dynamotest.UseLocalCredentials()
	var err error
	server, err = dynamotest.Start("")
	if err != nil {
		fmt.Fprintln(os.Stderr, "dynamo tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

var tableSeq atomic.Int64

func newStore(t *testing.T) (*dynamo.Store, dynamo.Config) {
	t.Helper()
	n := tableSeq.Add(1)
	cfg := dynamo.Config{Endpoint: server.Endpoint, WidgetsTable: fmt.Sprintf("widgets_%d", n), CredentialsTable: fmt.Sprintf("creds_%d", n)}
	db, err := dynamo.NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dynamo.Migrate(context.Background(), db, cfg); err != nil {
		t.Fatal(err)
	}
	return dynamo.New(db, cfg, testKeys(t)), cfg
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) persistence.Store {
		s, _ := newStore(t)
		return s
	})
}

func TestMigrateIsIdempotentAndServeChecksTables(t *testing.T) {
	_, cfg := newStore(t)
	db, _ := dynamo.NewClient(context.Background(), cfg)
	done, err := dynamo.Migrate(context.Background(), db, cfg)
	if err != nil || len(done) != 0 {
		t.Fatalf("second migrate did %v (%v), want nothing", done, err)
	}
	if err := dynamo.Check(context.Background(), db, cfg); err != nil {
		t.Fatalf("check after migrate: %v", err)
	}
	cfg.WidgetsTable = "never_created"
	err = dynamo.Check(context.Background(), db, cfg)
	if err == nil || !strings.Contains(err.Error(), "never_created does not exist") || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("check with a missing table: %v", err)
	}
}

func TestOversizeRecordIsRefusedBeforeTheWrite(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	rec, err := s.Put(ctx, storetest.NewRecord("w1", "alice", 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	big := rec
	big.State = []byte(`{"text":"` + strings.Repeat("x", 410*1024) + `"}`)
	if _, err := s.Put(ctx, big, rec.Version); !errors.Is(err, persistence.ErrTooLarge) {
		t.Fatalf("oversize put: %v, want ErrTooLarge", err)
	}
	got, _ := s.Get(ctx, "w1")
	if got.Version != 1 || string(got.State) != string(rec.State) {
		t.Fatal("the refused write changed the record")
	}
}

func TestTombstoneExpires(t *testing.T) {
	s, _ := newStore(t)
	var now time.Time
	s.SetClock(func() time.Time { return now })
	storetest.TombstoneExpiry(t, s, func(t time.Time) { now = t })
}
