// Package bolt is the embedded default store: one bbolt file in the data dir.
// A bbolt write transaction makes check-version-then-write atomic, which is
// the same guarantee DynamoDB's ConditionExpression gives the production store.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

var (
	bucketWidgets = []byte("widgets")
	bucketOwner   = []byte("by_owner") // ownerKey -> id
	bucketToken   = []byte("by_token") // token hash -> id
)

// FileName is the store's file inside the data dir.
const FileName = "widgets.db"

// Store is a persistence.Store backed by bbolt. Widget access tokens are
// sealed at rest (record.go, persistence.SealToken).
type Store struct {
	db    *bbolt.DB
	keys  *seal.Keyring
	group groupCommit      // Put's writes, committed together (commit.go)
	now   func() time.Time // tombstone expiry (tests move it)
}

var _ persistence.Store = (*Store)(nil)

// Open opens (or creates) the store in dir. It fails fast when another
// process holds the file, instead of hanging on the file lock.
func Open(dir string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	path := filepath.Join(dir, FileName)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bbolt.ErrTimeout) {
			return nil, fmt.Errorf("bolt: open %s: file is locked by another streamwidgets process: %w", path, err)
		}
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketWidgets, bucketOwner, bucketToken, bucketOnce, bucketOnceExpiry, bucketDeleted, bucketDeletedExpiry} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: create buckets: %w", err)
	}
	if o.keys == nil { // created under the file lock: one key per data dir
		if o.keys, err = seal.LoadOrCreateFile(keyFile(dir)); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("bolt: token keys: %w", err)
		}
	}
	return &Store{db: db, keys: o.keys, now: time.Now}, nil
}

// Get implements persistence.Store.
func (s *Store) Get(_ context.Context, id string) (persistence.Record, error) {
	var rec persistence.Record
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		rec, err = s.getRecord(tx, id)
		return err
	})
	return rec, wrap("get "+id, err)
}

// GetByTokenHash implements persistence.Store.
func (s *Store) GetByTokenHash(_ context.Context, hash string) (persistence.Record, error) {
	var rec persistence.Record
	err := s.db.View(func(tx *bbolt.Tx) error {
		id := tx.Bucket(bucketToken).Get([]byte(hash))
		if id == nil {
			return s.tombstone(tx, hash)
		}
		var err error
		rec, err = s.getRecord(tx, string(id))
		return err
	})
	return rec, wrap("get by token hash", err)
}

// Put implements persistence.Store.
func (s *Store) Put(_ context.Context, rec persistence.Record, expectedVersion int64) (persistence.Record, error) {
	rec.Version = expectedVersion + 1
	err := s.group.update(s.db, func(tx *bbolt.Tx) error {
		old, oldToken, err := s.head(tx, rec.ID)
		exists := err == nil
		switch {
		case errors.Is(err, persistence.ErrNotFound):
			if expectedVersion != 0 {
				return persistence.ErrConflict
			}
		case err != nil:
			return err
		case old.Version != expectedVersion:
			return persistence.ErrConflict
		}
		// Most writes (every action) change neither the token nor the
		// owner's key: their index entries stay, and the token's sealed
		// value is kept (sealed with the primary key, bound to this id).
		sameToken := exists && oldToken == rec.AccessToken
		if exists && !sameToken && oldToken != "" {
			if err := tx.Bucket(bucketToken).Delete([]byte(persistence.TokenHash(oldToken))); err != nil {
				return err
			}
		}
		if rec.AccessToken != "" && !sameToken {
			tokens := tx.Bucket(bucketToken)
			hash := []byte(persistence.TokenHash(rec.AccessToken))
			if owner := tokens.Get(hash); owner != nil && string(owner) != rec.ID {
				return persistence.ErrConflict
			}
			if err := tokens.Put(hash, []byte(rec.ID)); err != nil {
				return err
			}
		}
		key := ownerKey(rec)
		if oldKey := ownerKey(persistence.Record{ID: old.ID, UserID: old.UserID, CreatedAt: old.CreatedAt}); !exists || !bytes.Equal(oldKey, key) {
			if exists {
				if err := tx.Bucket(bucketOwner).Delete(oldKey); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bucketOwner).Put(key, []byte(rec.ID)); err != nil {
				return err
			}
		}
		sealed := ""
		if sameToken && old.SealedToken != "" && s.keys != nil && seal.KeyID(old.SealedToken) == s.keys.Primary {
			sealed = old.SealedToken
		} else if sealed, err = persistence.SealToken(s.keys, rec.ID, rec.AccessToken); err != nil {
			return err
		}
		return tx.Bucket(bucketWidgets).Put([]byte(rec.ID), encodeSealed(rec, sealed))
	})
	if err != nil {
		return persistence.Record{}, wrap("put "+rec.ID, err)
	}
	return rec, nil
}

// Delete implements persistence.Store.
func (s *Store) Delete(_ context.Context, id string, expectedVersion int64) error {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		old, err := s.getRecord(tx, id)
		if err != nil {
			return err
		}
		if old.Version != expectedVersion {
			return persistence.ErrConflict
		}
		if err := unindex(tx, old); err != nil {
			return err
		}
		if err := s.bury(tx, old); err != nil {
			return err
		}
		return tx.Bucket(bucketWidgets).Delete([]byte(id))
	})
	return wrap("delete "+id, err)
}

// List implements persistence.Store: a reverse scan of the owner's index.
func (s *Store) List(_ context.Context, q persistence.ListQuery) (persistence.Page, error) {
	limit := q.Limit
	if limit <= 0 || limit > persistence.MaxPageSize {
		limit = persistence.MaxPageSize
	}
	var after []byte
	if q.After != "" {
		var err error
		if after, err = hex.DecodeString(q.After); err != nil || len(after) < 9 {
			return persistence.Page{}, fmt.Errorf("bolt: list: %w", persistence.ErrInvalidCursor)
		}
	}
	needle := strings.ToLower(q.TitleContains)
	var page persistence.Page
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := ownerPrefix(q.UserID)
		c := tx.Bucket(bucketOwner).Cursor()
		start := append(append([]byte{}, prefix...), bytes.Repeat([]byte{0xff}, 9)...)
		if after != nil {
			start = append(append([]byte{}, prefix...), after...)
		}
		k, _ := c.Seek(start)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		var lastKey []byte
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			rec, err := s.getRecord(tx, string(tx.Bucket(bucketOwner).Get(k)))
			if err != nil {
				return err
			}
			if !matches(rec, q, needle) {
				continue
			}
			if len(page.Records) == limit {
				// One more match exists: the page is not the last.
				page.Next = hex.EncodeToString(lastKey[len(prefix):])
				return nil
			}
			page.Records = append(page.Records, rec)
			lastKey = append(lastKey[:0], k...)
		}
		return nil
	})
	if err != nil {
		return persistence.Page{}, wrap("list", err)
	}
	return page, nil
}

// Ping implements persistence.Store.
func (s *Store) Ping(_ context.Context) error {
	return wrap("ping", s.db.View(func(*bbolt.Tx) error { return nil }))
}

// Close implements persistence.Store.
func (s *Store) Close() error {
	s.group.close()
	return wrap("close", s.db.Close())
}

func matches(rec persistence.Record, q persistence.ListQuery, needle string) bool {
	if q.Type != "" && rec.Type != q.Type {
		return false
	}
	if q.Active != nil && rec.Active != *q.Active {
		return false
	}
	return needle == "" || strings.Contains(strings.ToLower(rec.Title), needle)
}

func unindex(tx *bbolt.Tx, old persistence.Record) error {
	if old.AccessToken != "" {
		if err := tx.Bucket(bucketToken).Delete([]byte(persistence.TokenHash(old.AccessToken))); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketOwner).Delete(ownerKey(old))
}

// ownerPrefix is length-prefixed so one user id can never be a prefix of another's keys.
func ownerPrefix(userID string) []byte {
	b := make([]byte, 2, 2+len(userID))
	binary.BigEndian.PutUint16(b, uint16(len(userID)))
	return append(b, userID...)
}

// ownerKey sorts an owner's widgets by creation time, then id.
func ownerKey(rec persistence.Record) []byte {
	k := ownerPrefix(rec.UserID)
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(rec.CreatedAt.UnixNano()))
	k = append(k, ts[:]...)
	k = append(k, 0)
	return append(k, rec.ID...)
}

func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bbolt.ErrDatabaseNotOpen):
		return fmt.Errorf("bolt: %s: %w", op, persistence.ErrUnavailable)
	default:
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
}
