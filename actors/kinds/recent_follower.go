package kinds

import (
	"math"
	"slices"
	"strings"
	"time"
)

// RecentFollowerConfig is the "latest follower" card's config; EventType
// makes it the latest subscriber, cheer or tip instead.
type RecentFollowerConfig struct {
	EventType string `json:"event_type"` // follow, sub, cheer, tip
	// Title is the heading; empty shows the event type's ("Latest follower").
	Title string `json:"title"`
	// Unit follows an amount ("bits", "€"); empty: "bits" for cheers, none otherwise.
	Unit       string `json:"unit"`
	ShowAmount bool   `json:"show_amount"`
	Animation  string `json:"animation"` // entrance on change: slide, fade, pop, none
	Appearance
}

// RecentFollowerState is the latest event of the configured type.
type RecentFollowerState struct {
	Name   string    `json:"name,omitempty"`
	Amount *float64  `json:"amount,omitempty"`
	At     time.Time `json:"at,omitzero"`
	// Count counts changes, so the overlay animates a repeat of the same name too.
	Count int64 `json:"count"`
}

const (
	recentFollowerKind = "recent_follower"
	maxEventName       = 100
	maxEventAmount     = 1e9
)

var (
	recentEventTypes = []string{"follow", "sub", "cheer", "tip"}
	entranceKinds    = []string{"slide", "fade", "pop", "none"}
)

func init() { Register(Erase[RecentFollowerConfig, RecentFollowerState](RecentFollower{})) }

// RecentFollower is the latest follower / subscriber / cheer / tip kind.
type RecentFollower struct {
	Plain[RecentFollowerConfig, RecentFollowerState]
}

var _ Kind[RecentFollowerConfig, RecentFollowerState] = RecentFollower{}

// Info implements Kind.
func (RecentFollower) Info() Info {
	amount := described(numberSchema("Amount", 0, maxEventAmount), "Bits, or the tip's value; optional.")
	return Info{
		Type: recentFollowerKind, Name: "Recent Follower", Description: "The latest follower, subscriber, cheer or tip, with an entrance animation on each new one.",
		ConfigSchema: withAppearance(objectSchema(nil, map[string]any{
			"event_type":  enumSchema("Shows the latest", recentEventTypes...),
			"title":       described(stringSchema("Title (shown on stream)", 100), `Empty: "Latest follower", "Latest subscriber", "Latest cheer" or "Latest tip".`),
			"unit":        described(stringSchema("Amount unit", 16), `Shown after an amount ("bits", "€"); empty: "bits" for cheers.`),
			"show_amount": boolSchema("Show the amount (cheers, tips)"),
			"animation":   enumSchema("Entrance animation", entranceKinds...),
		}, "event_type", "title", "unit", "show_amount", "animation")),
		Actions: []ActionSpec{
			{Name: "set", Label: "Set", PayloadSchema: objectSchema([]string{"name"}, map[string]any{
				"name":   stringSchema("Name", maxEventName),
				"amount": amount,
			}, "name", "amount")},
			{Name: "clear", Label: "Clear"},
			// Integrations send every follow, sub, cheer and tip; a widget keeps its own type.
			{Name: "record", Label: "Record", Hidden: true, Rate: Rate{PerSecond: 50, Burst: 200}, PayloadSchema: objectSchema([]string{"event_type", "name"}, map[string]any{
				"event_type": enumSchema("Event type", recentEventTypes...),
				"name":       stringSchema("Name", maxEventName),
				"amount":     amount,
			}, "event_type", "name", "amount")},
		},
	}
}

// Defaults implements Kind.
func (RecentFollower) Defaults() RecentFollowerConfig {
	return RecentFollowerConfig{EventType: "follow", ShowAmount: true, Animation: "slide", Appearance: DefaultAppearance()}
}

// Validate implements Kind.
func (RecentFollower) Validate(c RecentFollowerConfig) error {
	switch {
	case !slices.Contains(recentEventTypes, c.EventType):
		return InvalidConfig("event_type must be one of %s", strings.Join(recentEventTypes, ", "))
	case !slices.Contains(entranceKinds, c.Animation):
		return InvalidConfig("animation must be one of %s", strings.Join(entranceKinds, ", "))
	case len([]rune(c.Title)) > 100:
		return InvalidConfig("title must be at most 100 characters")
	case len([]rune(c.Unit)) > 16:
		return InvalidConfig("unit must be at most 16 characters")
	}
	return c.Appearance.Validate()
}

// Initial implements Kind: nobody yet.
func (RecentFollower) Initial(RecentFollowerConfig, time.Time) RecentFollowerState {
	return RecentFollowerState{}
}

// Apply implements Kind.
func (RecentFollower) Apply(c RecentFollowerConfig, s RecentFollowerState, a Action, now time.Time) (RecentFollowerState, []Event, error) {
	switch strings.TrimSpace(a.Name) {
	case "record":
		var p struct {
			EventType string   `json:"event_type"`
			Name      string   `json:"name"`
			Amount    *float64 `json:"amount"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, nil, InvalidPayload("record: %v", err)
		}
		if !slices.Contains(recentEventTypes, p.EventType) {
			return s, nil, InvalidPayload("event_type must be one of %s", strings.Join(recentEventTypes, ", "))
		}
		if err := checkNameAmount(p.Name, p.Amount); err != nil {
			return s, nil, err
		}
		if p.EventType != c.EventType {
			return s, nil, nil // another widget's event: integrations send every type to every card
		}
		return latest(s, p.Name, p.Amount, now), nil, nil
	case "set":
		var p struct {
			Name   string   `json:"name"`
			Amount *float64 `json:"amount"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, nil, InvalidPayload("set: %v", err)
		}
		if err := checkNameAmount(p.Name, p.Amount); err != nil {
			return s, nil, err
		}
		return latest(s, p.Name, p.Amount, now), nil, nil
	case "clear":
		if err := noPayload(a); err != nil {
			return s, nil, err
		}
		if s.Name == "" {
			return s, nil, nil
		}
		return RecentFollowerState{Count: s.Count + 1}, nil, nil
	default:
		return s, nil, UnknownAction(recentFollowerKind, a.Name)
	}
}

// Reconfigure implements Kind: a card switched to another event type forgets
// the last one (a follower is not the latest tip).
func (RecentFollower) Reconfigure(old, next RecentFollowerConfig, s RecentFollowerState, _ time.Time) RecentFollowerState {
	if old.EventType != next.EventType && s.Name != "" {
		return RecentFollowerState{Count: s.Count + 1}
	}
	return s
}

func latest(s RecentFollowerState, name string, amount *float64, now time.Time) RecentFollowerState {
	return RecentFollowerState{Name: strings.TrimSpace(name), Amount: amount, At: now.UTC(), Count: s.Count + 1}
}

func checkNameAmount(name string, amount *float64) error {
	if err := textField("name", strings.TrimSpace(name), maxEventName, true); err != nil {
		return err
	}
	if amount != nil && (math.IsNaN(*amount) || *amount < 0 || *amount > maxEventAmount) {
		return InvalidPayload("amount must be between 0 and %g", maxEventAmount)
	}
	return nil
}
