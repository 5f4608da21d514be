package bolt

import (
	"encoding/json"
	"time"

	"go.etcd.io/bbolt"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// OnceEntries counts the claims stored, both buckets (tests of purging).
func (s *Store) OnceEntries() (once, byExpiry int) {
	_ = s.db.View(func(tx *bbolt.Tx) error {
		once = tx.Bucket(bucketOnce).Stats().KeyN
		byExpiry = tx.Bucket(bucketOnceExpiry).Stats().KeyN
		return nil
	})
	return once, byExpiry
}

// RawDump returns every bucket's keys and values as stored.
func (s *Store) RawDump() []byte {
	var out []byte
	_ = s.db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				out = append(append(append(out, name...), k...), v...)
				out = append(out, '\n')
				return nil
			})
		})
	})
	return out
}

// PutLegacy creates rec as the store did before tokens were sealed: the
// whole record as JSON, token in plaintext.
func (s *Store) PutLegacy(rec persistence.Record) error {
	rec.Version = 1
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		if rec.AccessToken != "" {
			if err := tx.Bucket(bucketToken).Put([]byte(persistence.TokenHash(rec.AccessToken)), []byte(rec.ID)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketOwner).Put(ownerKey(rec), []byte(rec.ID)); err != nil {
			return err
		}
		return tx.Bucket(bucketWidgets).Put([]byte(rec.ID), data)
	})
}

// SetClock moves the time tombstones are written and checked at.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// TombstoneEntries counts the tombstones stored, both buckets (tests of purging).
func (s *Store) TombstoneEntries() (deleted, byExpiry int) {
	_ = s.db.View(func(tx *bbolt.Tx) error {
		deleted = tx.Bucket(bucketDeleted).Stats().KeyN
		byExpiry = tx.Bucket(bucketDeletedExpiry).Stats().KeyN
		return nil
	})
	return deleted, byExpiry
}
