package kinds

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
)

// The alert box: a persisted queue (alerts_queue.go) of follow, sub, cheer,
// raid, tip… alerts, shown one at a time by the OBS view, which acknowledges
// each alert "shown" and "ended"; variations (alerts_text.go) pick each
// alert's text, image, sound, duration and animation.

func init() { Register(Erase[AlertsConfig, AlertsState](Alerts{})) }

// AlertRule is one variation: the first rule an alert matches decides how it
// looks. Empty fields fall back to the widget's defaults.
type AlertRule struct {
	Type      string  `json:"type"`       // "any" or an alert type
	MinAmount float64 `json:"min_amount"` // bits, viewers, gifted subs, money; 0: any
	MinTier   int     `json:"min_tier"`   // 0: any
	MinMonths int     `json:"min_months"` // 0: any
	Template  string  `json:"template"`   // "": the type's built-in text
	ImageURL  string  `json:"image_url"`
	SoundURL  string  `json:"sound_url"`
	Duration  float64 `json:"duration"`  // seconds; 0: the widget's
	Animation string  `json:"animation"` // "default": the widget's
}

// AlertPriority ranks an alert type in the queue: higher goes first.
type AlertPriority struct {
	Type     string `json:"type"`
	Priority int    `json:"priority"`
}

// AlertsConfig is the alert box's config.
type AlertsConfig struct {
	Duration    float64         `json:"duration"` // seconds on screen (default 6)
	Gap         float64         `json:"gap"`      // seconds between two queued alerts (default 1)
	MaxHold     int64           `json:"max_hold"` // seconds an alert waits for an OBS view to show it (default 10)
	Animation   string          `json:"animation"`
	ImageURL    string          `json:"image_url"`
	SoundURL    string          `json:"sound_url"`
	Volume      int             `json:"volume"` // percent (default 70)
	ShowMessage bool            `json:"show_message"`
	Rules       []AlertRule     `json:"rules"`
	BypassTypes []string        `json:"bypass_types"`
	Priorities  []AlertPriority `json:"priorities"`
	Appearance
}

// Limits of an alert box. The whole record (config, queue, log) stays well
// under DynamoDB's 400 KB item limit: config ≤ 64 KB, queue ≤ 160 KB, log ≤ 80 KB.
const (
	maxAlertRules       = 16
	maxAlertTemplateLen = 300
	maxAlertDuration    = 120.0 // seconds
	minAlertDuration    = 0.1
	maxAlertGap         = 60.0
	maxAlertHold        = 600 // seconds
	maxAlertPriority    = 100
	maxAlertAmount      = 1e9
	maxAlertMonths      = 1200
	maxAlertConfigBytes = 64 << 10
)

// AlertAnimations are the entrance/exit animations the overlay knows.
var AlertAnimations = []string{"slide_up", "slide_down", "fade", "zoom", "bounce", "none"}

// Alerts is the alert box kind.
type Alerts struct {
	Plain[AlertsConfig, AlertsState]
}

var _ Kind[AlertsConfig, AlertsState] = Alerts{}

// Info implements Kind.
func (Alerts) Info() Info {
	types := StreamEventTypes
	ruleTypes := append([]string{"any"}, types...)
	rule := objectSchema([]string{"type"}, map[string]any{
		"type":       enumSchema("Event type", ruleTypes...),
		"min_amount": described(numberSchema("Minimum amount", 0, maxAlertAmount), "Bits, viewers, gifted subs or money; 0 matches any."),
		"min_tier":   described(intSchema("Minimum tier", 0, 3), "0 matches any."),
		"min_months": described(intSchema("Minimum months", 0, maxAlertMonths), "For resubs; 0 matches any."),
		"template":   described(stringSchema("Text", maxAlertTemplateLen), "Variables: {name}, {amount}, {message}, {tier}, {months}. Empty: the built-in text. Shown as plain text."),
		"image_url":  urlSchema("Image or GIF (https link)"),
		"sound_url":  urlSchema("Sound (https link)"),
		"duration":   described(numberSchema("Duration (seconds)", 0, maxAlertDuration), "0: the widget's duration."),
		"animation":  enumSchema("Animation", append([]string{"default"}, AlertAnimations...)...),
	}, "type", "min_amount", "min_tier", "min_months", "template", "image_url", "sound_url", "duration", "animation")
	priority := objectSchema([]string{"type", "priority"}, map[string]any{
		"type":     enumSchema("Event type", types...),
		"priority": intSchema("Priority (higher first)", 0, maxAlertPriority),
	}, "type", "priority")
	ack := objectSchema([]string{"id"}, map[string]any{
		"id":  stringSchema("Alert id", maxAlertIDLen),
		"seq": intSchema("Play number", 1, math.MaxInt32),
	}, "id", "seq")
	ackRate := Rate{PerSecond: 30, Burst: 60}
	return Info{
		Type: "alerts", Name: "Alert Box",
		Description: "Follow, sub, cheer, raid and tip alerts, one at a time from a queue that survives reconnects and restarts; each alert's text, image, sound and animation from ordered rules.",
		ConfigSchema: withAppearance(objectSchema([]string{}, map[string]any{
			"duration":     numberSchema("Alert duration (seconds)", minAlertDuration, maxAlertDuration),
			"gap":          numberSchema("Gap between alerts (seconds)", 0, maxAlertGap),
			"max_hold":     described(intSchema("Wait for OBS at most (seconds)", 1, maxAlertHold), "An alert no OBS view shows within this time is skipped (and kept in the log to replay), so a closed OBS never stalls the queue."),
			"animation":    enumSchema("Animation", AlertAnimations...),
			"image_url":    urlSchema("Default image or GIF (https link)"),
			"sound_url":    urlSchema("Default sound (https link)"),
			"volume":       intSchema("Sound volume (%)", 0, 100),
			"show_message": boolSchema("Show the viewer's message"),
			"rules":        described(listSchema("Variations (first match wins)", maxAlertRules, rule), "Put higher thresholds first."),
			"bypass_types": described(listSchema("Bypass the queue", len(types), enumSchema("Event type", types...)), "These types show at once, even over another alert."),
			"priorities":   described(listSchema("Queue priorities", len(types), priority), "Types not listed have priority 0; equal priorities keep arrival order."),
		}, "duration", "gap", "max_hold", "animation", "image_url", "sound_url", "volume", "show_message", "rules", "bypass_types", "priorities")),
		Actions: []ActionSpec{
			{Name: "test", Label: "Test alert", PayloadSchema: objectSchema([]string{"type"}, map[string]any{
				"type": enumSchema("Event type", types...),
			}, "type")},
			{Name: "pause", Label: "Pause", ActiveWhen: &StateMatch{Field: "paused", Equals: true}},
			{Name: "resume", Label: "Resume", ActiveWhen: &StateMatch{Field: "paused", Equals: false}},
			{Name: "skip", Label: "Skip"},
			{Name: "clear", Label: "Clear queue"},
			{Name: "replay", Label: "Replay", PayloadSchema: objectSchema([]string{"id"}, map[string]any{
				"id": stringSchema("Alert id (from the log)", maxAlertIDLen),
			}, "id")},
			{Name: "enqueue", Label: "Add alert", Rate: Rate{PerSecond: 50, Burst: 500}, PayloadSchema: objectSchema([]string{"type", "name"}, map[string]any{
				"type":     enumSchema("Event type", types...),
				"name":     stringSchema("Name", maxAlertNameLen),
				"amount":   numberSchema("Amount", 0, maxAlertAmount),
				"tier":     described(intSchema("Tier", 0, 3), `Also accepts Twitch's "1000", "2000", "3000" and "prime".`),
				"months":   intSchema("Months", 0, maxAlertMonths),
				"message":  textSchema("Message", maxAlertMessageLen),
				"priority": intSchema("Priority (higher first)", 0, maxAlertPriority),
				"test":     boolSchema("Test alert"),
				"id":       described(stringSchema("Event id", maxAlertIDLen), "Alerts with an id already queued or in the log are ignored (redeliveries). Integrations must send one."),
			}, "type", "name", "amount", "tier", "months", "message", "priority", "test", "id")},
			{Name: "shown", Label: "Shown (OBS)", Access: AccessViewer, Hidden: true, Rate: ackRate, PayloadSchema: ack},
			{Name: "ended", Label: "Ended (OBS)", Access: AccessViewer, Hidden: true, Rate: ackRate, PayloadSchema: ack},
		},
	}
}

// Defaults implements Kind.
func (Alerts) Defaults() AlertsConfig {
	a := DefaultAppearance()
	a.FontSize = 40
	return AlertsConfig{Duration: 6, Gap: 1, MaxHold: 10, Animation: "slide_up", Volume: 70, ShowMessage: true,
		Rules: []AlertRule{}, BypassTypes: []string{}, Priorities: []AlertPriority{}, Appearance: a}
}

// Validate implements Kind.
func (Alerts) Validate(c AlertsConfig) error {
	switch {
	case !between(c.Duration, minAlertDuration, maxAlertDuration):
		return InvalidConfig("duration must be between %g and %g seconds", minAlertDuration, maxAlertDuration)
	case !between(c.Gap, 0, maxAlertGap):
		return InvalidConfig("gap must be between 0 and %g seconds", maxAlertGap)
	case c.MaxHold < 1 || c.MaxHold > maxAlertHold:
		return InvalidConfig("max_hold must be between 1 and %d seconds", maxAlertHold)
	case !slices.Contains(AlertAnimations, c.Animation):
		return InvalidConfig("animation must be one of %v", AlertAnimations)
	case c.Volume < 0 || c.Volume > 100:
		return InvalidConfig("volume must be between 0 and 100")
	case len(c.Rules) > maxAlertRules:
		return InvalidConfig("rules lists at most %d variations", maxAlertRules)
	case len(c.BypassTypes) > len(StreamEventTypes):
		return InvalidConfig("bypass_types lists at most %d types", len(StreamEventTypes))
	case len(c.Priorities) > len(StreamEventTypes):
		return InvalidConfig("priorities lists at most %d types", len(StreamEventTypes))
	}
	if err := checkURL("image_url", c.ImageURL); err != nil {
		return err
	}
	if err := checkURL("sound_url", c.SoundURL); err != nil {
		return err
	}
	for i, r := range c.Rules {
		if err := r.validate(i); err != nil {
			return err
		}
	}
	for i, t := range c.BypassTypes {
		if !slices.Contains(StreamEventTypes, t) {
			return InvalidConfig("bypass_types[%d]: unknown event type %q (one of %v)", i, t, StreamEventTypes)
		}
		if slices.Index(c.BypassTypes, t) != i {
			return InvalidConfig("bypass_types lists %q twice", t)
		}
	}
	for i, p := range c.Priorities {
		if !slices.Contains(StreamEventTypes, p.Type) {
			return InvalidConfig("priorities[%d]: unknown event type %q (one of %v)", i, p.Type, StreamEventTypes)
		}
		if slices.IndexFunc(c.Priorities, func(q AlertPriority) bool { return q.Type == p.Type }) != i {
			return InvalidConfig("priorities lists %q twice", p.Type)
		}
		if p.Priority < 0 || p.Priority > maxAlertPriority {
			return InvalidConfig("priorities[%d].priority must be between 0 and %d", i, maxAlertPriority)
		}
	}
	if raw, err := json.Marshal(c); err != nil || len(raw) > maxAlertConfigBytes {
		return InvalidConfig("the alert box's config must be at most %d KB", maxAlertConfigBytes>>10)
	}
	return c.Appearance.Validate()
}

func (r AlertRule) validate(i int) error {
	switch {
	case r.Type != "" && r.Type != "any" && !slices.Contains(StreamEventTypes, r.Type):
		return InvalidConfig("rules[%d].type: unknown event type %q (any, or one of %v)", i, r.Type, StreamEventTypes)
	case !between(r.MinAmount, 0, maxAlertAmount):
		return InvalidConfig("rules[%d].min_amount must be between 0 and %g", i, maxAlertAmount)
	case r.MinTier < 0 || r.MinTier > 3:
		return InvalidConfig("rules[%d].min_tier must be between 0 and 3", i)
	case r.MinMonths < 0 || r.MinMonths > maxAlertMonths:
		return InvalidConfig("rules[%d].min_months must be between 0 and %d", i, maxAlertMonths)
	case r.Duration != 0 && !between(r.Duration, minAlertDuration, maxAlertDuration):
		return InvalidConfig("rules[%d].duration must be 0 (the widget's) or between %g and %g seconds", i, minAlertDuration, maxAlertDuration)
	case r.Animation != "" && r.Animation != "default" && !slices.Contains(AlertAnimations, r.Animation):
		return InvalidConfig("rules[%d].animation must be default or one of %v", i, AlertAnimations)
	}
	if err := checkTemplate(r.Template); err != nil {
		return InvalidConfig("rules[%d].template: %s", i, err.Error())
	}
	if err := checkURL("rules["+strconv.Itoa(i)+"].image_url", r.ImageURL); err != nil {
		return err
	}
	return checkURL("rules["+strconv.Itoa(i)+"].sound_url", r.SoundURL)
}

// between is lo <= x <= hi for a finite x.
func between(x, lo, hi float64) bool {
	return !math.IsNaN(x) && !math.IsInf(x, 0) && x >= lo && x <= hi
}

// Initial implements Kind.
func (Alerts) Initial(AlertsConfig, time.Time) AlertsState {
	return AlertsState{Status: AlertsIdle, Showing: []ShownAlert{}}
}
