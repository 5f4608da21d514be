package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

func mustClaim(t *testing.T, s persistence.OnceStore, key string, expires time.Time) bool {
	t.Helper()
	ok, err := s.ClaimOnce(context.Background(), key, expires)
	if err != nil {
		t.Fatalf("claim %s: %v", key, err)
	}
	return ok
}

func testClaimOnce(t *testing.T, s persistence.Store) {
	later := time.Now().Add(time.Hour)
	if !mustClaim(t, s, "signin#a", later) {
		t.Fatal("the first claim of a key was refused")
	}
	if mustClaim(t, s, "signin#a", later) {
		t.Fatal("a key was claimed twice")
	}
	if mustClaim(t, s, "signin#a", later.Add(time.Hour)) {
		t.Fatal("a later expiry let a claimed key be claimed again")
	}
	if !mustClaim(t, s, "signin#b", later) {
		t.Fatal("claiming one key blocked another")
	}
}

func testClaimAfterExpiry(t *testing.T, s persistence.Store) {
	past := time.Now().Add(-time.Minute)
	if !mustClaim(t, s, "k", past) {
		t.Fatal("first claim refused")
	}
	// Expired: the key is free again (its owner, e.g. a ticket, is worthless by then).
	if !mustClaim(t, s, "k", time.Now().Add(time.Hour)) {
		t.Fatal("an expired claim still blocks its key")
	}
	if mustClaim(t, s, "k", time.Now().Add(time.Hour)) {
		t.Fatal("the renewed claim did not hold")
	}
	// Many expired claims do not get in the way of new ones (stores purge them).
	for i := 0; i < 150; i++ {
		mustClaim(t, s, fmt.Sprintf("old%d", i), past)
	}
	if !mustClaim(t, s, "fresh", time.Now().Add(time.Hour)) || mustClaim(t, s, "fresh", time.Now().Add(time.Hour)) {
		t.Fatal("claims after a purge misbehave")
	}
}

func testConcurrentClaimsOneWins(t *testing.T, s persistence.Store) {
	const claimers = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	start := make(chan struct{})
	for i := 0; i < claimers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.ClaimOnce(context.Background(), "signin#race", time.Now().Add(time.Hour))
			if err != nil {
				t.Errorf("claim: %v", err)
				return
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d of %d concurrent claims of one key won, want exactly 1", wins, claimers)
	}
}

// testClaimsAreNotWidgets: claim keys and widget ids are separate spaces.
func testClaimsAreNotWidgets(t *testing.T, s persistence.Store) {
	ctx := context.Background()
	mustPut(t, s, NewRecord("w1", "alice", 0), 0)
	if !mustClaim(t, s, "w1", time.Now().Add(time.Hour)) || !mustClaim(t, s, "w2", time.Now().Add(time.Hour)) {
		t.Fatal("a claim collided with a widget id")
	}
	if got, err := s.Get(ctx, "w1"); err != nil || got.UserID != "alice" || got.Version != 1 {
		t.Fatalf("the claim changed widget w1: %+v %v", got, err)
	}
	if _, err := s.Get(ctx, "w2"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("a claim reads as widget w2: %v", err)
	}
	mustPut(t, s, NewRecord("w2", "alice", 1), 0)
	page, err := s.List(ctx, persistence.ListQuery{UserID: "alice"})
	if err != nil || fmt.Sprint(ids(page.Records)) != "[w2 w1]" {
		t.Fatalf("list with claims present = %v (%v), want [w2 w1]", ids(page.Records), err)
	}
	if _, err := s.ClaimOnce(ctx, "", time.Now().Add(time.Hour)); err == nil {
		t.Fatal("an empty claim key was accepted")
	}
}
