package bolt

import (
	"go.etcd.io/bbolt"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// Tombstones of deleted widgets (persistence.TombstoneTTL) live in two
// buckets shaped like the one-time claims: deleted maps a token hash to its
// expiry, deleted_expiry orders them by expiry so each delete purges a few
// expired ones without a scan.
var (
	bucketDeleted       = []byte("deleted")
	bucketDeletedExpiry = []byte("deleted_expiry")
)

// bury records, inside the delete's transaction, that old's token belonged
// to a deleted widget.
func (s *Store) bury(tx *bbolt.Tx, old persistence.Record) error {
	if old.AccessToken == "" {
		return nil
	}
	now := s.now()
	deleted, byExpiry := tx.Bucket(bucketDeleted), tx.Bucket(bucketDeletedExpiry)
	if err := purgeExpired(deleted, byExpiry, now); err != nil {
		return err
	}
	hash := persistence.TokenHash(old.AccessToken)
	if prev := deleted.Get([]byte(hash)); prev != nil {
		if err := byExpiry.Delete(expiryKey(prev, hash)); err != nil {
			return err
		}
	}
	exp := stamp(now.Add(persistence.TombstoneTTL))
	if err := deleted.Put([]byte(hash), exp); err != nil {
		return err
	}
	return byExpiry.Put(expiryKey(exp, hash), nil)
}

// tombstone is the answer for a token hash no widget holds: deleted while
// its tombstone lasts, otherwise plain not found.
func (s *Store) tombstone(tx *bbolt.Tx, hash string) error {
	if exp := tx.Bucket(bucketDeleted).Get([]byte(hash)); len(exp) == 8 && !expired(exp, s.now()) {
		return persistence.ErrWidgetDeleted
	}
	return persistence.ErrNotFound
}
