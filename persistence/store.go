package persistence

import "context"

// Store keeps widget records, and the one-time claims of OnceStore. Every
// write is conditional on a version so two activations of the same grain (a
// failover, a split brain) can never silently overwrite each other.
type Store interface {
	OnceStore

	// Get returns the record with that id or ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)
	// List returns one page of an owner's records, newest first.
	List(ctx context.Context, q ListQuery) (Page, error)
	// GetByTokenHash returns the record whose access token hashes to hash.
	GetByTokenHash(ctx context.Context, hash string) (Record, error)
	// Put writes rec if the stored version equals expectedVersion (0: the
	// record must not exist yet) and returns it with Version expectedVersion+1.
	// It keeps the token-hash index in step with rec.AccessToken.
	Put(ctx context.Context, rec Record, expectedVersion int64) (Record, error)
	// Delete removes the record if its stored version equals expectedVersion.
	Delete(ctx context.Context, id string, expectedVersion int64) error
	// Ping reports whether the store is usable.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
