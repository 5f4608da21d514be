package kinds

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRegistryRefusesDuplicates(t *testing.T) {
	if _, err := NewRegistry(Erase[GoalConfig, GoalState](Goal{}), Erase[GoalConfig, GoalState](Goal{})); err == nil {
		t.Fatal("duplicate kind accepted")
	}
}

// TestEveryKindContract runs the generic contract over every shipped kind.
func TestEveryKindContract(t *testing.T) {
	r := Default()
	for _, info := range r.Infos() {
		t.Run(info.Type, func(t *testing.T) {
			def, _ := r.Lookup(info.Type)
			cfg, err := def.MergeConfig(nil, nil)
			if err != nil {
				t.Fatalf("default config is invalid: %v", err)
			}
			state, err := def.InitialState(cfg, t0)
			if err != nil || !json.Valid(state) {
				t.Fatalf("initial state: %s %v", state, err)
			}
			if len(info.Actions) == 0 || info.Name == "" || info.ConfigSchema["properties"] == nil {
				t.Fatalf("kind is not fully described: %+v", info)
			}
			for _, a := range info.Actions {
				// Any action with a garbage payload is refused with a clear code, state untouched.
				_, _, err := def.Apply(cfg, state, Action{Name: a.Name, Payload: json.RawMessage(`{"nonsense":true}`), By: By{Role: RoleOwner}}, t0)
				if err == nil || !strings.Contains(err.Error(), CodeInvalidPayload) {
					t.Errorf("%s with a garbage payload: err = %v", a.Name, err)
				}
			}
			if _, _, err := def.Apply(cfg, state, Action{Name: "no-such-action"}, t0); err == nil {
				t.Error("unknown action accepted")
			}
			if _, _, err := def.Apply(cfg, json.RawMessage(`"corrupt"`), Action{Name: info.Actions[0].Name}, t0); err == nil {
				t.Error("corrupt stored state accepted")
			}
		})
	}
}
