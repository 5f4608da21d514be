package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseWidgetBody feeds arbitrary REST bodies to parseWidgetBody: it
// never panics, refuses with a bodyError of a stable code, and what it
// accepts is one JSON object of known fields whose parsed values agree with
// the JSON and survive a re-encode unchanged. CI runs it briefly (.ci/test).
func FuzzParseWidgetBody(f *testing.F) {
	for _, s := range []string{
		`{"type":"countdown","title":"Starting soon","config":{"duration":300,"text":"brb"}}`,
		`{"type":"goal","active":false}`, `{"title":"x","version":3,"id":"w1","user_id":"alice","state":{}}`,
		`{"config":{}}`, `{}`, `[]`, `null`, `{"title":null}`, `{"config":[1]}`, `{"version":1.5}`,
		`{"unknown":1}`, `{"title":"a","title":"b"}`, ` {"active":true} `, `{"config":{"a":{"b":[1,2,{"c":null}]}}}`,
		`{"title":"\ud800"}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	codes := map[string]bool{CodeMalformedJSON: true, CodeInvalidField: true, CodeUnknownField: true}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := parseWidgetBody(raw)
		if err != nil {
			var be *bodyError
			if !errors.As(err, &be) || !codes[be.code] || be.msg == "" {
				t.Fatalf("body %q refused with %#v", raw, err)
			}
			return
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(bytes.TrimSpace(raw), &fields); err != nil || fields == nil {
			t.Fatalf("accepted %q: not a JSON object", raw)
		}
		for k := range fields {
			if !serverManaged[k] && k != "title" && k != "type" && k != "active" && k != "config" {
				t.Fatalf("accepted %q with unknown field %q", raw, k)
			}
			if _, ok := b.readOnly[k]; ok != serverManaged[k] {
				t.Fatalf("accepted %q: field %q read-only=%v, want %v", raw, k, ok, serverManaged[k])
			}
		}
		checkField(t, raw, fields, "title", b.Title)
		checkField(t, raw, fields, "type", b.Type)
		checkField(t, raw, fields, "active", b.Active)
		checkField(t, raw, fields, "version", b.Version)
		if c, ok := fields["config"]; ok != (b.Config != nil) {
			t.Fatalf("accepted %q: config present=%v, parsed=%v", raw, ok, b.Config != nil)
		} else if ok {
			var obj map[string]any
			if json.Unmarshal(c, &obj) != nil || obj == nil {
				t.Fatalf("accepted %q: config %s is not an object", raw, b.Config)
			}
		}
		// Re-encode what was parsed; parsing it again must give the same.
		again, err := json.Marshal(map[string]any{"title": b.Title, "type": b.Type, "active": b.Active, "config": b.Config, "version": b.Version})
		if err != nil {
			t.Fatalf("accepted %q: re-encode: %v", raw, err)
		}
		var m map[string]json.RawMessage
		_ = json.Unmarshal(again, &m)
		for k, v := range m {
			if string(v) == "null" {
				delete(m, k)
			}
		}
		again, _ = json.Marshal(m)
		b2, err := parseWidgetBody(again)
		if err != nil {
			t.Fatalf("accepted %q, refused its re-encoding %s: %v", raw, again, err)
		}
		b.readOnly, b2.readOnly = nil, nil
		if b.Config != nil {
			// Same JSON value (the re-encoding may escape differently).
			b.Config, b2.Config = canonicalJSON(t, b.Config), canonicalJSON(t, b2.Config)
		}
		if !reflect.DeepEqual(b, b2) {
			t.Fatalf("round trip changed %q: %+v -> %+v", raw, b, b2)
		}
	})
}

// checkField: a typed field is set exactly when the body has it, with the JSON's value.
func checkField[T any](t *testing.T, raw []byte, fields map[string]json.RawMessage, name string, got *T) {
	t.Helper()
	v, ok := fields[name]
	if ok != (got != nil) {
		t.Fatalf("accepted %q: %s present=%v, parsed=%v", raw, name, ok, got != nil)
	}
	if !ok {
		return
	}
	var want T
	if err := json.Unmarshal(v, &want); err != nil || !reflect.DeepEqual(want, *got) {
		t.Fatalf("accepted %q: %s parsed as %v, the JSON says %s", raw, name, *got, v)
	}
}

func canonicalJSON(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("config %q: %v", raw, err)
	}
	out, _ := json.Marshal(v)
	return out
}
