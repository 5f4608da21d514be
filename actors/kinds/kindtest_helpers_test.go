package kinds

import (
	"encoding/json"
	"errors"
	"testing"
)

// step applies one action through the erased definition, as the grain does
// (payload text checks included), and decodes the next state into S.
func step[S any](t *testing.T, def Definition, cfg, state json.RawMessage, name, payload string, sec float64) (S, []Event, error) {
	t.Helper()
	var out S
	next, events, err := def.Apply(cfg, state, Action{Name: name, Payload: json.RawMessage(payload), By: By{Role: RoleOwner}}, at(sec))
	if err != nil {
		return out, nil, err
	}
	if err := json.Unmarshal(next, &out); err != nil {
		t.Fatalf("%s: state %s: %v", name, next, err)
	}
	return out, events, nil
}

func mustConfig(t *testing.T, def Definition, patch string) json.RawMessage {
	t.Helper()
	cfg, err := def.MergeConfig(nil, json.RawMessage(patch))
	if err != nil {
		t.Fatalf("config %s: %v", patch, err)
	}
	return cfg
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func codeOf(err error) string {
	var ke *Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	return ""
}
