package persistence

import (
	"fmt"
	"time"
)

// Deleted widgets' tokens.
//
// When a widget is deleted, its store keeps a tombstone keyed by the hash of
// its access token for TombstoneTTL, so an OBS page reloaded after the
// deletion can say "this widget was deleted" instead of "invalid token".
// Only the holder of the real token reaches a tombstone: a guessed or wrong
// token still finds nothing (ErrNotFound alone). A tombstone holds no widget
// data, only its expiry; expired tombstones read as absent and are purged
// (bolt: on later deletes; DynamoDB: by the table's TTL on expires_at).
const TombstoneTTL = 30 * 24 * time.Hour

// ErrWidgetDeleted means a token belonged to a widget deleted less than
// TombstoneTTL ago. It is also ErrNotFound, for callers that only need that.
var ErrWidgetDeleted = fmt.Errorf("persistence: widget deleted: %w", ErrNotFound)
