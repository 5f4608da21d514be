// Package kinds holds the widget kinds: each kind's config, state and a pure
// transition Apply(config, state, action, now). Nothing here does I/O, so every
// kind is tested as a table over (state, action, time) -> (state, events, error),
// and the widget grain is the only place that applies and persists the result.
//
// A kind is one file: it declares its schemas and actions in Info and
// registers itself in init (see docs/kinds.md).
package kinds

import (
	"encoding/json"
	"time"
)

// Role is who sends an action; the grain has checked the role may send it.
type Role string

const (
	RoleOwner   Role = "owner"   // the widget's owner (user JWT)
	RoleControl Role = "control" // a per-widget control token (Stream Deck, bots)
	RoleService Role = "service" // an integration acting for the owner
	RoleViewer  Role = "viewer"  // an OBS view's read-only widget token
)

// By says who sent an action.
type By struct {
	Role Role `json:"role"`
	// Service names the integration when Role is RoleService ("twitch").
	Service string `json:"service,omitempty"`
}

// Action is one request to change a widget's state.
type Action struct {
	Name    string
	Payload json.RawMessage
	By      By
}

// Event is a discrete thing that happened (an alert started, a poll closed).
// The grain publishes events after the state they belong to and never
// coalesces them, unlike state updates.
type Event struct {
	Name string `json:"event"`
	Data any    `json:"data,omitempty"`
}

// Timer is when a kind needs the grain to wake it.
type Timer struct {
	// Tick: the state changes with time; the grain settles and re-syncs
	// viewers every tick (a running countdown).
	Tick bool
	// At, if not zero, wakes Settle at that time (an alert's end, a poll's close).
	At time.Time
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

// Access says who may send an action.
type Access string

const (
	// AccessOwner (the default): the owner, a control token, a service.
	AccessOwner Access = ""
	// AccessViewer: OBS views only (acknowledgements such as "alert shown").
	AccessViewer Access = "viewer"
)

// Rate is a per-widget token bucket for one action.
type Rate struct {
	PerSecond float64 `json:"per_second"`
	Burst     int     `json:"burst"`
}

// ActionSpec names one action, the JSON schema of its payload, who may send
// it and how fast.
type ActionSpec struct {
	Name          string         `json:"name"`
	Label         string         `json:"label"`
	PayloadSchema map[string]any `json:"payload_schema,omitempty"`
	Access        Access         `json:"access,omitempty"`
	// Rate: zero means the node's default per-widget action rate.
	Rate Rate `json:"rate,omitzero"`
	// Hidden actions get no console button (fed by integrations or views).
	Hidden bool `json:"hidden,omitempty"`
	// ActiveWhen marks the button as the current state's (Start while
	// running): the console highlights it when state[field] == equals.
	ActiveWhen *StateMatch `json:"x-active-when,omitempty"`
}

// StateMatch is a condition on one top-level state field.
type StateMatch struct {
	Field  string `json:"field"`
	Equals any    `json:"equals"`
}

// Kind is what one widget kind implements, over its own Config and State types.
// Embed Plain[C, S] for the optional methods' defaults.
type Kind[C any, S any] interface {
	Info() Info
	Defaults() C
	// Validate checks a config after it was decoded onto the defaults.
	Validate(c C) error
	Initial(c C, now time.Time) S
	Apply(c C, s S, a Action, now time.Time) (S, []Event, error)
	// Settle applies transitions that time alone causes (a timer reaching
	// zero). It reports whether the state changed and must be persisted.
	Settle(c C, s S, now time.Time) (S, []Event, bool)
	// Timer says when the grain must wake this state again.
	Timer(c C, s S, now time.Time) Timer
	// Reconfigure adapts the state to a new config.
	Reconfigure(old, next C, s S, now time.Time) S
	// View is the state as seen at now, for pushing to viewers (a running
	// countdown's time left now). It is equivalent to s, never persisted.
	View(c C, s S, now time.Time) S
}

// Plain gives a kind without timers the defaults of the optional methods:
// nothing settles by itself, no timer, state survives a new config, the
// view is the state.
type Plain[C any, S any] struct{}

func (Plain[C, S]) Settle(_ C, s S, _ time.Time) (S, []Event, bool) { return s, nil, false }
func (Plain[C, S]) Timer(C, S, time.Time) Timer                     { return Timer{} }
func (Plain[C, S]) Reconfigure(_, _ C, s S, _ time.Time) S          { return s }
func (Plain[C, S]) View(_ C, s S, _ time.Time) S                    { return s }

// Step is the outcome of one action (Definition.Step): the new state, its
// events, its Timer and its View at the action's time (View shares State's
// bytes when they are equal).
type Step struct {
	State, View json.RawMessage
	Events      []Event
	Timer       Timer
}

// Definition is a Kind with its types erased to JSON, as the registry and the
// grain use it.
type Definition interface {
	// Info is built once per kind and shared: callers must not change it.
	Info() Info
	Type() string
	// Spec returns the action's spec, if the kind has that action.
	Spec(action string) (ActionSpec, bool)
	DefaultConfig() json.RawMessage
	// MergeConfig decodes patch strictly onto base (nil base: the defaults),
	// validates the result and returns it in canonical form.
	MergeConfig(base, patch json.RawMessage) (json.RawMessage, error)
	InitialState(config json.RawMessage, now time.Time) (json.RawMessage, error)
	Apply(config, state json.RawMessage, a Action, now time.Time) (json.RawMessage, []Event, error)
	// Step is Apply plus what the grain asks of the new state next (its
	// Timer and View at now), computed from the decoded state instead of
	// decoding it twice more.
	Step(config, state json.RawMessage, a Action, now time.Time) (Step, error)
	Settle(config, state json.RawMessage, now time.Time) (json.RawMessage, []Event, bool, error)
	Timer(config, state json.RawMessage, now time.Time) Timer
	Reconfigure(old, next, state json.RawMessage, now time.Time) (json.RawMessage, error)
	View(config, state json.RawMessage, now time.Time) (json.RawMessage, error)
}
