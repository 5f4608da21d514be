package kinds

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestEveryKindIsFullyDeclared checks what the console and the overlay rely
// on for every shipped kind, so a new kind is one Go file and one render module.
func TestEveryKindIsFullyDeclared(t *testing.T) {
	r := Default()
	for _, info := range r.Infos() {
		t.Run(info.Type, func(t *testing.T) {
			checkObjectSchema(t, "config", info.ConfigSchema)
			props := info.ConfigSchema["properties"].(map[string]any)
			for _, f := range appearanceOrder {
				if props[f] == nil {
					t.Errorf("config has no appearance field %q (use withAppearance and embed Appearance)", f)
				}
			}
			var defaults map[string]any
			if err := json.Unmarshal(info.DefaultConfig, &defaults); err != nil {
				t.Fatalf("default config: %v", err)
			}
			for name := range defaults {
				if props[name] == nil && name != "timerId" {
					t.Errorf("config field %q is not in the schema (the console could not edit it)", name)
				}
			}
			seen := map[string]bool{}
			for _, a := range info.Actions {
				if a.Name == "" || a.Label == "" || seen[a.Name] {
					t.Errorf("action %+v: empty or duplicate name/label", a)
				}
				seen[a.Name] = true
				if a.PayloadSchema != nil {
					checkObjectSchema(t, "action "+a.Name, a.PayloadSchema)
				}
				if a.Rate.PerSecond < 0 || (a.Rate.PerSecond > 0 && a.Rate.Burst < 1) {
					t.Errorf("action %s: rate %+v", a.Name, a.Rate)
				}
			}
			module := filepath.Join("..", "..", "overlays", "static", "js", "render", info.Type+".js")
			if _, err := os.Stat(module); err != nil {
				t.Errorf("no render module %s: %v", module, err)
			}
		})
	}
}

func checkObjectSchema(t *testing.T, what string, s map[string]any) {
	t.Helper()
	props, ok := s["properties"].(map[string]any)
	if s["type"] != "object" || !ok {
		t.Fatalf("%s schema is not an object with properties: %v", what, s)
	}
	order, _ := s["x-order"].([]string)
	for name, p := range props {
		ps, _ := p.(map[string]any)
		if ps["type"] == nil || ps["title"] == nil {
			t.Errorf("%s field %q has no type or title", what, name)
		}
		if !slices.Contains(order, name) {
			t.Errorf("%s field %q is missing from x-order", what, name)
		}
		if ps["type"] == "array" {
			if ps["maxItems"] == nil {
				t.Errorf("%s list %q has no maxItems", what, name)
			}
			if item, _ := ps["items"].(map[string]any); item["type"] == "object" {
				checkObjectSchema(t, what+" "+name, item)
			}
		}
	}
	required, _ := s["required"].([]string)
	for _, name := range required {
		if props[name] == nil {
			t.Errorf("%s requires %q, which it does not define", what, name)
		}
	}
}
