// Package kinds holds the widget kinds: each kind's config, state and a pure
// transition Apply(config, state, action, now). Nothing here does I/O, so every
// kind is tested as a table over (state, action, time) -> (state, error), and
// the widget grain is the only place that applies and persists the result.
package kinds

import (
	"encoding/json"
	"time"
)

// Action is one client request to change a widget's state.
type Action struct {
	Name    string
	Payload json.RawMessage
}

// Info describes a kind to clients (the console builds its forms from it).
type Info struct {
	Type         string         `json:"type"`
	Name         string         `json:"name"`
	Description  string         `json:"description"`
	ConfigSchema map[string]any `json:"config_schema"`
	Actions      []ActionSpec   `json:"actions"`
	// DefaultConfig is filled in by Registry.Infos.
	DefaultConfig json.RawMessage `json:"default_config,omitempty"`
}

// ActionSpec names one action and the JSON schema of its payload.
type ActionSpec struct {
	Name          string         `json:"name"`
	Label         string         `json:"label"`
	PayloadSchema map[string]any `json:"payload_schema,omitempty"`
}

// Kind is what one widget kind implements, over its own Config and State types.
type Kind[C any, S any] interface {
	Info() Info
	Defaults() C
	// Validate checks a config after it was decoded onto the defaults.
	Validate(c C) error
	Initial(c C, now time.Time) S
	Apply(c C, s S, a Action, now time.Time) (S, error)
	// Settle applies transitions that time alone causes (a timer reaching
	// zero). It reports whether the state changed and must be persisted.
	Settle(c C, s S, now time.Time) (S, bool)
	// Running reports whether the state changes with time, so the grain
	// keeps a tick timer and stays active.
	Running(s S) bool
	// Reconfigure adapts the state to a new config.
	Reconfigure(old, next C, s S, now time.Time) S
	// View is the state as seen at now, for pushing to viewers (a running
	// countdown's time left now). It is equivalent to s, never persisted.
	View(c C, s S, now time.Time) S
}

// Definition is a Kind with its types erased to JSON, as the registry and the
// grain use it.
type Definition interface {
	Info() Info
	Type() string
	DefaultConfig() json.RawMessage
	// MergeConfig decodes patch strictly onto base (nil base: the defaults),
	// validates the result and returns it in canonical form.
	MergeConfig(base, patch json.RawMessage) (json.RawMessage, error)
	InitialState(config json.RawMessage, now time.Time) (json.RawMessage, error)
	Apply(config, state json.RawMessage, a Action, now time.Time) (json.RawMessage, error)
	Settle(config, state json.RawMessage, now time.Time) (json.RawMessage, bool, error)
	Running(state json.RawMessage) bool
	Reconfigure(old, next, state json.RawMessage, now time.Time) (json.RawMessage, error)
	View(config, state json.RawMessage, now time.Time) (json.RawMessage, error)
}
