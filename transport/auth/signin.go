package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// signInAudience marks one-time sign-in tickets. A ticket is never accepted
// as a user token (wrong audience) and a user token never redeems as a ticket.
const signInAudience = "streamwidgets-signin"

// ErrTicket is returned for a ticket that is invalid, expired or already used.
var ErrTicket = errors.New("auth: sign-in link is invalid, expired or already used")

// ticketKeyPrefix namespaces redeemed ticket ids among the store's claims.
const ticketKeyPrefix = "signin#"

// ticketGrace keeps a redeemed ticket's claim a little past its expiry, so
// no clock difference between nodes reopens it while it still verifies.
const ticketGrace = time.Minute

// SignInTickets mints and redeems one-time sign-in tickets of the
// self-hosted issuer: `streamwidgets login-link` prints one in a URL
// fragment; the console exchanges it for a session token.
type SignInTickets struct {
	iss  *LocalIssuer
	used persistence.OnceStore
}

// NewSignInTickets returns the ticket desk of iss. used remembers redeemed
// ticket ids: pass the node's store, so a ticket works once across restarts
// and across every node that shares the store.
func NewSignInTickets(iss *LocalIssuer, used persistence.OnceStore) *SignInTickets {
	return &SignInTickets{iss: iss, used: used}
}

// MintTicket signs a ticket for user valid for ttl.
func (i *LocalIssuer) MintTicket(userID string, ttl time.Duration) (string, error) {
	if err := checkSubject(userID); err != nil {
		return "", err
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("auth: ticket id: %w", err)
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer: i.issuer, Subject: userID, Audience: jwt.ClaimStrings{signInAudience},
		ID: base64.RawURLEncoding.EncodeToString(id[:]), IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	})
	tok.Header["kid"] = i.kid
	return tok.SignedString(i.key)
}

// Redeem checks a ticket, marks it used and returns its user. A ticket that
// does not verify, or was redeemed before, is ErrTicket; when the store
// cannot record the redemption the ticket is refused with that error.
func (s *SignInTickets) Redeem(ctx context.Context, ticket string) (string, error) {
	var c jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(ticket, &c, func(*jwt.Token) (any, error) { return &s.iss.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(s.iss.issuer), jwt.WithAudience(signInAudience),
		jwt.WithExpirationRequired())
	if err != nil || c.ID == "" || checkSubject(c.Subject) != nil {
		return "", ErrTicket
	}
	claimed, err := s.used.ClaimOnce(ctx, ticketKeyPrefix+c.ID, c.ExpiresAt.Time.Add(ticketGrace))
	if err != nil {
		return "", fmt.Errorf("auth: redeem ticket: %w", err)
	}
	if !claimed {
		return "", ErrTicket
	}
	return c.Subject, nil
}
