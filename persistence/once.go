package persistence

import (
	"context"
	"time"
)

// OnceStore records one-time events, such as a redeemed sign-in ticket, so
// each happens at most once: across restarts, and across every node that
// shares the store.
type OnceStore interface {
	// ClaimOnce records key until expires. It returns true for the first
	// claim of key and false while an earlier claim has not expired. It is
	// atomic: of concurrent claims of one key exactly one returns true. After
	// expires the key may be claimed again, so callers pick an expiry past
	// the point where the key is worthless anyway (a ticket's own expiry).
	// On an error nothing can be assumed claimed; callers must refuse.
	ClaimOnce(ctx context.Context, key string, expires time.Time) (claimed bool, err error)
}
