package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/streamwidgets/streamwidgets/persistence"
)

var _ persistence.TokenResealer = (*Store)(nil)

// ResealTokens implements persistence.TokenResealer in one write
// transaction. bbolt reuses freed pages but does not wipe them, so a file
// that held plaintext tokens may keep copies in free pages until they are
// reused; `bbolt compact` writes a clean copy.
func (s *Store) ResealTokens(_ context.Context) (int, error) {
	resealed := 0
	var failed []error
	err := s.db.Update(func(tx *bbolt.Tx) error {
		widgets := tx.Bucket(bucketWidgets)
		rewrite := map[string][]byte{}
		err := widgets.ForEach(func(k, v []byte) error {
			var st storedRecord
			if err := json.Unmarshal(v, &st); err != nil {
				failed = append(failed, fmt.Errorf("decode %s: %w", k, err))
				return nil
			}
			if !persistence.NeedsReseal(s.keys, st.SealedToken, st.AccessToken) {
				return nil
			}
			rec, err := s.decode(string(k), v)
			if err == nil {
				rewrite[string(k)], err = s.encode(rec)
			}
			if err != nil {
				failed = append(failed, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for id, data := range rewrite {
			if err := widgets.Put([]byte(id), data); err != nil {
				return err
			}
		}
		resealed = len(rewrite)
		return nil
	})
	if err != nil {
		return 0, wrap("reseal tokens", err)
	}
	if len(failed) > 0 {
		return resealed, fmt.Errorf("bolt: reseal tokens: %d records left as they are: %w", len(failed), errors.Join(failed...))
	}
	return resealed, nil
}
