package actors

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// load reads the grain's record from the store (nil when there is none).
func (g *widgetGrain) load() error {
	var rec persistence.Record
	err := g.withStore(func(c context.Context) error {
		var err error
		rec, err = g.deps.Store.Get(c, g.id)
		return err
	})
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		g.rec, g.loaded = nil, true
	case err != nil:
		g.loaded = false
		return storeError(err)
	default:
		g.rec, g.loaded = &rec, true
	}
	g.syncTicker()
	return nil
}

func (g *widgetGrain) ensureLoaded() error {
	if g.loaded {
		return nil
	}
	return g.load()
}

// save persists rec if the stored version is still expected; only then does
// the grain adopt it. A conflict means another activation wrote: reload.
// step, if not nil, is the action that made rec: its Timer and View spare
// decoding the new state again.
func (g *widgetGrain) save(rec persistence.Record, expected int64, step *kinds.Step) (persistence.Record, error) {
	var saved persistence.Record
	err := g.withStore(func(c context.Context) error {
		var err error
		saved, err = g.deps.Store.Put(c, rec, expected)
		return err
	})
	if errors.Is(err, persistence.ErrConflict) {
		g.logger().Warn("stale write refused; reloading", zap.Int64("expected_version", expected))
		if lerr := g.load(); lerr != nil {
			return rec, lerr
		}
		return rec, &Error{Code: CodeConflict, Message: "the widget changed meanwhile; try again"}
	}
	if err != nil {
		return rec, storeError(err)
	}
	var old persistence.Record
	if g.rec != nil {
		old = *g.rec
	}
	g.rec = &saved
	if step != nil && saved.Active {
		g.syncTickerTo(step.Timer)
		if g.stopTick == nil {
			g.viewVersion, g.viewState = saved.Version, step.View
		}
	} else {
		g.syncTicker()
	}
	g.publishChanges(old, saved)
	return saved, nil
}

func (g *widgetGrain) withStore(op func(context.Context) error) error {
	c, cancel := context.WithTimeout(context.Background(), g.deps.StoreTimeout)
	defer cancel()
	err := op(c)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) && !errors.Is(err, persistence.ErrConflict) {
		g.logger().Error("store call failed", zap.Error(err))
	}
	return err
}

func storeError(err error) error {
	switch {
	case errors.Is(err, persistence.ErrTooLarge):
		return &Error{Code: CodeTooLarge, Message: "the widget would exceed the storage size limit"}
	case errors.Is(err, persistence.ErrNotFound):
		return notFound()
	default:
		// Details are logged by withStore; the client gets no internals.
		return &Error{Code: CodeStoreUnavailable, Message: "widget storage is unavailable; nothing was changed, try again"}
	}
}
