package persistence

import (
	"encoding/json"
	"strconv"
	"time"
)

// AppendJSON appends rec as json.Marshal(rec) writes it, byte for byte when
// Config and State are compact JSON (stores and kinds write them so), and
// with extra appended as more fields before the closing brace (each
// starting with a comma; the bolt store adds its sealed token).
//
// Every action's reply and store write encodes a record: json.Marshal
// re-validated and re-compacted Config and State (already valid JSON) and
// walked the struct by reflection each time, a fifth of the action's CPU.
func AppendJSON(b []byte, rec Record, extra ...[]byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, rec.ID)
	b = append(b, `,"title":`...)
	b = appendString(b, rec.Title)
	b = append(b, `,"user_id":`...)
	b = appendString(b, rec.UserID)
	b = append(b, `,"type":`...)
	b = appendString(b, rec.Type)
	if rec.AccessToken != "" {
		b = append(b, `,"access_token":`...)
		b = appendString(b, rec.AccessToken)
	}
	b = append(b, `,"config":`...)
	b = appendRaw(b, rec.Config)
	b = append(b, `,"state":`...)
	b = appendRaw(b, rec.State)
	b = append(b, `,"active":`...)
	b = strconv.AppendBool(b, rec.Active)
	b = append(b, `,"created_at":`...)
	b = appendTime(b, rec.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, rec.UpdatedAt)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, rec.Version, 10)
	if rec.ControlTokenHash != "" {
		b = append(b, `,"control_token_hash":`...)
		b = appendString(b, rec.ControlTokenHash)
	}
	if rec.HasControlToken {
		b = append(b, `,"has_control_token":true`...)
	}
	if rec.ControlToken != "" {
		b = append(b, `,"control_token":`...)
		b = appendString(b, rec.ControlToken)
	}
	for _, e := range extra {
		b = append(b, e...)
	}
	return append(b, '}')
}

// appendRaw appends a JSON value as json.Marshal does a RawMessage: nil is null.
func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

// appendTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds); a year it refuses falls back to it, error and all ignored
// (such a time never reaches a record: records are stamped with the clock).
func appendTime(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		out, _ := json.Marshal(t)
		return append(b, out...)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString appends s quoted. Ids, types, tokens and most titles are
// plain printable ASCII that json.Marshal writes as is; anything else
// (non-ASCII, quotes, <, >, &, controls) goes through json.Marshal so its
// escaping stays exactly the standard library's.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			out, _ := json.Marshal(s)
			return append(b, out...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// AppendStringField appends `,"name":value` with value quoted, for
// AppendJSON's extra fields.
func AppendStringField(b []byte, name, value string) []byte {
	b = append(b, ',')
	b = appendString(b, name)
	b = append(b, ':')
	return appendString(b, value)
}
