// Package widgetsink delivers integration actions to widgets: it lists the
// owner's active widgets of the action's type and runs the action on each
// through its grain, as the service caller (actors.ServiceCaller), which
// may run the owner's widgets' actions and nothing else.
package widgetsink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// Sink is an integrations.Sink over the widget grains. Listings are cached
// briefly (CacheFor) so a burst of events costs one store query.
type Sink struct {
	act     func(ctx context.Context, owner, id, action string, payload json.RawMessage) error
	store   persistence.Store
	service string
	log     *zap.Logger
	// CacheFor is how long a listing is reused. Default 2s: a new widget
	// gets events within 2 s.
	CacheFor time.Duration

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	recs []persistence.Record
	at   time.Time
}

var _ integrations.Sink = (*Sink)(nil)

// New returns the sink of service ("twitch") acting through client.
func New(client *actors.Client, store persistence.Store, service string, log *zap.Logger) *Sink {
	return NewWithAct(func(ctx context.Context, owner, id, action string, payload json.RawMessage) error {
		_, err := client.Act(ctx, actors.ServiceCaller(owner, service), id, action, payload)
		return err
	}, store, service, log)
}

// NewWithAct is New with the grain call given (tests).
func NewWithAct(act func(ctx context.Context, owner, id, action string, payload json.RawMessage) error, store persistence.Store, service string, log *zap.Logger) *Sink {
	if log == nil {
		log = zap.NewNop()
	}
	return &Sink{act: act, store: store, service: service, log: log.Named("widgetsink"), CacheFor: 2 * time.Second, cache: map[string]cached{}}
}

// list returns owner's active widgets of widgetType, newest first.
func (s *Sink) list(ctx context.Context, owner, widgetType string) ([]persistence.Record, error) {
	key := owner + "\x00" + widgetType
	s.mu.Lock()
	if c, ok := s.cache[key]; ok && time.Since(c.at) < s.CacheFor {
		s.mu.Unlock()
		return c.recs, nil
	}
	s.mu.Unlock()
	active := true
	q := persistence.ListQuery{UserID: owner, Type: widgetType, Active: &active, Limit: persistence.MaxPageSize}
	var recs []persistence.Record
	for page := 0; page < 10; page++ { // 1000 widgets of one type is plenty
		p, err := s.store.List(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("widgetsink: list %s widgets: %w", widgetType, err)
		}
		recs = append(recs, p.Records...)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	s.mu.Lock()
	s.cache[key] = cached{recs: recs, at: time.Now()}
	s.mu.Unlock()
	return recs, nil
}

// Widgets implements integrations.Sink.
func (s *Sink) Widgets(ctx context.Context, owner, widgetType string) ([]string, error) {
	recs, err := s.list(ctx, owner, widgetType)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids, nil
}

// Deliver implements integrations.Sink: the action runs on every matching
// widget. Refusals that a retry cannot change (inactive, deleted, invalid
// payload) are logged and skipped; the others make Deliver fail, naming the
// widgets, so the caller may retry.
func (s *Sink) Deliver(ctx context.Context, owner string, a integrations.Action) error {
	recs, err := s.list(ctx, owner, a.WidgetType)
	if err != nil {
		return err
	}
	var failed []string
	var last error
	for _, r := range recs {
		if !matches(r.Config, a.ConfigMatch) {
			continue
		}
		err := s.act(ctx, owner, r.ID, a.Name, a.Payload)
		switch {
		case err == nil:
		case retryable(err):
			failed, last = append(failed, r.ID), err
		default:
			s.log.Info("a widget refused an integration action", zap.String("service", s.service), zap.String("widget_id", r.ID),
				zap.String("action", a.Name), zap.String("event", a.Event), zap.Error(err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("widgetsink: %s on %s: %w", a.Name, strings.Join(failed, ","), last)
	}
	return nil
}

// matches reports whether config has every want value (as a string).
func matches(config json.RawMessage, want map[string]string) bool {
	if len(want) == 0 {
		return true
	}
	var c map[string]any
	if json.Unmarshal(config, &c) != nil {
		return false
	}
	for k, v := range want {
		if s, ok := c[k].(string); !ok || s != v {
			return false
		}
	}
	return true
}

func retryable(err error) bool {
	var e *actors.Error
	if !errors.As(err, &e) {
		return true
	}
	switch e.Code {
	case actors.CodeUnavailable, actors.CodeStoreUnavailable, actors.CodeRateLimited, actors.CodeConflict, actors.CodeInternal:
		return true
	}
	return false
}
