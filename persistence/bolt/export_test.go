package bolt

import "go.etcd.io/bbolt"

// OnceEntries counts the claims stored, both buckets (tests of purging).
func (s *Store) OnceEntries() (once, byExpiry int) {
	_ = s.db.View(func(tx *bbolt.Tx) error {
		once = tx.Bucket(bucketOnce).Stats().KeyN
		byExpiry = tx.Bucket(bucketOnceExpiry).Stats().KeyN
		return nil
	})
	return once, byExpiry
}
