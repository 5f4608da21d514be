package kinds

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
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

// TestPayloadTextFastPathMissesNoControlCharacter: payloads skip the full
// decode when no string can hold a control character; every way one can
// be written in JSON (escaped, DEL, C1) still goes through it and is refused.
func TestPayloadTextFastPathMissesNoControlCharacter(t *testing.T) {
	refused := []string{
		`{"text":"a\u0007b"}`, `{"text":"a\u001bb"}`, `{"text":"a\u0000"}`, `{"text":"\r"}`,
		"{\"text\":\"a\x7fb\"}", "{\"text\":\"a\u0085b\"}", `{"list":["ok","\u009b"]}`,
	}
	for _, p := range refused {
		if err := checkPayloadText(json.RawMessage(p)); err == nil {
			t.Errorf("%s: accepted, want refused", p)
		}
	}
	allowed := []string{`{"value":42}`, `{"text":"line\nbreak\ttab"}`, `{"text":"héllo ✓ 日本"}`, `{"by":-1.5e3}`}
	for _, p := range allowed {
		if err := checkPayloadText(json.RawMessage(p)); err != nil {
			t.Errorf("%s: %v, want accepted", p, err)
		}
	}
}

// TestConfigCacheOnlyForValueConfigs: decoded configs are shared between
// widgets only when a copy cannot alias the cached one.
func TestConfigCacheOnlyForValueConfigs(t *testing.T) {
	if newConfigCache[GoalConfig]() == nil {
		t.Error("goal config (strings and numbers) is not cached")
	}
	if newConfigCache[AlertsConfig]() != nil || newConfigCache[PollConfig]() != nil {
		t.Error("a config with slices is cached: a kind changing its copy would change every widget's")
	}
	goal, _ := Default().Lookup("goal")
	cfg := json.RawMessage(`{"title":"A","target":10,"unit":"","source":"manual","font_family":"Inter","font_size":32,"text_color":"#ffffff","accent_color":"#9147ff","align":"center","outline":true}`)
	for range 2 { // the second from the cache
		view, err := goal.View(cfg, json.RawMessage(`{"current":3}`), time.Now())
		if err != nil || string(view) != `{"current":3}` {
			t.Fatalf("view %s (%v)", view, err)
		}
	}
	if _, err := goal.View(json.RawMessage(`{"target":`), json.RawMessage(`{}`), time.Now()); err == nil {
		t.Error("a corrupt config read without error")
	}
}
