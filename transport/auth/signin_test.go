package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
)

func openStore(t *testing.T, dir string) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSignInTicketsWorkOnceAndAreNotUserTokens(t *testing.T) {
	iss, v := localVerifier(t)
	desk := NewSignInTickets(iss, openStore(t, t.TempDir()))
	ctx := context.Background()
	ticket, err := iss.MintTicket("alice", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, ticket); err == nil {
		t.Fatal("a sign-in ticket was accepted as a user token")
	}
	if user, err := desk.Redeem(ctx, ticket); err != nil || user != "alice" {
		t.Fatalf("redeem: %q %v", user, err)
	}
	if _, err := desk.Redeem(ctx, ticket); !errors.Is(err, ErrTicket) {
		t.Fatal("a ticket worked twice")
	}
	userToken, _ := iss.Mint("alice", time.Hour)
	if _, err := desk.Redeem(ctx, userToken); !errors.Is(err, ErrTicket) {
		t.Fatal("a user token redeemed as a ticket")
	}
	expired, _ := iss.MintTicket("alice", -time.Minute)
	if _, err := desk.Redeem(ctx, expired); !errors.Is(err, ErrTicket) {
		t.Fatal("an expired ticket redeemed")
	}
}

// TestSignInTicketWorksOnceAcrossRestart: the redemption is in the store, so
// a desk on the reopened store (a restarted server) refuses the ticket.
func TestSignInTicketWorksOnceAcrossRestart(t *testing.T) {
	iss, _ := localVerifier(t)
	dir := t.TempDir()
	ctx := context.Background()
	ticket, _ := iss.MintTicket("alice", 15*time.Minute)
	before := openStore(t, dir)
	if _, err := NewSignInTickets(iss, before).Redeem(ctx, ticket); err != nil {
		t.Fatalf("redeem: %v", err)
	}
	_ = before.Close()
	after := NewSignInTickets(iss, openStore(t, dir))
	if _, err := after.Redeem(ctx, ticket); !errors.Is(err, ErrTicket) {
		t.Fatalf("after a restart the ticket redeemed again: %v", err)
	}
}

// TestSignInTicketOneWinnerAcrossDesks: several nodes (desks) sharing one
// store race to redeem one ticket; exactly one signs in.
func TestSignInTicketOneWinnerAcrossDesks(t *testing.T) {
	iss, _ := localVerifier(t)
	store := openStore(t, t.TempDir())
	ticket, _ := iss.MintTicket("alice", time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := NewSignInTickets(iss, store).Redeem(context.Background(), ticket); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d desks redeemed one ticket, want 1", wins)
	}
}

type brokenLedger struct{}

func (brokenLedger) ClaimOnce(context.Context, string, time.Time) (bool, error) {
	return false, persistence.ErrUnavailable
}

func TestSignInTicketRefusedWhenTheStoreFails(t *testing.T) {
	iss, _ := localVerifier(t)
	ticket, _ := iss.MintTicket("alice", time.Minute)
	user, err := NewSignInTickets(iss, brokenLedger{}).Redeem(context.Background(), ticket)
	if err == nil || user != "" || !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("redeem with the store down: %q %v, want refused with ErrUnavailable", user, err)
	}
}
