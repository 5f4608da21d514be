package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signInAudience marks one-time sign-in tickets. A ticket is never accepted
// as a user token (wrong audience) and a user token never redeems as a ticket.
const signInAudience = "streamwidgets-signin"

// ErrTicket is returned for a ticket that is invalid, expired or already used.
var ErrTicket = errors.New("auth: sign-in link is invalid, expired or already used")

// SignInTickets mints and redeems one-time sign-in tickets of the
// self-hosted issuer: `streamwidgets login-link` prints one in a URL
// fragment; the console exchanges it for a session token.
type SignInTickets struct {
	iss  *LocalIssuer
	mu   sync.Mutex
	used map[string]time.Time // ticket id -> expiry, so each works once
}

// NewSignInTickets returns the ticket desk of iss.
func NewSignInTickets(iss *LocalIssuer) *SignInTickets {
	return &SignInTickets{iss: iss, used: map[string]time.Time{}}
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

// Redeem checks a ticket, marks it used and returns its user.
func (s *SignInTickets) Redeem(ticket string) (string, error) {
	var c jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(ticket, &c, func(*jwt.Token) (any, error) { return &s.iss.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(s.iss.issuer), jwt.WithAudience(signInAudience),
		jwt.WithExpirationRequired())
	if err != nil || c.ID == "" || checkSubject(c.Subject) != nil {
		return "", ErrTicket
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for id, exp := range s.used {
		if now.After(exp) {
			delete(s.used, id)
		}
	}
	if _, dup := s.used[c.ID]; dup {
		return "", ErrTicket
	}
	s.used[c.ID] = c.ExpiresAt.Time.Add(time.Minute)
	return c.Subject, nil
}
