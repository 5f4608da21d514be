package twitch

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrUnauthorized: Twitch refused the access token (401).
	ErrUnauthorized = errors.New("twitch: access token refused")
	// ErrInvalidRefresh: Twitch refused the refresh token; the user must
	// connect again (they revoked access, or changed their password).
	ErrInvalidRefresh = errors.New("twitch: refresh token refused")
	// ErrForbidden: the token lacks a scope the call needs (403).
	ErrForbidden = errors.New("twitch: missing authorization")
	// ErrConflict: the subscription exists already (409).
	ErrConflict = errors.New("twitch: already exists")
	// ErrNotFound: nothing there (404; a channel without a schedule).
	ErrNotFound = errors.New("twitch: not found")
	// ErrNoToken: no access token yet (the token keeper has not started).
	ErrNoToken = errors.New("twitch: no access token yet")
	// ErrNotConfigured: no client id and secret.
	ErrNotConfigured = errors.New("twitch: no application configured (client id and secret)")
)

// RateLimitedError means the points bucket is empty until Until (a 429, or
// the Ratelimit-* headers said so and waiting would pass the deadline).
type RateLimitedError struct{ Until time.Time }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("twitch: rate limited until %s", e.Until.UTC().Format(time.RFC3339))
}

// APIError is any other refusal, with Twitch's message (never a token: the
// endpoints we call carry none in their messages).
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("twitch: HTTP %d: %s", e.Status, e.Message) }
