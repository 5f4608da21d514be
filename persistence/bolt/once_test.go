package bolt_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence/bolt"
)

func TestClaimSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimOnce(ctx, "signin#t1", time.Now().Add(time.Hour)); !ok || err != nil {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	_ = s.Close()
	s, err = bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, err := s.ClaimOnce(ctx, "signin#t1", time.Now().Add(time.Hour)); ok || err != nil {
		t.Fatalf("claim after reopen: %v %v, want refused", ok, err)
	}
}

func TestExpiredClaimsArePurged(t *testing.T) {
	s, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		if _, err := s.ClaimOnce(ctx, fmt.Sprintf("old%d", i), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ClaimOnce(ctx, "live", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if once, byExpiry := s.OnceEntries(); once != 1 || byExpiry != 1 {
		t.Fatalf("after 200 expired claims and a live one the store holds %d claims (%d index entries), want 1", once, byExpiry)
	}
}
