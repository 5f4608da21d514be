// Package integrations connects streamers' accounts on other platforms
// (Twitch, Pretzel, Spotify, Last.fm) to their widgets. Each platform has a
// package with its client and the mapping from its events to widget actions
// (integrations/twitch, integrations/nowplaying); the pollers and sockets
// that drive them run as supervised actor trees, one per connected account
// and exactly one in the cluster (integrations/grain). This package holds
// what they share: the actions they produce and the Sink that delivers them,
// the connection status shown in the console, the token source and the
// persisted window that makes at-least-once platform delivery exactly-once
// for widgets.
package integrations

import (
	"context"
	"encoding/json"
)

// Action is one widget action an integration wants run on every widget of
// type WidgetType its owner has (an alert on every alerts widget).
type Action struct {
	WidgetType string
	Name       string
	Payload    json.RawMessage
	// ConfigMatch, when set, limits the action to widgets whose config has
	// these string values (a goal counting "twitch_follows").
	ConfigMatch map[string]string
	// Event names what caused the action, for logs (never a secret).
	Event string
}

// NewAction builds an action with payload marshalled to JSON.
func NewAction(widgetType, name string, payload any) Action {
	b, err := json.Marshal(payload)
	if err != nil {
		b = []byte(`{}`) // payloads are our own structs and maps: cannot fail
	}
	return Action{WidgetType: widgetType, Name: name, Payload: b}
}

// Sink delivers actions to an owner's widgets. Deliver returns once every
// matching widget has applied the action or refused it for good (an
// inactive widget, an invalid payload: logged, not retried); an error means
// the action may not have reached every widget and may be retried.
type Sink interface {
	Deliver(ctx context.Context, owner string, a Action) error
	// Widgets lists the ids of owner's active widgets of widgetType, so a
	// poller with no reader stays idle and a new reader gets the current
	// value without waiting for a change.
	Widgets(ctx context.Context, owner, widgetType string) ([]string, error)
}
