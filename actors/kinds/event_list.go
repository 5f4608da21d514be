package kinds

import (
	"slices"
	"time"
)

func init() { Register(Erase[EventListConfig, EventListState](EventList{})) }

// StreamEventTypes are the stream events widgets show (follows, subs, …).
var StreamEventTypes = []string{"follow", "sub", "resub", "gift_sub", "cheer", "raid", "tip", "donation", "redemption"}

// EventListConfig is the event list's config.
type EventListConfig struct {
	Title     string   `json:"title"`
	MaxEvents int      `json:"max_events"`
	Types     []string `json:"types"` // shown event types; empty shows all
	Appearance
}

// StreamEvent is one entry of the list.
type StreamEvent struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Name    string    `json:"name"`
	Amount  float64   `json:"amount,omitempty"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// EventListState is the newest events first.
type EventListState struct {
	Events []StreamEvent `json:"events"`
}

const maxListedEvents = 50

// EventList is the event list kind.
type EventList struct {
	Plain[EventListConfig, EventListState]
}

// Info implements Kind.
func (EventList) Info() Info {
	return Info{
		Type: "event_list", Name: "Event List", Description: "The last follows, subs, cheers, raids and tips, newest first.",
		ConfigSchema: withAppearance(objectSchema([]string{}, map[string]any{
			"title":      stringSchema("Title (shown on stream)", 200),
			"max_events": intSchema("Events shown", 1, maxListedEvents),
			"types":      described(listSchema("Event types shown", len(StreamEventTypes), enumSchema("Type", StreamEventTypes...)), "Leave empty to show every type."),
		}, "title", "max_events", "types")),
		Actions: []ActionSpec{
			{Name: "record", Label: "Add an event", Rate: Rate{PerSecond: 50, Burst: 200}, PayloadSchema: objectSchema([]string{"id", "type", "name"}, map[string]any{
				"id":      stringSchema("Event id", 100),
				"type":    enumSchema("Type", StreamEventTypes...),
				"name":    stringSchema("Name", 50),
				"amount":  numberSchema("Amount", 0, maxGoalValue),
				"message": textSchema("Message", 500),
			}, "type", "name", "amount", "message", "id")},
			{Name: "clear", Label: "Clear the list"},
		},
	}
}

// Defaults implements Kind.
func (EventList) Defaults() EventListConfig {
	a := DefaultAppearance()
	a.FontSize, a.Align = 24, "left"
	return EventListConfig{Title: "Recent events", MaxEvents: 5, Types: []string{}, Appearance: a}
}

// Validate implements Kind.
func (EventList) Validate(c EventListConfig) error {
	if c.MaxEvents < 1 || c.MaxEvents > maxListedEvents {
		return InvalidConfig("max_events must be between 1 and %d", maxListedEvents)
	}
	if len([]rune(c.Title)) > 200 {
		return InvalidConfig("title must be at most 200 characters")
	}
	if err := checkEventTypes(c.Types); err != nil {
		return err
	}
	return c.Appearance.Validate()
}

func checkEventTypes(types []string) error {
	if len(types) > len(StreamEventTypes) {
		return InvalidConfig("types lists at most %d types", len(StreamEventTypes))
	}
	for _, t := range types {
		if !slices.Contains(StreamEventTypes, t) {
			return InvalidConfig("unknown event type %q (one of %v)", t, StreamEventTypes)
		}
	}
	return nil
}

// Initial implements Kind.
func (EventList) Initial(EventListConfig, time.Time) EventListState {
	return EventListState{Events: []StreamEvent{}}
}

// Apply implements Kind.
func (EventList) Apply(c EventListConfig, s EventListState, a Action, now time.Time) (EventListState, []Event, error) {
	switch a.Name {
	case "record":
		e, err := decodeStreamEvent(a)
		if err != nil {
			return s, nil, err
		}
		if (len(c.Types) > 0 && !slices.Contains(c.Types, e.Type)) || slices.ContainsFunc(s.Events, func(x StreamEvent) bool { return x.ID == e.ID }) {
			return s, nil, nil // a type not shown, or a redelivery
		}
		e.At = now.UTC()
		s.Events = append([]StreamEvent{e}, s.Events...)
		if len(s.Events) > c.MaxEvents {
			s.Events = s.Events[:c.MaxEvents]
		}
		return s, nil, nil
	case "clear":
		if err := noPayload(a); err != nil {
			return s, nil, err
		}
		return EventListState{Events: []StreamEvent{}}, nil, nil
	default:
		return s, nil, UnknownAction("event_list", a.Name)
	}
}

// Reconfigure implements Kind: a shorter list keeps the newest events.
func (EventList) Reconfigure(_, next EventListConfig, s EventListState, _ time.Time) EventListState {
	if len(s.Events) > next.MaxEvents {
		s.Events = s.Events[:next.MaxEvents]
	}
	return s
}

// decodeStreamEvent reads a record payload shared by the event list.
func decodeStreamEvent(a Action) (StreamEvent, error) {
	var p struct {
		ID      string   `json:"id"`
		Type    string   `json:"type"`
		Name    string   `json:"name"`
		Amount  *float64 `json:"amount"`
		Message string   `json:"message"`
	}
	if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
		return StreamEvent{}, InvalidPayload("%s: %v", a.Name, err)
	}
	if !slices.Contains(StreamEventTypes, p.Type) {
		return StreamEvent{}, InvalidPayload("type must be one of %v", StreamEventTypes)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"id", p.ID, 100}, {"name", p.Name, 50}} {
		if err := textField(f.name, f.v, f.max, true); err != nil {
			return StreamEvent{}, err
		}
	}
	if err := textField("message", p.Message, 500, false); err != nil {
		return StreamEvent{}, err
	}
	e := StreamEvent{ID: p.ID, Type: p.Type, Name: p.Name, Message: p.Message}
	if p.Amount != nil {
		if !inRange(*p.Amount) || *p.Amount < 0 {
			return StreamEvent{}, InvalidPayload("amount must be a number from 0 to %g", maxGoalValue)
		}
		e.Amount = *p.Amount
	}
	return e, nil
}
