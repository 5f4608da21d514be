package actors

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// load reads the grain's room from the store (nil when there is none).
func (g *roomGrain) load() error {
	if g.deps.Store == nil {
		return &Error{Code: CodeStoreUnavailable, Message: "this node's store does not keep rooms"}
	}
	var room persistence.Room
	err := g.withStore(func(c context.Context) error {
		var err error
		room, err = g.deps.Store.GetRoom(c, g.id)
		return err
	})
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		g.room, g.loaded = nil, true
	case err != nil:
		g.loaded = false
		return roomStoreError(err)
	default:
		g.room, g.loaded = &room, true
	}
	return nil
}

func (g *roomGrain) ensureLoaded() error {
	if g.loaded {
		return nil
	}
	return g.load()
}

// save persists room if the stored version is still expected; only then
// does the grain adopt it and tell subscribers. A conflict means another
// activation wrote: reload, and let the caller apply its change again.
func (g *roomGrain) save(room persistence.Room, expected int64) (persistence.Room, error) {
	if g.deps.Store == nil {
		return room, &Error{Code: CodeStoreUnavailable, Message: "this node's store does not keep rooms"}
	}
	var saved persistence.Room
	err := g.withStore(func(c context.Context) error {
		var err error
		saved, err = g.deps.Store.PutRoom(c, room, expected)
		return err
	})
	if errors.Is(err, persistence.ErrConflict) {
		g.log.Warn("stale room write refused; reloading", zap.Int64("expected_version", expected))
		if lerr := g.load(); lerr != nil {
			return room, lerr
		}
		return room, &Error{Code: CodeConflict, Message: "the room changed meanwhile; try again"}
	}
	if err != nil {
		return room, roomStoreError(err)
	}
	var old persistence.Room
	if g.room != nil {
		old = *g.room
	}
	g.room = &saved
	g.publishChanges(old, saved)
	return saved, nil
}

func (g *roomGrain) withStore(op func(context.Context) error) error {
	c, cancel := context.WithTimeout(context.Background(), g.deps.StoreTimeout)
	defer cancel()
	err := op(c)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) && !errors.Is(err, persistence.ErrConflict) {
		g.log.Error("room store call failed", zap.Error(err))
	}
	return err
}

func roomStoreError(err error) error {
	switch {
	case errors.Is(err, persistence.ErrTooLarge):
		return &Error{Code: CodeTooLarge, Message: "the room would exceed the storage size limit"}
	default:
		return &Error{Code: CodeStoreUnavailable, Message: "room storage is unavailable; nothing was changed, try again"}
	}
}
