package telemetry

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// storeLatency is store call latency by operation and result.
func newStoreLatency() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "streamwidgets_store_seconds",
		Help:    "Widget store calls made by grains, by operation (get, put, delete, …) and result (ok, not_found, conflict, error).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"op", "result"})
}

// timedStore times every call of a persistence.Store.
type timedStore struct {
	persistence.Store
	h *prometheus.HistogramVec
}

// timedRoomStore keeps the room methods of a store that has them visible
// (actors.RoomDepsFrom looks for persistence.RoomStore).
type timedRoomStore struct {
	*timedStore
	persistence.RoomStore
}

func (t *timedStore) observe(op string, start time.Time, err error) {
	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, persistence.ErrNotFound):
		result = "not_found"
	case errors.Is(err, persistence.ErrConflict):
		result = "conflict"
	default:
		result = "error"
	}
	t.h.WithLabelValues(op, result).Observe(time.Since(start).Seconds())
}

// Get implements persistence.Store.
func (t *timedStore) Get(ctx context.Context, id string) (persistence.Record, error) {
	start := time.Now()
	rec, err := t.Store.Get(ctx, id)
	t.observe("get", start, err)
	return rec, err
}

// GetByTokenHash implements persistence.Store.
func (t *timedStore) GetByTokenHash(ctx context.Context, hash string) (persistence.Record, error) {
	start := time.Now()
	rec, err := t.Store.GetByTokenHash(ctx, hash)
	t.observe("get_by_token", start, err)
	return rec, err
}

// List implements persistence.Store.
func (t *timedStore) List(ctx context.Context, q persistence.ListQuery) (persistence.Page, error) {
	start := time.Now()
	page, err := t.Store.List(ctx, q)
	t.observe("list", start, err)
	return page, err
}

// Put implements persistence.Store.
func (t *timedStore) Put(ctx context.Context, rec persistence.Record, expected int64) (persistence.Record, error) {
	start := time.Now()
	out, err := t.Store.Put(ctx, rec, expected)
	t.observe("put", start, err)
	return out, err
}

// Delete implements persistence.Store.
func (t *timedStore) Delete(ctx context.Context, id string, expected int64) error {
	start := time.Now()
	err := t.Store.Delete(ctx, id, expected)
	t.observe("delete", start, err)
	return err
}

// ClaimOnce implements persistence.OnceStore.
func (t *timedStore) ClaimOnce(ctx context.Context, key string, expires time.Time) (bool, error) {
	start := time.Now()
	ok, err := t.Store.ClaimOnce(ctx, key, expires)
	t.observe("claim_once", start, err)
	return ok, err
}
