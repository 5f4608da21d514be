package twitch

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The EventSub WebSocket message types.
const (
	MsgWelcome      = "session_welcome"
	MsgKeepalive    = "session_keepalive"
	MsgNotification = "notification"
	MsgReconnect    = "session_reconnect"
	MsgRevocation   = "revocation"
)

// Message is one EventSub WebSocket message.
type Message struct {
	Metadata Metadata        `json:"metadata"`
	Payload  json.RawMessage `json:"payload"`
}

// Metadata identifies a message; the subscription fields are set on
// notifications and revocations.
type Metadata struct {
	MessageID           string `json:"message_id"`
	MessageType         string `json:"message_type"`
	MessageTimestamp    string `json:"message_timestamp"`
	SubscriptionType    string `json:"subscription_type"`
	SubscriptionVersion string `json:"subscription_version"`
}

// Session is a welcome's or reconnect's session.
type Session struct {
	ID                      string  `json:"id"`
	Status                  string  `json:"status"`
	KeepaliveTimeoutSeconds *int    `json:"keepalive_timeout_seconds"`
	ReconnectURL            *string `json:"reconnect_url"`
}

// SubscriptionInfo is a notification's or revocation's subscription.
type SubscriptionInfo struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	Type      string            `json:"type"`
	Version   string            `json:"version"`
	Condition map[string]string `json:"condition"`
}

// Notification is a notification's payload.
type Notification struct {
	Subscription SubscriptionInfo `json:"subscription"`
	Event        json.RawMessage  `json:"event"`
}

// ErrMalformed means a message could not be decoded.
var ErrMalformed = errors.New("twitch: malformed EventSub message")

// DecodeMessage parses one text frame.
func DecodeMessage(b []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if m.Metadata.MessageType == "" {
		return m, fmt.Errorf("%w: no message_type", ErrMalformed)
	}
	return m, nil
}

// SessionOf decodes a welcome's or reconnect's session.
func (m Message) SessionOf() (Session, error) {
	var p struct {
		Session Session `json:"session"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Session.ID == "" {
		return Session{}, fmt.Errorf("%w: %s without a session", ErrMalformed, m.Metadata.MessageType)
	}
	return p.Session, nil
}

// NotificationOf decodes a notification's or revocation's payload.
func (m Message) NotificationOf() (Notification, error) {
	var n Notification
	if err := json.Unmarshal(m.Payload, &n); err != nil {
		return n, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if n.Subscription.Type == "" {
		n.Subscription.Type = m.Metadata.SubscriptionType
	}
	return n, nil
}
