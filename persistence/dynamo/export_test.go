package dynamo

import (
	"context"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// PutLegacy creates rec as the store did before tokens were sealed: the
// token in plaintext in access_token, with its hash and guard item.
func (st *Store) PutLegacy(ctx context.Context, rec persistence.Record) error {
	rec.Version = 1
	plain := rec.AccessToken
	rec.AccessToken = ""
	item, err := toItem(rec, st.cfg.InactiveTTL, nil)
	if err != nil {
		return err
	}
	item[attrLegacyToken] = s(plain)
	item[attrTokenHash] = s(persistence.TokenHash(plain))
	rec.AccessToken = plain
	return st.create(ctx, rec, item)
}

// SetClock moves the time tombstones are written and checked at.
func (st *Store) SetClock(now func() time.Time) { st.now = now }

// ItemBytes is rec's size as DynamoDB bills a write of it (item.go).
func (st *Store) ItemBytes(rec persistence.Record) int {
	item, err := toItem(rec, st.cfg.InactiveTTL, st.keys)
	if err != nil {
		return -1
	}
	return itemSize(item)
}
