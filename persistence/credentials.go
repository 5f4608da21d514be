package persistence

import (
	"context"
	"time"
)

// Secret is a credential value. It prints and marshals as "[redacted]", so
// it cannot reach a log or an API response by accident; Reveal is explicit.
type Secret string

func (Secret) String() string               { return "[redacted]" }
func (Secret) GoString() string             { return "[redacted]" }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }
func (s Secret) Reveal() string             { return string(s) }

// Credentials are one user's tokens for one integration (twitch, spotify, …).
type Credentials struct {
	AccessToken  Secret
	RefreshToken Secret
	ExpiresAt    time.Time
	Scopes       []string
}

// CredentialStore keeps integration credentials encrypted at rest. Nothing
// that serves clients reads it; only the backend integrations do.
type CredentialStore interface {
	PutCredentials(ctx context.Context, userID, service string, c Credentials) error
	GetCredentials(ctx context.Context, userID, service string) (Credentials, error)
	DeleteCredentials(ctx context.Context, userID, service string) error
}
