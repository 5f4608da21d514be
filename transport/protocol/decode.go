package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Limits on client fields; a frame is at most MaxFrameBytes (enforced by the transport).
const (
	MaxFrameBytes   = 16 << 10
	maxTokenLen     = 8192
	maxWidgetIDLen  = 64
	maxActionLen    = 64
	maxRequestIDLen = 64
)

// DecodeError is a frame the server refuses, with a client-facing message.
type DecodeError struct {
	Message   string
	RequestID string // echoed if the frame had a usable one
}

func (e *DecodeError) Error() string { return e.Message }

// Decode parses and checks one client frame. It never panics and never
// returns a message with a missing or malformed required field.
func Decode(frame []byte) (ClientMessage, error) {
	var m ClientMessage
	frame = bytes.TrimSpace(frame)
	if len(frame) == 0 || frame[0] != '{' {
		return m, &DecodeError{Message: "a message must be one JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(frame))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return ClientMessage{}, &DecodeError{Message: "malformed message: " + describe(err)}
	}
	if dec.More() {
		return ClientMessage{}, &DecodeError{Message: "one JSON object per message"}
	}
	if len(m.RequestID) > maxRequestIDLen || !printable(m.RequestID) {
		return ClientMessage{}, &DecodeError{Message: "requestId must be at most 64 printable characters"}
	}
	fail := func(format string, args ...any) (ClientMessage, error) {
		return ClientMessage{}, &DecodeError{Message: fmt.Sprintf(format, args...), RequestID: m.RequestID}
	}
	switch m.Type {
	case TypeAuth:
		if m.Token == "" || len(m.Token) > maxTokenLen {
			return fail("AUTH needs a token")
		}
		if m.WidgetID != "" || m.Action != "" || m.Payload != nil {
			return fail("AUTH takes only token and requestId")
		}
	case TypeSubscribe, TypeUnsubscribe:
		if !validWidgetID(m.WidgetID) {
			return fail("%s needs a widgetId", m.Type)
		}
		if m.Token != "" || m.Action != "" || m.Payload != nil {
			return fail("%s takes only widgetId and requestId", m.Type)
		}
	case TypeAction:
		if !validWidgetID(m.WidgetID) {
			return fail("WIDGET_ACTION needs a widgetId")
		}
		if m.Action == "" || len(m.Action) > maxActionLen || !printable(m.Action) {
			return fail("WIDGET_ACTION needs an action name")
		}
		if m.Token != "" {
			return fail("WIDGET_ACTION takes no token")
		}
		if p := bytes.TrimSpace(m.Payload); len(p) > 0 && p[0] != '{' && !bytes.Equal(p, []byte("null")) {
			return fail("payload must be an object")
		}
	case "":
		return fail("the message has no type")
	default:
		return fail("unknown message type %q", truncate(m.Type))
	}
	return m, nil
}

func validWidgetID(id string) bool {
	if id == "" || len(id) > maxWidgetIDLen {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

func describe(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}
