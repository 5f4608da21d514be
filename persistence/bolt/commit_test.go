package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// TestConcurrentWritesShareCommits: many grains writing at once are
// committed in far fewer transactions than writes (one fsync for many), and
// every acknowledged write is on disk after a reopen.
func TestConcurrentWritesShareCommits(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 64, 20
	final := writeConcurrently(t, s, writers, each)
	commits := s.Commits()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if commits > writers*each/2 {
		t.Errorf("%d writes took %d commits: writes are not committed together", writers*each, commits)
	}
	t.Logf("%d writes in %d commits", writers*each, commits)
	assertStored(t, dir, final)
}

// TestCloseKeepsEveryAcknowledgedWrite closes the store while writers are
// busy: a write that was acknowledged is on disk; one that failed is not.
func TestCloseKeepsEveryAcknowledgedWrite(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const writers = 32
	recs := make([]persistence.Record, writers)
	for i := range recs {
		if recs[i], err = s.Put(context.Background(), storetest.NewRecord(fmt.Sprintf("w%d", i), "alice", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	acked := make([]int64, writers)
	for w := range recs {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rec := recs[w]
			for {
				rec.Title = fmt.Sprintf("v%d", rec.Version+1)
				out, err := s.Put(context.Background(), rec, rec.Version)
				if err != nil {
					if !errors.Is(err, persistence.ErrUnavailable) {
						t.Errorf("writer %d: %v, want ErrUnavailable after close", w, err)
					}
					acked[w] = rec.Version
					return
				}
				rec = out
			}
		}(w)
	}
	time.Sleep(200 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	final := map[string]int64{}
	for w, v := range acked {
		final[fmt.Sprintf("w%d", w)] = v
	}
	assertStored(t, dir, final)
}

// writeConcurrently runs writers goroutines, each updating its own widget
// each times; it returns each widget's last acknowledged version.
func writeConcurrently(t *testing.T, s *bolt.Store, writers, each int) map[string]int64 {
	t.Helper()
	var mu sync.Mutex
	final := map[string]int64{}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			id := fmt.Sprintf("w%d", w)
			rec, err := s.Put(context.Background(), storetest.NewRecord(id, "alice", w), 0)
			for i := 1; i < each && err == nil; i++ {
				rec.Title = fmt.Sprintf("write %d", i)
				rec, err = s.Put(context.Background(), rec, rec.Version)
			}
			if err != nil {
				t.Errorf("writer %d: %v", w, err)
				return
			}
			mu.Lock()
			final[id] = rec.Version
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	return final
}

func assertStored(t *testing.T, dir string, want map[string]int64) {
	t.Helper()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, v := range want {
		got, err := s.Get(context.Background(), id)
		if err != nil || got.Version != v {
			t.Errorf("%s after reopen: version %d (%v), last acknowledged %d", id, got.Version, err, v)
		}
	}
}
