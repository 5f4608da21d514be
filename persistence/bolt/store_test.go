package bolt_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) persistence.Store {
		s, err := bolt.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestDataSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), storetest.NewRecord("w1", "alice", 0), 0); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, err = bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(context.Background(), "w1")
	if err != nil || got.Version != 1 {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if err := s.Ping(context.Background()); !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("ping on closed store: %v, want ErrUnavailable", err)
	}
}

func TestSecondProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := bolt.Open(dir); err == nil {
		t.Fatal("a second open of a locked data dir succeeded")
	}
}

func TestTombstoneExpiresAndIsPurged(t *testing.T) {
	s, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var now time.Time
	s.SetClock(func() time.Time { return now })
	storetest.TombstoneExpiry(t, s, func(t time.Time) { now = t })
	// The next delete purges the expired tombstone and leaves its own.
	mustCreate(t, s, storetest.NewRecord("w2", "alice", 1))
	if err := s.Delete(context.Background(), "w2", 1); err != nil {
		t.Fatal(err)
	}
	if d, e := s.TombstoneEntries(); d != 1 || e != 1 {
		t.Fatalf("tombstones after a delete past the first one's expiry: %d/%d, want 1/1", d, e)
	}
}

func mustCreate(t *testing.T, s *bolt.Store, rec persistence.Record) {
	t.Helper()
	if _, err := s.Put(context.Background(), rec, 0); err != nil {
		t.Fatal(err)
	}
}
