package bolt

import (
	"encoding/json"
	"fmt"

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
	rec.AccessToken = ""
	return json.Marshal(storedRecord{Record: rec, SealedToken: sealed})
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
