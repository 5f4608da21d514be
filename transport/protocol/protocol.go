// Package protocol is the WebSocket wire contract: message types and fields
// (the widgets plan's names), error codes and close codes. docs/protocol.md
// describes it; testdata/ holds golden examples that the tests check.
package protocol

import "encoding/json"

// Client → server message types.
const (
	TypeAuth        = "AUTH"
	TypeSubscribe   = "WIDGET_SUBSCRIBE"
	TypeUnsubscribe = "WIDGET_UNSUBSCRIBE"
	TypeAction      = "WIDGET_ACTION"
)

// Server → client message types.
const (
	TypeAuthOK         = "AUTH_OK"
	TypeInitialState   = "WIDGET_INITIAL_STATE"
	TypeStateUpdate    = "WIDGET_STATE_UPDATE"
	TypeConfigUpdate   = "WIDGET_CONFIG_UPDATE"
	TypeActionResponse = "WIDGET_ACTION_RESPONSE"
	TypeDeleted        = "WIDGET_DELETED"
	TypeEvent          = "WIDGET_EVENT"
	TypeViewers        = "WIDGET_VIEWERS"
	TypeError          = "ERROR"
)

// ClientMessage is any client frame after Decode checked it.
type ClientMessage struct {
	Type      string          `json:"type"`
	Token     string          `json:"token,omitempty"`
	WidgetID  string          `json:"widgetId,omitempty"`
	Action    string          `json:"action,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	RequestID string          `json:"requestId,omitempty"`
}

// Session describes what an AUTH granted.
type Session struct {
	// Mode is "user" (a user JWT: all own widgets, may act) or "widget" (a
	// widget access token: that one widget, read-only).
	Mode     string `json:"mode"`
	UserID   string `json:"user_id,omitempty"`
	WidgetID string `json:"widgetId,omitempty"`
	ReadOnly bool   `json:"read_only"`
}

// AuthOK answers a successful AUTH.
type AuthOK struct {
	Type       string  `json:"type"`
	ServerTime string  `json:"server_time"`
	Session    Session `json:"session"`
	RequestID  string  `json:"requestId,omitempty"`
}

// InitialState answers WIDGET_SUBSCRIBE with the whole widget record (without
// access_token for read-only sessions). It is sent again after the server
// re-subscribed (e.g. the widget moved to another node): treat it as a reset.
type InitialState struct {
	Type       string          `json:"type"`
	WidgetID   string          `json:"widgetId"`
	Widget     json.RawMessage `json:"widget"`
	Version    int64           `json:"version"`
	ServerTime string          `json:"server_time"`
	RequestID  string          `json:"requestId,omitempty"`
}

// StateUpdate carries a widget's whole state. Versions never decrease; a
// message with a version below the last one applied is stale.
type StateUpdate struct {
	Type       string          `json:"type"`
	WidgetID   string          `json:"widgetId"`
	State      json.RawMessage `json:"state"`
	Timestamp  string          `json:"timestamp"`
	Version    int64           `json:"version"`
	ServerTime string          `json:"server_time"`
}

// ConfigUpdate carries a widget's new config, title and active flag.
type ConfigUpdate struct {
	Type     string          `json:"type"`
	WidgetID string          `json:"widgetId"`
	Config   json.RawMessage `json:"config"`
	Title    string          `json:"title"`
	Active   bool            `json:"active"`
	Version  int64           `json:"version"`
}

// ActionResponse answers WIDGET_ACTION to its sender only.
type ActionResponse struct {
	Type      string `json:"type"`
	WidgetID  string `json:"widgetId"`
	Action    string `json:"action"`
	Success   bool   `json:"success"`
	Error     string `json:"error,omitempty"`
	Code      string `json:"code,omitempty"`
	Version   int64  `json:"version,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// Event is a kind's discrete event (an alert started, a poll closed). It
// follows the state update it belongs to and is never coalesced.
type Event struct {
	Type      string          `json:"type"`
	WidgetID  string          `json:"widgetId"`
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data,omitempty"`
	Version   int64           `json:"version"`
	Timestamp string          `json:"timestamp"`
}

// Viewers counts a widget's live sessions: OBS views (widget tokens) and
// manager sessions. Manager sessions only receive it.
type Viewers struct {
	Type     string `json:"type"`
	WidgetID string `json:"widgetId"`
	OBS      int32  `json:"obs"`
	Managers int32  `json:"managers"`
}

// Deleted tells subscribers a widget is gone; the subscription ends.
type Deleted struct {
	Type     string `json:"type"`
	WidgetID string `json:"widgetId"`
	Version  int64  `json:"version"`
}

// Error reports a refused message (the socket stays open) or, right before a
// close, why the server closes it.
type Error struct {
	Type      string `json:"type"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	WidgetID  string `json:"widgetId,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}
