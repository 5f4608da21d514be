package kinds

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestAlertsVariationsFirstMatchWins(t *testing.T) {
	b := newAlertBox(t, `{"duration":4,"gap":0,"animation":"fade","image_url":"https://cdn.example/default.gif","rules":[
		{"type":"cheer","min_amount":1000,"template":"{name} sent {amount} bits: {message}","sound_url":"https://cdn.example/big.mp3","duration":9,"animation":"bounce"},
		{"type":"cheer","template":"{name} cheered"},
		{"type":"sub","min_tier":3,"image_url":"https://cdn.example/t3.gif"},
		{"type":"resub","min_months":12,"template":"{name}: {months} months at tier {tier}!"},
		{"type":"any","min_amount":50,"template":"big {amount}"}
	]}`)
	for _, tc := range []struct {
		payload                        string
		text, image, sound, anim, rule string
		durationMs                     int64
	}{
		{`"type":"cheer","amount":5000,"message":"gg"`, "Kim sent 5000 bits: gg", "https://cdn.example/default.gif", "https://cdn.example/big.mp3", "bounce", "1", 9000},
		{`"type":"cheer","amount":999`, "Kim cheered", "https://cdn.example/default.gif", "", "fade", "2", 4000},
		{`"type":"sub","tier":"3000"`, "Kim just subscribed!", "https://cdn.example/t3.gif", "", "fade", "3", 4000},
		{`"type":"sub","tier":1`, "Kim just subscribed!", "https://cdn.example/default.gif", "", "fade", "0", 4000},
		{`"type":"resub","months":24,"tier":2`, "Kim: 24 months at tier 2!", "https://cdn.example/default.gif", "", "fade", "4", 4000},
		{`"type":"resub","months":3`, "Kim resubscribed for 3 months!", "https://cdn.example/default.gif", "", "fade", "0", 4000},
		{`"type":"tip","amount":50.5`, "big 50.50", "https://cdn.example/default.gif", "", "fade", "5", 4000},
		{`"type":"tip","amount":4.5`, "Kim tipped 4.50!", "https://cdn.example/default.gif", "", "fade", "0", 4000},
		{`"type":"gift_sub","amount":1`, "Kim gifted a sub!", "https://cdn.example/default.gif", "", "fade", "0", 4000},
		{`"type":"raid","amount":0`, "Kim is raiding!", "https://cdn.example/default.gif", "", "fade", "0", 4000},
	} {
		b.must(0, "clear", "")
		b.must(0, "enqueue", `{"name":"Kim",`+tc.payload+`}`)
		sh := b.current()
		got := fmt.Sprintf("%s|%s|%s|%s|%d|%d", sh.Text, sh.ImageURL, sh.SoundURL, sh.Animation, sh.Variation, sh.DurationMs)
		want := fmt.Sprintf("%s|%s|%s|%s|%s|%d", tc.text, tc.image, tc.sound, tc.anim, tc.rule, tc.durationMs)
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.payload, got, want)
		}
	}
}

func TestAlertsTemplatesAreText(t *testing.T) {
	const tmpl = `<script>alert(1)</script> {{name}} {{.Name}} ${name} {name} & {message}`
	b := newAlertBox(t, `{"rules":[{"type":"any","template":`+mustString(t, tmpl)+`}]}`)
	var cfg AlertsConfig
	if err := json.Unmarshal(b.cfg, &cfg); err != nil || cfg.Rules[0].Template != tmpl {
		t.Fatalf("the template is not stored as written: %q %v", cfg.Rules[0].Template, err)
	}
	// A name and message that look like variables or markup stay as they are.
	b.must(0, "enqueue", `{"type":"tip","name":"{message}<img src=x onerror=alert(1)>","message":"{name}","amount":1}`)
	want := `<script>alert(1)</script> {{message}<img src=x onerror=alert(1)>} {{.Name}} ${message}<img src=x onerror=alert(1)> {message}<img src=x onerror=alert(1)> & {name}`
	if got := b.current().Text; got != want {
		t.Fatalf("rendered\n %s\nwant\n %s", got, want)
	}
}

func TestAlertsConfigRefused(t *testing.T) {
	def := Erase[AlertsConfig, AlertsState](Alerts{})
	rule := func(fields string) string { return `{"rules":[{"type":"follow",` + fields + `}]}` }
	many := func(n int, item string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
	}
	for _, tc := range []struct{ name, patch, field string }{
		{"javascript: image", `{"image_url":"javascript:alert(1)"}`, "image_url"},
		{"data: sound", `{"sound_url":"data:audio/mp3;base64,AAAA"}`, "sound_url"},
		{"javascript: in a rule", rule(`"image_url":"JavaScript:alert(1)"`), "rules[0].image_url"},
		{"relative url", rule(`"sound_url":"/etc/passwd"`), "rules[0].sound_url"},
		{"unknown template variable", rule(`"template":"{user} followed"`), "unknown variable {user}"},
		{"template too long", rule(`"template":"` + strings.Repeat("x", maxAlertTemplateLen+1) + `"`), "rules[0].template"},
		{"too many rules", `{"rules":` + many(maxAlertRules+1, `{"type":"follow"}`) + `}`, "rules lists at most"},
		{"unknown rule type", rule(`"type":"bits"`), "rules[0].type"},
		{"unknown animation", `{"animation":"spin"}`, "animation"},
		{"unknown rule animation", rule(`"animation":"spin"`), "rules[0].animation"},
		{"rule tier", rule(`"min_tier":4`), "min_tier"},
		{"rule duration", rule(`"duration":0.01`), "rules[0].duration"},
		{"unknown bypass type", `{"bypass_types":["host"]}`, "bypass_types[0]"},
		{"duplicate bypass type", `{"bypass_types":["raid","raid"]}`, "twice"},
		{"too many bypass types", `{"bypass_types":` + many(10, `"raid"`) + `}`, "at most"},
		{"priority type", `{"priorities":[{"type":"hug","priority":1}]}`, "priorities[0]"},
		{"priority range", `{"priorities":[{"type":"raid","priority":1000}]}`, "priorities[0].priority"},
		{"duration range", `{"duration":0}`, "duration"},
		{"gap range", `{"gap":-1}`, "gap"},
		{"max_hold range", `{"max_hold":0}`, "max_hold"},
		{"volume", `{"volume":101}`, "volume"},
		{"wrong type", `{"duration":"6"}`, "duration"},
		{"unknown field", rule(`"html":"<b>"`), "html"},
		{"control characters in a template", rule(`"template":"a\u0000b"`), "control characters"},
		{"oversize config", `{"rules":` + many(maxAlertRules, `{"type":"any","image_url":"https://x.example/`+strings.Repeat("a", 2000)+`","sound_url":"https://x.example/`+strings.Repeat("b", 2000)+`","template":"`+strings.Repeat("<", 300)+`"}`) + `}`, "at most 64 KB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := def.MergeConfig(nil, json.RawMessage(tc.patch))
			if codeOf(err) != CodeInvalidConfig || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err = %v, want invalid_config naming %q", err, tc.field)
			}
		})
	}
	ok := `{"duration":0.1,"gap":0,"max_hold":600,"volume":0,"image_url":"http://192.168.1.20/a.gif","bypass_types":["raid","follow"],
		"priorities":[{"type":"raid","priority":100}],"rules":[{"type":"any","animation":"default","template":"{name} {amount} {message} {tier} {months} {{ }} <b>"},{"type":"sub","animation":"","duration":0}]}`
	if _, err := def.MergeConfig(nil, json.RawMessage(ok)); err != nil {
		t.Fatalf("a valid config refused: %v", err)
	}
}

func mustString(t *testing.T, s string) string {
	t.Helper()
	return string(mustJSON(t, s))
}
