package persistence

import (
	"context"
	"fmt"

	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// Widget access tokens at rest.
//
// Both stores keep Record.AccessToken through SealToken and OpenToken, so
// they behave the same and never write a plaintext token:
//
//   - SealedTokenField holds the token sealed by package seal (AES-256-GCM,
//     "v1.<key id>.<base64(nonce|ciphertext)>"), bound to the record's id so
//     a sealed value copied into another record does not open.
//   - LegacyTokenField is where stores wrote the token in plaintext before
//     tokens were sealed. A record that still has it reads as before; its
//     next write (or a TokenResealer pass) stores SealedTokenField instead
//     and drops the plaintext. So
//     sealed and plaintext values are told apart by field name, never by
//     guessing from the value.
//   - The lookup index is TokenHash of the plaintext, computed at write time.
//
// Sealed rather than only hashed: the console shows the widget's OBS URL,
// which contains the token, whenever its owner opens the widget. With only a
// hash, a streamer who lost the URL would have to regenerate the token and
// update every OBS scene. Keys rotate as in package seal: new writes use the
// primary key; older keys must stay configured until every record sealed
// with them has been rewritten.
const (
	SealedTokenField = "access_token_sealed"
	LegacyTokenField = "access_token"
)

// TokenResealer rewrites stored tokens that are not sealed with the primary
// key: plaintext tokens from before sealing, and tokens sealed with an older
// key (so that key can be retired). A record's version and content stay the
// same; only how its token is kept changes. Records whose token does not
// open are left as they are and reported in the error.
type TokenResealer interface {
	ResealTokens(ctx context.Context) (resealed int, err error)
}

// NeedsReseal reports whether a stored token (sealed, or legacy plaintext)
// should be rewritten: it is plaintext, or not sealed with keys' primary.
func NeedsReseal(keys *seal.Keyring, sealed, legacy string) bool {
	if sealed == "" {
		return legacy != ""
	}
	return keys != nil && seal.KeyID(sealed) != keys.Primary
}

// tokenAAD binds a sealed token to its record and keeps it apart from other
// sealed values (credentials are bound to "user#service").
func tokenAAD(id string) []byte { return []byte("widget-token:" + id) }

// SealToken seals the access token of record id for storage. No token
// seals to "". Without keys it fails with ErrNoTokenKeys: a store must not
// fall back to plaintext.
func SealToken(keys *seal.Keyring, id, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	if keys == nil {
		return "", ErrNoTokenKeys
	}
	sealed, err := keys.Seal([]byte(token), tokenAAD(id))
	if err != nil {
		return "", fmt.Errorf("persistence: seal token of %s: %w", id, err)
	}
	return sealed, nil
}

// OpenToken returns the plaintext access token of stored record id: sealed
// (SealedTokenField) when set, else legacy (LegacyTokenField), a token
// written in plaintext before sealing. A sealed value that does not open
// (its key is no longer configured, or it was tampered with) is an error
// wrapping seal.ErrOpen, never an empty token.
func OpenToken(keys *seal.Keyring, id, sealed, legacy string) (string, error) {
	if sealed == "" {
		return legacy, nil
	}
	if keys == nil {
		return "", fmt.Errorf("persistence: open token of %s: %w", id, ErrNoTokenKeys)
	}
	plain, err := keys.Open(sealed, tokenAAD(id))
	if err != nil {
		return "", fmt.Errorf("persistence: open token of %s: %w", id, err)
	}
	return string(plain), nil
}
