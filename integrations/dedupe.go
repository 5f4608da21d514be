package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// Window remembers the platform message ids already delivered, in the
// credentials store, so a message the platform sends again (at-least-once
// delivery, or after the integration moved to another node) reaches the
// widgets once. It is used by one actor at a time: not safe for concurrent use.
type Window struct {
	store persistence.CredentialStore
	owner string
	key   string
	size  int
	ttl   time.Duration
	now   func() time.Time

	seen    map[string]time.Time
	order   []seenID
	version int64
	loaded  bool
}

type seenID struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// NewWindow returns the window stored under key for owner, keeping the last
// size ids no older than ttl (defaults 1000 and 1h: Twitch redelivers
// within minutes).
func NewWindow(store persistence.CredentialStore, owner, key string, size int, ttl time.Duration, now func() time.Time) *Window {
	if size <= 0 {
		size = 1000
	}
	if ttl <= 0 {
		ttl = time.Hour
	}
	if now == nil {
		now = time.Now
	}
	return &Window{store: store, owner: owner, key: key, size: size, ttl: ttl, now: now, seen: map[string]time.Time{}}
}

// Load reads the stored window (none stored is an empty window).
func (w *Window) Load(ctx context.Context) error {
	data, v, err := w.store.GetState(ctx, w.owner, w.key)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		w.version, w.loaded = 0, true
		return nil
	case err != nil:
		return fmt.Errorf("dedupe window %s: %w", w.key, err)
	}
	var ids []seenID
	if err := json.Unmarshal(data, &ids); err != nil {
		return fmt.Errorf("dedupe window %s: decode: %w", w.key, err)
	}
	for _, s := range ids {
		w.add(s)
	}
	w.version, w.loaded = v, true
	return nil
}

// EnsureLoaded loads the window unless it was.
func (w *Window) EnsureLoaded(ctx context.Context) error {
	if w.loaded {
		return nil
	}
	return w.Load(ctx)
}

// Seen reports whether id was delivered already.
func (w *Window) Seen(id string) bool {
	_, ok := w.seen[id]
	return ok
}

func (w *Window) add(s seenID) {
	if _, ok := w.seen[s.ID]; ok {
		return
	}
	w.seen[s.ID] = s.At
	w.order = append(w.order, s)
}

func (w *Window) trim() {
	sort.SliceStable(w.order, func(i, j int) bool { return w.order[i].At.Before(w.order[j].At) })
	cut := 0
	oldest := w.now().Add(-w.ttl)
	for cut < len(w.order) && (len(w.order)-cut > w.size || w.order[cut].At.Before(oldest)) {
		delete(w.seen, w.order[cut].ID)
		cut++
	}
	w.order = append([]seenID(nil), w.order[cut:]...)
}

// Mark records id as delivered and stores the window. A concurrent writer
// (another activation during a failover) is merged, not overwritten.
func (w *Window) Mark(ctx context.Context, id string) error {
	if !w.loaded {
		if err := w.Load(ctx); err != nil {
			return err
		}
	}
	w.add(seenID{ID: id, At: w.now()})
	for attempt := 0; ; attempt++ {
		w.trim()
		data, _ := json.Marshal(w.order)
		v, err := w.store.PutState(ctx, w.owner, w.key, data, w.version)
		if err == nil {
			w.version = v
			return nil
		}
		if !errors.Is(err, persistence.ErrConflict) || attempt >= 3 {
			return fmt.Errorf("dedupe window %s: %w", w.key, err)
		}
		mine := w.order
		if err := w.Load(ctx); err != nil { // merges the stored ids into ours
			return err
		}
		for _, s := range mine {
			w.add(s)
		}
	}
}
