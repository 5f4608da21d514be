package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSignInTicketsWorkOnceAndAreNotUserTokens(t *testing.T) {
	iss, v := localVerifier(t)
	desk := NewSignInTickets(iss)
	ticket, err := iss.MintTicket("alice", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), ticket); err == nil {
		t.Fatal("a sign-in ticket was accepted as a user token")
	}
	if user, err := desk.Redeem(ticket); err != nil || user != "alice" {
		t.Fatalf("redeem: %q %v", user, err)
	}
	if _, err := desk.Redeem(ticket); !errors.Is(err, ErrTicket) {
		t.Fatal("a ticket worked twice")
	}
	userToken, _ := iss.Mint("alice", time.Hour)
	if _, err := desk.Redeem(userToken); !errors.Is(err, ErrTicket) {
		t.Fatal("a user token redeemed as a ticket")
	}
	expired, _ := iss.MintTicket("alice", -time.Minute)
	if _, err := desk.Redeem(expired); !errors.Is(err, ErrTicket) {
		t.Fatal("an expired ticket redeemed")
	}
}
