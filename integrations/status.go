package integrations

import (
	"sort"
	"time"
)

// State is a connection's overall condition, as the console shows it.
type State string

// The states, worst first: Overall picks the worst a component reports.
const (
	StateRevoked       State = "revoked"        // the user revoked access on the platform: reconnect
	StateScopeMissing  State = "scope_missing"  // a permission a widget needs was not granted: reconnect
	StateTokenExpired  State = "token_expired"  // the token expired and cannot be refreshed yet: retrying
	StateDegraded      State = "degraded"       // a part stopped after repeated crashes
	StateRateLimited   State = "rate_limited"   // the platform asked us to wait; data resumes at retry_at
	StateConnecting    State = "connecting"     // starting or reconnecting
	StateConnected     State = "connected"      // everything runs
	StateDisconnected  State = "disconnected"   // no account connected
	StateNotConfigured State = "not_configured" // the server has no application credentials for this platform
)

var severity = map[State]int{
	StateRevoked: 0, StateScopeMissing: 1, StateTokenExpired: 2, StateDegraded: 3, StateRateLimited: 4,
	StateConnecting: 5, StateConnected: 6, StateDisconnected: 7, StateNotConfigured: 8,
}

// Worse reports whether a is worse than b.
func Worse(a, b State) bool {
	sa, oka := severity[a]
	sb, okb := severity[b]
	if !oka {
		sa = 99
	}
	if !okb {
		sb = 99
	}
	return sa < sb
}

// Advice is what the console tells the streamer to do in state s.
func Advice(s State) string {
	switch s {
	case StateRevoked:
		return "Access was revoked on the platform (or the token no longer works). Press Connect again to re-authorize."
	case StateScopeMissing:
		return "Some permissions your widgets need were not granted. Press Connect again and accept every listed permission."
	case StateTokenExpired:
		return "The access token expired and could not be refreshed yet; retrying. If this lasts, press Connect again."
	case StateDegraded:
		return "A part of this integration stopped after crashing repeatedly; the rest keeps running. Disconnect and connect again to restart it, or contact the operator."
	case StateRateLimited:
		return "The platform asked us to slow down; updates resume by themselves at the time shown."
	case StateConnecting:
		return "Connecting; this takes a few seconds."
	case StateDisconnected:
		return "Press Connect to link your account."
	case StateNotConfigured:
		return "The server operator has not configured this platform (see the README: register an application)."
	}
	return ""
}

// Account names a connected account on the platform.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Component is one supervised part of a connection (token keeper, EventSub
// session, a poller) as last reported.
type Component struct {
	Name string `json:"name"`
	// Run is the supervisor's view: running, restarting, stopped.
	Run string `json:"run"`
	// State is the component's own condition (connected, rate_limited, …).
	State     State      `json:"state"`
	Detail    string     `json:"detail,omitempty"`
	Restarts  int        `json:"restarts,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	RetryAt   *time.Time `json:"retry_at,omitempty"`
	Since     time.Time  `json:"since"`
}

// Subscription is one platform subscription (EventSub) and its fate.
type Subscription struct {
	Type   string `json:"type"`
	Status string `json:"status"` // enabled, failed, revoked, scope_missing
	Reason string `json:"reason,omitempty"`
}

// Status is a connection's status as the console shows it: the worst
// component state, what it means and what to do.
type Status struct {
	Service       string         `json:"service"`
	Account       *Account       `json:"account,omitempty"`
	State         State          `json:"state"`
	Message       string         `json:"message,omitempty"`
	Advice        string         `json:"advice,omitempty"`
	Scopes        []string       `json:"scopes,omitempty"`
	MissingScopes []string       `json:"missing_scopes,omitempty"`
	RetryAt       *time.Time     `json:"retry_at,omitempty"`
	Components    []Component    `json:"components"`
	Subscriptions []Subscription `json:"subscriptions,omitempty"`
}

// Overall fills State, Message, Advice and RetryAt from the components:
// the worst state wins, and its detail explains it.
func (s *Status) Overall() {
	sort.Slice(s.Components, func(i, j int) bool { return s.Components[i].Name < s.Components[j].Name })
	s.State, s.Message, s.RetryAt = StateConnected, "", nil
	if len(s.Components) == 0 {
		s.State = StateConnecting
	}
	for _, c := range s.Components {
		st := c.State
		if c.Run == "stopped" {
			st = StateDegraded
		}
		if Worse(st, s.State) {
			s.State, s.Message, s.RetryAt = st, c.Name+": "+firstNonEmpty(c.LastError, c.Detail), c.RetryAt
		}
	}
	s.Advice = Advice(s.State)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
