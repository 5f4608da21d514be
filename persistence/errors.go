package persistence

import "errors"

var (
	// ErrNotFound means no record has that key.
	ErrNotFound = errors.New("persistence: not found")
	// ErrConflict means the stored version differs from the expected one
	// (or a create found the id or token hash taken).
	ErrConflict = errors.New("persistence: version conflict")
	// ErrInvalidCursor means a list position could not be decoded.
	ErrInvalidCursor = errors.New("persistence: invalid cursor")
	// ErrUnavailable means the store could not be reached or is closed.
	ErrUnavailable = errors.New("persistence: store unavailable")
	// ErrTooLarge means a record is over the store's item size limit.
	ErrTooLarge = errors.New("persistence: record too large")
	// ErrNoTokenKeys means a store has no keys to seal or open access tokens.
	ErrNoTokenKeys = errors.New("persistence: no keys to seal access tokens")
)
