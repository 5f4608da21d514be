package kinds

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestConfigTextRefusesControlCharacters: every kind's string settings
// refuse NULs and escapes (they would reach the stream), keep line breaks.
func TestConfigTextRefusesControlCharacters(t *testing.T) {
	r := Default()
	checked := 0
	for _, info := range r.Infos() {
		def, _ := r.Lookup(info.Type)
		props, _ := info.ConfigSchema["properties"].(map[string]any)
		for name, schema := range props {
			if s, _ := schema.(map[string]any); s["type"] != "string" || s["enum"] != nil {
				continue
			}
			checked++
			for _, bad := range []string{"a\x00b", "bell\x07", "esc\x1b[31m"} {
				patch, _ := json.Marshal(map[string]string{name: bad})
				if _, err := def.MergeConfig(nil, patch); err == nil || !strings.Contains(err.Error(), CodeInvalidConfig) {
					t.Errorf("%s.%s = %q: err = %v, want %s", info.Type, name, bad, err, CodeInvalidConfig)
				}
			}
			patch, _ := json.Marshal(map[string]string{name: "two\nlines"})
			if _, err := def.MergeConfig(nil, patch); err != nil && strings.Contains(err.Error(), "control") {
				t.Errorf("%s.%s: a line break was refused: %v", info.Type, name, err)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("only %d string settings checked: the schema walk is looking in the wrong place", checked)
	}
}

func TestUnknownConfigFieldsAreNamedPlainly(t *testing.T) {
	def, _ := Default().Lookup("goal")
	_, err := def.MergeConfig(nil, json.RawMessage(`{"color":"red"}`))
	if err == nil || strings.Contains(err.Error(), "json:") || !strings.Contains(err.Error(), `"color"`) {
		t.Fatalf("unknown field: %v, want it named without Go's wording", err)
	}
}
