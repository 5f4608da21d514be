package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// One-time claims live in two buckets: once maps a key to its expiry, and
// once_expiry orders the same entries by expiry (8-byte big-endian unix
// nanoseconds + key) so expired entries are purged without a full scan.
var (
	bucketOnce       = []byte("once")
	bucketOnceExpiry = []byte("once_expiry")
)

// purgeBatch bounds how many expired claims one write removes.
const purgeBatch = 64

// ClaimOnce implements persistence.OnceStore. The check and the write are
// one bbolt write transaction, so concurrent claims serialize and exactly
// one sees the key absent. Each claim also purges up to purgeBatch expired
// entries.
func (s *Store) ClaimOnce(_ context.Context, key string, expires time.Time) (bool, error) {
	if key == "" {
		return false, errors.New("bolt: claim: empty key")
	}
	now := time.Now()
	claimed := false
	err := s.db.Update(func(tx *bbolt.Tx) error {
		once, byExpiry := tx.Bucket(bucketOnce), tx.Bucket(bucketOnceExpiry)
		if err := purgeExpired(once, byExpiry, now); err != nil {
			return err
		}
		if old := once.Get([]byte(key)); old != nil {
			if len(old) == 8 && !expired(old, now) {
				return nil // claimed before, still in force
			}
			if err := byExpiry.Delete(expiryKey(old, key)); err != nil {
				return err
			}
		}
		exp := stamp(expires)
		if err := once.Put([]byte(key), exp); err != nil {
			return err
		}
		if err := byExpiry.Put(expiryKey(exp, key), nil); err != nil {
			return err
		}
		claimed = true
		return nil
	})
	if err != nil {
		return false, wrap("claim "+key, err)
	}
	return claimed, nil
}

// purgeExpired deletes the oldest expired claims, at most purgeBatch.
func purgeExpired(once, byExpiry *bbolt.Bucket, now time.Time) error {
	c := byExpiry.Cursor()
	var done [][]byte
	for k, _ := c.First(); k != nil && len(done) < purgeBatch && expired(k[:8], now); k, _ = c.Next() {
		done = append(done, bytes.Clone(k))
	}
	for _, k := range done {
		key := k[8:]
		if cur := once.Get(key); cur != nil && bytes.Equal(cur, k[:8]) {
			if err := once.Delete(key); err != nil {
				return fmt.Errorf("purge: %w", err)
			}
		}
		if err := byExpiry.Delete(k); err != nil {
			return fmt.Errorf("purge: %w", err)
		}
	}
	return nil
}

func stamp(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

func expired(stamp []byte, now time.Time) bool {
	return int64(binary.BigEndian.Uint64(stamp)) < now.UnixNano()
}

func expiryKey(stamp []byte, key string) []byte {
	return append(append(make([]byte, 0, 8+len(key)), stamp...), key...)
}
