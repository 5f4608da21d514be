package kinds

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestGoalTransitions(t *testing.T) {
	cfg := GoalConfig{Title: "Subs", Target: 50, Unit: "subs"}
	cases := []struct {
		name     string
		current  float64
		action   string
		payload  string
		want     float64
		wantCode string
	}{
		{"set", 3, "set", `{"value":12}`, 12, ""},
		{"increment", 3, "increment", `{"by":2.5}`, 5.5, ""},
		{"negative increment (refund)", 3, "increment", `{"by":-1}`, 2, ""},
		{"a refund below zero stops at zero", 3, "increment", `{"by":-8}`, 0, ""},
		{"set refuses a negative value", 3, "set", `{"value":-5}`, 3, CodeInvalidPayload},
		{"reset", 40, "reset", ``, 0, ""},
		{"set needs value", 3, "set", `{}`, 3, CodeInvalidPayload},
		{"set refuses strings", 3, "set", `{"value":"7"}`, 3, CodeInvalidPayload},
		{"increment refuses unknown fields", 3, "increment", `{"by":1,"x":2}`, 3, CodeInvalidPayload},
		{"increment past the range", 1e12, "increment", `{"by":1}`, 1e12, CodeRejected},
		{"unknown action", 3, "start", ``, 3, CodeUnknownAction},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := Goal{}.Apply(cfg, GoalState{Current: tc.current}, Action{Name: tc.action, Payload: json.RawMessage(tc.payload)}, t0)
			if tc.wantCode != "" {
				var ke *Error
				if !errors.As(err, &ke) || ke.Code != tc.wantCode {
					t.Fatalf("err = %v, want code %s", err, tc.wantCode)
				}
				return
			}
			if err != nil || got.Current != tc.want {
				t.Fatalf("current = %v (%v), want %v", got.Current, err, tc.want)
			}
		})
	}
}

func TestGoalConfigValidation(t *testing.T) {
	def := Erase[GoalConfig, GoalState](Goal{})
	for patch, ok := range map[string]bool{
		`{"target":10,"unit":"subs","title":"Sub goal"}`: true,
		`{"target":0}`:   false,
		`{"target":-5}`:  false,
		`{"target":"5"}`: false,
		`{"unit":"this unit name is far too long to fit"}`: false,
	} {
		if _, err := def.MergeConfig(nil, json.RawMessage(patch)); (err == nil) != ok {
			t.Errorf("%s: err = %v, want ok=%v", patch, err, ok)
		}
	}
}
