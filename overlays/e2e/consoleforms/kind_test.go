// Package consoleforms drives the manager console's generated forms in a real
// browser against a kind that uses every schema shape of docs/kinds.md. The
// kind exists only in this test binary (its own package, so no other browser
// test sees it among the shipped kinds). It starts a protoactor cluster
// in-process, so CI runs it without -race.
package consoleforms

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
)

func init() { kinds.Register(kinds.Erase[sinkConfig, sinkState](sink{})) }

type sinkRule struct {
	Label string  `json:"label"`
	Event string  `json:"event"`
	Min   float64 `json:"min"`
	Sound string  `json:"sound"`
	Hold  int64   `json:"hold"`
}

type sinkConfig struct {
	Title     string     `json:"title"`
	Message   string     `json:"message"`
	Color     string     `json:"color"`
	Link      string     `json:"link"`
	Starts    string     `json:"starts,omitempty"`
	Mode      string     `json:"mode"`
	Count     int64      `json:"count"`
	Ratio     float64    `json:"ratio"`
	Hold      int64      `json:"hold"`
	Loud      bool       `json:"loud"`
	Rules     []sinkRule `json:"rules"`
	Blocked   []string   `json:"blocked"`
	Types     []string   `json:"types"`
	FontSize  int        `json:"font_size"`
	TextColor string     `json:"text_color"`
}

type sinkState struct {
	Running bool            `json:"running"`
	Last    string          `json:"last"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// sink is the kitchen-sink kind: every control the console can draw.
type sink struct {
	kinds.Plain[sinkConfig, sinkState]
}

func obj(required []string, order []string, props map[string]any) map[string]any {
	return map[string]any{"type": "object", "required": required, "properties": props, "additionalProperties": false, "x-order": order}
}

func (sink) Info() kinds.Info {
	appearance := func(s map[string]any) map[string]any { s["x-group"] = "appearance"; return s }
	rule := obj([]string{"label"}, []string{"label", "event", "min", "sound", "hold"}, map[string]any{
		"label": map[string]any{"type": "string", "title": "Label", "maxLength": 50},
		"event": map[string]any{"type": "string", "title": "Event", "enum": []string{"follow", "gift_sub", "raid"}},
		"min":   map[string]any{"type": "number", "title": "Minimum amount", "minimum": 0, "maximum": 1000},
		"sound": map[string]any{"type": "string", "title": "Sound", "format": "uri", "maxLength": 200},
		"hold":  map[string]any{"type": "integer", "title": "Hold", "format": "duration", "minimum": 1, "maximum": 600},
	})
	rule["title"] = "Rule"
	return kinds.Info{
		Type: "sink", Name: "Kitchen sink", Description: "Every form control.",
		ConfigSchema: obj([]string{"count"},
			[]string{"title", "message", "color", "link", "starts", "mode", "count", "ratio", "hold", "loud", "rules", "blocked", "types", "font_size", "text_color"},
			map[string]any{
				"title":      map[string]any{"type": "string", "title": "Title (shown on stream)", "maxLength": 200},
				"message":    map[string]any{"type": "string", "title": "Message", "format": "textarea", "maxLength": 500, "description": "Two lines are fine."},
				"color":      map[string]any{"type": "string", "title": "Colour", "format": "color"},
				"link":       map[string]any{"type": "string", "title": "Link", "format": "uri", "maxLength": 200},
				"starts":     map[string]any{"type": "string", "title": "Starts", "format": "date-time"},
				"mode":       map[string]any{"type": "string", "title": "Mode", "enum": []string{"quiet", "loud_and_clear"}},
				"count":      map[string]any{"type": "integer", "title": "Count", "minimum": 0, "maximum": 10},
				"ratio":      map[string]any{"type": "number", "title": "Ratio", "minimum": 0, "maximum": 1},
				"hold":       map[string]any{"type": "integer", "title": "Hold", "format": "duration", "minimum": 1, "maximum": 86400},
				"loud":       map[string]any{"type": "boolean", "title": "Loud"},
				"rules":      map[string]any{"type": "array", "title": "Rules", "items": rule, "maxItems": 3},
				"blocked":    map[string]any{"type": "array", "title": "Blocked names", "items": map[string]any{"type": "string", "maxLength": 25}, "maxItems": 3},
				"types":      map[string]any{"type": "array", "title": "Types", "items": map[string]any{"type": "string", "enum": []string{"follow", "raid", "tip"}}, "maxItems": 3},
				"font_size":  appearance(map[string]any{"type": "integer", "title": "Font size (px)", "minimum": 8, "maximum": 200}),
				"text_color": appearance(map[string]any{"type": "string", "title": "Text colour", "format": "color"}),
			}),
		Actions: []kinds.ActionSpec{
			{Name: "start", Label: "Start", ActiveWhen: &kinds.StateMatch{Field: "running", Equals: true}},
			{Name: "stop", Label: "Stop", ActiveWhen: &kinds.StateMatch{Field: "running", Equals: false}},
			{Name: "note", Label: "Note", PayloadSchema: obj([]string{"text"}, []string{"text"}, map[string]any{
				"text": map[string]any{"type": "string", "title": "Note", "maxLength": 50},
			})},
			{Name: "announce", Label: "Announce", PayloadSchema: obj([]string{"text"}, []string{"text", "color", "seconds", "loud"}, map[string]any{
				"text":    map[string]any{"type": "string", "title": "Text", "maxLength": 50},
				"color":   map[string]any{"type": "string", "title": "Colour", "format": "color"},
				"seconds": map[string]any{"type": "integer", "title": "For", "format": "duration", "minimum": 1, "maximum": 3600},
				"loud":    map[string]any{"type": "boolean", "title": "Loud"},
			})},
			{Name: "feed", Label: "Feed", Hidden: true},
			{Name: "ack", Label: "Acknowledge", Access: kinds.AccessViewer},
		},
	}
}

func (sink) Defaults() sinkConfig {
	return sinkConfig{Title: "Sink", Color: "#00ff00", Mode: "quiet", Count: 1, Hold: 300, FontSize: 32, TextColor: "#ffffff",
		Rules: []sinkRule{{Label: "Follows", Event: "follow", Hold: 5}}}
}

func (sink) Validate(c sinkConfig) error {
	if c.Count < 0 || c.Count > 10 {
		return kinds.InvalidConfig("count must be between 0 and 10")
	}
	if c.FontSize < 8 || c.FontSize > 200 {
		return kinds.InvalidConfig("font_size must be between 8 and 200 (pixels)")
	}
	if c.Link != "" && !strings.HasPrefix(c.Link, "https://") {
		return kinds.InvalidConfig("link must be an https:// link")
	}
	if c.Starts != "" {
		if _, err := time.Parse(time.RFC3339, c.Starts); err != nil {
			return kinds.InvalidConfig("starts must be an RFC 3339 time")
		}
	}
	if len(c.Rules) > 3 || len(c.Blocked) > 3 {
		return kinds.InvalidConfig("rules and blocked take at most 3 items")
	}
	for i, r := range c.Rules {
		if strings.TrimSpace(r.Label) == "" {
			return kinds.InvalidConfig("rules[%d].label must not be empty", i)
		}
		if r.Sound != "" && !strings.HasPrefix(r.Sound, "https://") {
			return kinds.InvalidConfig("rules[%d].sound must be an https:// link", i)
		}
	}
	return nil
}

func (sink) Initial(sinkConfig, time.Time) sinkState { return sinkState{} }

func (sink) Apply(_ sinkConfig, s sinkState, a kinds.Action, _ time.Time) (sinkState, []kinds.Event, error) {
	switch a.Name {
	case "start", "stop":
		s.Running = a.Name == "start"
	case "note", "announce":
		var p struct {
			Text    string `json:"text"`
			Color   string `json:"color"`
			Seconds int64  `json:"seconds"`
			Loud    bool   `json:"loud"`
		}
		if err := kinds.DecodeStrict(a.Payload, &p); err != nil {
			return s, nil, kinds.InvalidPayload("%s: %v", a.Name, err)
		}
		if p.Text == "bad" {
			return s, nil, kinds.InvalidPayload("text must not be %q", p.Text)
		}
		s.Payload = append(json.RawMessage(nil), a.Payload...)
	case "feed", "ack":
	default:
		return s, nil, kinds.UnknownAction("sink", a.Name)
	}
	s.Last = a.Name
	return s, nil, nil
}
