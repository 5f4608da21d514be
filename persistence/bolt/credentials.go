package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// bucketCredentials maps a row id (user#service, user#state#key) to its
// stored form; created by the first write.
var bucketCredentials = []byte("credentials")

// Credentials is the embedded credentials store, in the store's file. Like
// the DynamoDB one it seals each value bound to its row id.
type Credentials struct {
	db   *bbolt.DB
	keys *seal.Keyring
}

var _ persistence.CredentialStore = (*Credentials)(nil)

// NewCredentials returns the credentials store of s, sealing with keys
// (the credential keys, not the widget-token keys).
func NewCredentials(s *Store, keys *seal.Keyring) *Credentials {
	return &Credentials{db: s.db, keys: keys}
}

// credRow is what the bucket holds; Sealed is the only secret part.
type credRow struct {
	UserID      string    `json:"user_id"`
	Service     string    `json:"service,omitempty"`
	Kind        string    `json:"kind"`
	AccountID   string    `json:"account_id,omitempty"`
	AccountName string    `json:"account_name,omitempty"`
	Sealed      string    `json:"sealed"`
	Version     int64     `json:"version"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// sealedCredentials is what is encrypted; it never leaves this file in clear.
type sealedCredentials struct {
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitempty"`
	Scopes       []string  `json:"scopes,omitempty"`
}

func credentialID(userID, service string) string { return userID + "#" + service }
func stateID(userID, key string) string          { return userID + "#state#" + key }

// write stores row under id if the stored version equals expectedVersion
// (0: none; persistence.AnyVersion: any) and returns the new version.
func (cs *Credentials) write(id string, row credRow, expectedVersion int64) (int64, error) {
	err := cs.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketCredentials)
		if err != nil {
			return err
		}
		var old credRow
		raw := b.Get([]byte(id))
		if raw != nil {
			if err := json.Unmarshal(raw, &old); err != nil {
				return fmt.Errorf("decode %s: %w", id, err)
			}
		}
		switch {
		case expectedVersion == persistence.AnyVersion:
		case raw == nil && expectedVersion != 0, raw != nil && old.Version != expectedVersion:
			return persistence.ErrConflict
		}
		row.Version = old.Version + 1
		enc, err := json.Marshal(row)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), enc)
	})
	return row.Version, err
}

func (cs *Credentials) read(id string) (credRow, error) {
	var row credRow
	err := cs.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCredentials)
		if b == nil {
			return persistence.ErrNotFound
		}
		raw := b.Get([]byte(id))
		if raw == nil {
			return persistence.ErrNotFound
		}
		return json.Unmarshal(raw, &row)
	})
	return row, err
}

func (cs *Credentials) remove(id string) error {
	return cs.db.Update(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketCredentials); b != nil {
			return b.Delete([]byte(id))
		}
		return nil
	})
}

// PutCredentials implements persistence.CredentialStore.
func (cs *Credentials) PutCredentials(_ context.Context, userID, service string, c persistence.Credentials, expectedVersion int64) (persistence.Credentials, error) {
	id := credentialID(userID, service)
	plain, _ := json.Marshal(sealedCredentials{AccessToken: c.AccessToken.Reveal(), RefreshToken: c.RefreshToken.Reveal(), ExpiresAt: c.ExpiresAt, Scopes: c.Scopes})
	sealed, err := cs.keys.Seal(plain, []byte(id))
	if err != nil {
		return c, fmt.Errorf("bolt: credentials %s: %w", service, err)
	}
	c.UpdatedAt = time.Now().UTC()
	v, err := cs.write(id, credRow{UserID: userID, Service: service, Kind: "credentials", AccountID: c.AccountID,
		AccountName: c.AccountName, Sealed: sealed, UpdatedAt: c.UpdatedAt}, expectedVersion)
	if err != nil {
		return c, wrap("put credentials "+service, err)
	}
	c.Version = v
	return c, nil
}

// GetCredentials implements persistence.CredentialStore.
func (cs *Credentials) GetCredentials(_ context.Context, userID, service string) (persistence.Credentials, error) {
	id := credentialID(userID, service)
	row, err := cs.read(id)
	if err != nil {
		return persistence.Credentials{}, wrap("get credentials "+service, err)
	}
	plain, err := cs.keys.Open(row.Sealed, []byte(id))
	if err != nil {
		return persistence.Credentials{}, fmt.Errorf("bolt: credentials %s: %w", service, err)
	}
	var sc sealedCredentials
	if err := json.Unmarshal(plain, &sc); err != nil {
		return persistence.Credentials{}, fmt.Errorf("bolt: credentials %s: %w", service, err)
	}
	return persistence.Credentials{AccessToken: persistence.Secret(sc.AccessToken), RefreshToken: persistence.Secret(sc.RefreshToken),
		ExpiresAt: sc.ExpiresAt, Scopes: sc.Scopes, AccountID: row.AccountID, AccountName: row.AccountName,
		Version: row.Version, UpdatedAt: row.UpdatedAt}, nil
}

// DeleteCredentials implements persistence.CredentialStore.
func (cs *Credentials) DeleteCredentials(_ context.Context, userID, service string) error {
	return wrap("delete credentials "+service, cs.remove(credentialID(userID, service)))
}

// ListConnections implements persistence.CredentialStore.
func (cs *Credentials) ListConnections(_ context.Context, service string) ([]persistence.Connection, error) {
	var out []persistence.Connection
	err := cs.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCredentials)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var row credRow
			if err := json.Unmarshal(v, &row); err != nil {
				return err
			}
			if row.Kind == "credentials" && row.Service == service {
				out = append(out, persistence.Connection{UserID: row.UserID, Service: service, AccountID: row.AccountID, AccountName: row.AccountName})
			}
			return nil
		})
	})
	return out, wrap("list connections "+service, err)
}

// GetState implements persistence.CredentialStore.
func (cs *Credentials) GetState(_ context.Context, userID, key string) ([]byte, int64, error) {
	id := stateID(userID, key)
	row, err := cs.read(id)
	if err != nil {
		return nil, 0, wrap("get state "+key, err)
	}
	plain, err := cs.keys.Open(row.Sealed, []byte(id))
	if err != nil {
		return nil, 0, fmt.Errorf("bolt: state %s: %w", key, err)
	}
	return plain, row.Version, nil
}

// PutState implements persistence.CredentialStore.
func (cs *Credentials) PutState(_ context.Context, userID, key string, data []byte, expectedVersion int64) (int64, error) {
	if expectedVersion < 0 {
		return 0, errors.New("bolt: put state: expected version must be 0 or the stored version")
	}
	id := stateID(userID, key)
	sealed, err := cs.keys.Seal(data, []byte(id))
	if err != nil {
		return 0, fmt.Errorf("bolt: state %s: %w", key, err)
	}
	v, err := cs.write(id, credRow{UserID: userID, Kind: "state", Sealed: sealed, UpdatedAt: time.Now().UTC()}, expectedVersion)
	return v, wrap("put state "+key, err)
}

// DeleteState implements persistence.CredentialStore.
func (cs *Credentials) DeleteState(_ context.Context, userID, key string) error {
	return wrap("delete state "+key, cs.remove(stateID(userID, key)))
}
