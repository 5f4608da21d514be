package bolt

import (
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// storedRecord is a record as the widgets bucket holds it: JSON with the
// access token sealed under persistence.SealedTokenField. The embedded
// Record's access_token (persistence.LegacyTokenField) is always empty when
// written; a non-empty one is a plaintext token from before sealing.
type storedRecord struct {
	persistence.Record
	SealedToken string `json:"access_token_sealed,omitempty"`
}

// encode is the only way a record reaches the widgets bucket.
func (s *Store) encode(rec persistence.Record) ([]byte, error) {
	sealed, err := persistence.SealToken(s.keys, rec.ID, rec.AccessToken)
	if err != nil {
		return nil, err
	}
	return encodeSealed(rec, sealed), nil
}

// encodeSealed writes rec with its token already sealed: what
// json.Marshal(storedRecord{…}) writes, without its reflection.
func encodeSealed(rec persistence.Record, sealed string) []byte {
	rec.AccessToken = ""
	b := make([]byte, 0, len(rec.Config)+len(rec.State)+len(sealed)+320)
	if sealed == "" {
		return persistence.AppendJSON(b, rec)
	}
	return persistence.AppendJSON(b, rec, persistence.AppendStringField(nil, persistence.SealedTokenField, sealed))
}

// storedHead is what a write needs of the record it replaces: its version,
// its index keys and its token. Decoding only these skips the config and
// state (most of the bytes) that decode would copy.
type storedHead struct {
	ID          string    `json:"id"`
	UserID      string    `json:"user_id"`
	AccessToken string    `json:"access_token"` // legacy plaintext
	CreatedAt   time.Time `json:"created_at"`
	Version     int64     `json:"version"`
	SealedToken string    `json:"access_token_sealed"`
}

// head reads the stored record id's head; token is its plaintext token.
func (s *Store) head(tx *bbolt.Tx, id string) (h storedHead, token string, err error) {
	data := tx.Bucket(bucketWidgets).Get([]byte(id))
	if data == nil {
		return h, "", persistence.ErrNotFound
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return h, "", fmt.Errorf("decode %s: %w", id, err)
	}
	token, err = persistence.OpenToken(s.keys, h.ID, h.SealedToken, h.AccessToken)
	return h, token, err
}

func (s *Store) decode(id string, data []byte) (persistence.Record, error) {
	var st storedRecord
	if err := json.Unmarshal(data, &st); err != nil {
		return persistence.Record{}, fmt.Errorf("decode %s: %w", id, err)
	}
	token, err := persistence.OpenToken(s.keys, st.ID, st.SealedToken, st.AccessToken)
	if err != nil {
		return persistence.Record{}, err
	}
	st.Record.AccessToken = token
	return st.Record, nil
}

func (s *Store) getRecord(tx *bbolt.Tx, id string) (persistence.Record, error) {
	data := tx.Bucket(bucketWidgets).Get([]byte(id))
	if data == nil {
		return persistence.Record{}, persistence.ErrNotFound
	}
	return s.decode(id, data)
}
