package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"
)

// widgetBody is a create or update body after type checks.
type widgetBody struct {
	Title    *string
	Type     *string
	Config   json.RawMessage
	Active   *bool
	Version  *int64
	readOnly map[string]json.RawMessage // server-managed fields the client sent
}

// serverManaged fields are never taken from a client. On update, clients that
// echo a record back may send them: volatile ones are ignored, identity ones
// must match (checked by the handler), version is a precondition.
var serverManaged = map[string]bool{
	"id": true, "user_id": true, "access_token": true, "version": true,
	"created_at": true, "updated_at": true, "state": true,
	// A read says whether a control token is set; the token itself is in
	// the reply that issued it. Neither is changed by an update.
	"has_control_token": true, "control_token": true,
}

type bodyError struct{ code, msg string }

func (e *bodyError) Error() string { return e.msg }

// parseWidgetBody checks a body's shape: one JSON object, known fields, right types.
func parseWidgetBody(raw []byte) (widgetBody, error) {
	var b widgetBody
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !json.Valid(raw) {
		return b, &bodyError{CodeMalformedJSON, "the body is not valid JSON"}
	}
	// encoding/json would turn invalid UTF-8 into U+FFFD and store it.
	if !utf8.Valid(raw) {
		return b, &bodyError{CodeMalformedJSON, "the body is not valid UTF-8"}
	}
	if raw[0] != '{' {
		return b, &bodyError{CodeInvalidField, "the body must be one JSON object (create one widget per request)"}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return b, &bodyError{CodeMalformedJSON, "the body is not a JSON object"}
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names) // report the same field first every time
	b.readOnly = map[string]json.RawMessage{}
	for _, k := range names {
		v := fields[k]
		var err error
		switch {
		case k == "title":
			b.Title = new(string)
			err = decodeField(k, v, b.Title, "a string")
		case k == "type":
			b.Type = new(string)
			err = decodeField(k, v, b.Type, "a string")
		case k == "active":
			b.Active = new(bool)
			err = decodeField(k, v, b.Active, "a boolean")
		case k == "config":
			if t := bytes.TrimSpace(v); len(t) == 0 || t[0] != '{' {
				err = &bodyError{CodeInvalidField, "config must be an object"}
			}
			b.Config = v
		case k == "version":
			b.Version = new(int64)
			err = decodeField(k, v, b.Version, "an integer")
			b.readOnly[k] = v
		case serverManaged[k]:
			b.readOnly[k] = v
		default:
			err = &bodyError{CodeUnknownField, fmt.Sprintf("unknown field %q", k)}
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

func decodeField(name string, raw json.RawMessage, v any, want string) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || json.Unmarshal(raw, v) != nil {
		return &bodyError{CodeInvalidField, fmt.Sprintf("%s must be %s", name, want)}
	}
	return nil
}

// sameJSON reports whether a client-sent value equals the server's value.
func sameJSON(sent json.RawMessage, server any) bool {
	var a, b any
	if json.Unmarshal(sent, &a) != nil {
		return false
	}
	enc, err := json.Marshal(server)
	if err != nil || json.Unmarshal(enc, &b) != nil {
		return false
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}
