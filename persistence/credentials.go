package persistence

import (
	"context"
	"time"
)

// Secret is a credential value. It prints (fmt), marshals (JSON, text) and
// logs (zap.Any uses String, zap.Reflect MarshalJSON) as "[redacted]", so it
// cannot reach a log, an error or an API response by accident; Reveal is
// explicit.
type Secret string

const redacted = "[redacted]"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) Reveal() string             { return string(s) }
func (s Secret) IsZero() bool               { return s == "" }

// Credentials are one user's tokens for one integration (twitch, spotify, …).
type Credentials struct {
	AccessToken  Secret
	RefreshToken Secret
	ExpiresAt    time.Time
	Scopes       []string
	// AccountID and AccountName name the account on the platform (the
	// Twitch user id and login). They are not secret and are stored in
	// clear, so connected accounts can be listed without opening any seal.
	AccountID   string
	AccountName string
	// Version increases by one on every write; a write passing a stale
	// version fails with ErrConflict (a rotated refresh token is never lost
	// to a race between two writers).
	Version   int64
	UpdatedAt time.Time
}

// Connection is one stored credentials' public part.
type Connection struct {
	UserID, Service, AccountID, AccountName string
}

// AnyVersion, as expectedVersion, overwrites whatever is stored (a user
// connecting an account again).
const AnyVersion int64 = -1

// CredentialStore keeps integration credentials sealed at rest (AES-GCM,
// bound to their row, keys rotated as with widget tokens), and the small
// state integrations keep between activations. Nothing that serves clients
// reads it; only the backend integrations do.
type CredentialStore interface {
	// PutCredentials seals and writes c if the stored version equals
	// expectedVersion (0: none stored; AnyVersion: any) and returns c with
	// its new Version and UpdatedAt.
	PutCredentials(ctx context.Context, userID, service string, c Credentials, expectedVersion int64) (Credentials, error)
	// GetCredentials opens a user's credentials for service, or ErrNotFound.
	GetCredentials(ctx context.Context, userID, service string) (Credentials, error)
	// DeleteCredentials removes them; removing what is absent is no error.
	DeleteCredentials(ctx context.Context, userID, service string) error
	// ListConnections returns every stored credentials of service without
	// opening them (a node starting the integrations it must run).
	ListConnections(ctx context.Context, service string) ([]Connection, error)

	// GetState returns the state stored under key for userID and its
	// version, or ErrNotFound.
	GetState(ctx context.Context, userID, key string) ([]byte, int64, error)
	// PutState writes data (sealed) if the stored version equals
	// expectedVersion (0: none stored) and returns the new version.
	PutState(ctx context.Context, userID, key string, data []byte, expectedVersion int64) (int64, error)
	// DeleteState removes the state under key; absent is no error.
	DeleteState(ctx context.Context, userID, key string) error
}
