package integrations_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

func creds(t *testing.T) *bolt.Credentials {
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	keys, _ := seal.ParseKeyring(storetest.NewCredentialKey("k1"))
	return bolt.NewCredentials(st, keys)
}

// TestWindowSurvivesAMoveAndMergesTwoActivations: a new activation loads
// what the old one delivered; two activations writing at once (a split
// brain during a failover) lose none of each other's ids.
func TestWindowSurvivesAMoveAndMergesTwoActivations(t *testing.T) {
	ctx := context.Background()
	cs := creds(t)
	old := integrations.NewWindow(cs, "alice", "twitch.eventsub", 0, 0, nil)
	if err := old.Mark(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	a := integrations.NewWindow(cs, "alice", "twitch.eventsub", 0, 0, nil)
	b := integrations.NewWindow(cs, "alice", "twitch.eventsub", 0, 0, nil)
	for _, w := range []*integrations.Window{a, b} {
		if err := w.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if !w.Seen("m1") {
			t.Fatal("a new activation does not know the delivered id")
		}
	}
	if err := a.Mark(ctx, "m2"); err != nil {
		t.Fatal(err)
	}
	if err := b.Mark(ctx, "m3"); err != nil { // conflicts with a's write: merges
		t.Fatal(err)
	}
	fresh := integrations.NewWindow(cs, "alice", "twitch.eventsub", 0, 0, nil)
	if err := fresh.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"m1", "m2", "m3"} {
		if !fresh.Seen(id) {
			t.Fatalf("%s lost between two writers", id)
		}
	}
}

func TestWindowKeepsTheNewestWithinSizeAndAge(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	w := integrations.NewWindow(creds(t), "alice", "k", 3, time.Minute, clock)
	for _, id := range []string{"a", "b", "c", "d"} {
		now = now.Add(time.Second)
		if err := w.Mark(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if w.Seen("a") || !w.Seen("b") || !w.Seen("d") {
		t.Fatal("the window does not keep the newest 3")
	}
	now = now.Add(2 * time.Minute)
	if err := w.Mark(ctx, "e"); err != nil {
		t.Fatal(err)
	}
	if w.Seen("d") || !w.Seen("e") {
		t.Fatal("ids older than the window's age are kept")
	}
}

func TestTokenSourceRefreshesOnlyTheCurrentToken(t *testing.T) {
	var mu sync.Mutex
	var rejected []string
	ts := integrations.NewTokenSource(func(bad persistence.Secret) { mu.Lock(); rejected = append(rejected, bad.Reveal()); mu.Unlock() })
	ts.Set("t1")
	ts.Rejected("t0") // an old token: nothing
	ts.Rejected("t1")
	done := make(chan string)
	go func() {
		tok, _ := ts.Await(context.Background(), "t1")
		done <- tok.Reveal()
	}()
	time.Sleep(20 * time.Millisecond)
	ts.Set("t2")
	if got := <-done; got != "t2" {
		t.Fatalf("await got %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(rejected) != 1 || rejected[0] != "t1" {
		t.Fatalf("refreshes asked for %v", rejected)
	}
}
