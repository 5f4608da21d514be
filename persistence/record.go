// Package persistence defines how widget records are stored. The interface is
// shaped on DynamoDB access patterns (get by id, list by owner, look up by
// token hash, versioned writes) so the embedded default and the DynamoDB store
// behave the same way and share one conformance suite (storetest).
package persistence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Record is one widget instance as stored. JSON names are the wire names of
// the widgets plan (snake_case), so the record is also the REST body.
type Record struct {
	ID          string          `json:"id"`
	Title       string          `json:"title"`
	UserID      string          `json:"user_id"`
	Type        string          `json:"type"`
	AccessToken string          `json:"access_token,omitempty"`
	Config      json.RawMessage `json:"config"`
	State       json.RawMessage `json:"state"`
	Active      bool            `json:"active"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	// Version increases by one on every successful write; writers pass the
	// version they read so a stale write fails with ErrConflict.
	Version int64 `json:"version"`
	// ControlTokenHash is the hash of the widget's control token (empty:
	// none). Only the hash is kept: the token is shown once, when issued.
	// Replies never carry it (they say has_control_token instead).
	ControlTokenHash string `json:"control_token_hash,omitempty"`
	// HasControlToken and ControlToken exist in replies only: whether a
	// control token is set, and the token itself in the reply that issued it.
	HasControlToken bool   `json:"has_control_token,omitempty"`
	ControlToken    string `json:"control_token,omitempty"`
}

// TokenHash is the index key for a widget access token. Stores index the
// hash, never the token, so a leaked index or key log does not leak tokens.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ListQuery selects one owner's widgets. Zero values mean "no filter".
type ListQuery struct {
	UserID        string
	Type          string
	Active        *bool
	TitleContains string // case-insensitive substring
	Limit         int    // page size; stores cap it at MaxPageSize
	// After is the store's opaque position from a previous Page.Next.
	After string
}

// MaxPageSize is the largest page a store returns.
const MaxPageSize = 100

// Page is one page of a listing, newest widget first.
type Page struct {
	Records []Record
	// Next is empty on the last page.
	Next string
}
