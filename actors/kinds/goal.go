package kinds

import (
	"math"
	"slices"
	"strings"
	"time"
)

// GoalConfig is the goal bar's config.
type GoalConfig struct {
	Title  string  `json:"title"`
	Target float64 `json:"target"`
	Unit   string  `json:"unit"`
	// Source feeds the goal from a connected account (integrations): each
	// follow, sub or bit adds to it. "manual": only people change it.
	Source string `json:"source"`
	Appearance
}

// GoalSources are where a goal's progress may come from.
var GoalSources = []string{"manual", "twitch_follows", "twitch_subs", "twitch_bits"}

// GoalState is the goal bar's state.
type GoalState struct {
	Current float64 `json:"current"`
}

// maxGoalValue keeps values exact in float64 and sane on screen.
const maxGoalValue = 1e12

func init() { Register(Erase[GoalConfig, GoalState](Goal{})) }

// Goal is the goal bar kind.
type Goal struct{ Plain[GoalConfig, GoalState] }

var _ Kind[GoalConfig, GoalState] = Goal{}

// Info implements Kind.
func (Goal) Info() Info {
	return Info{
		Type: "goal", Name: "Goal Bar", Description: "A progress bar toward a target, with title and unit.",
		ConfigSchema: withAppearance(objectSchema([]string{"target"}, map[string]any{
			"title":  stringSchema("Title (shown on stream)", 200),
			"target": numberSchema("Target", 0, maxGoalValue),
			"unit":   stringSchema("Unit", 32),
			"source": described(enumSchema("Counts", GoalSources...), "manual: only you change it; twitch_*: each follow, sub or bit on your connected Twitch account adds to it."),
		}, "title", "target", "unit", "source")),
		Actions: []ActionSpec{
			{Name: "set", Label: "Set", PayloadSchema: objectSchema([]string{"value"}, map[string]any{
				"value": numberSchema("Value", 0, maxGoalValue),
			})},
			{Name: "increment", Label: "Add", PayloadSchema: objectSchema([]string{"by"}, map[string]any{
				"by": numberSchema("By", -maxGoalValue, maxGoalValue),
			})},
			{Name: "reset", Label: "Reset"},
		},
	}
}

// Defaults implements Kind.
func (Goal) Defaults() GoalConfig {
	return GoalConfig{Title: "Goal", Target: 100, Source: "manual", Appearance: DefaultAppearance()}
}

// Validate implements Kind.
func (Goal) Validate(c GoalConfig) error {
	switch {
	case !(c.Target > 0) || c.Target > maxGoalValue:
		return InvalidConfig("target must be greater than 0 and at most %g", maxGoalValue)
	case len([]rune(c.Title)) > 200:
		return InvalidConfig("title must be at most 200 characters")
	case len([]rune(c.Unit)) > 32:
		return InvalidConfig("unit must be at most 32 characters")
	case !slices.Contains(GoalSources, c.Source):
		return InvalidConfig("source must be one of %v", GoalSources)
	}
	return c.Appearance.Validate()
}

// Initial implements Kind.
func (Goal) Initial(GoalConfig, time.Time) GoalState { return GoalState{} }

// Apply implements Kind.
func (k Goal) Apply(_ GoalConfig, s GoalState, a Action, _ time.Time) (GoalState, []Event, error) {
	next, err := k.apply(s, a)
	if err != nil {
		return s, nil, err
	}
	return next, nil, nil
}

func (Goal) apply(s GoalState, a Action) (GoalState, error) {
	switch strings.TrimSpace(a.Name) {
	case "set":
		var p struct {
			Value *float64 `json:"value"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, InvalidPayload("set: %v", err)
		}
		if p.Value == nil || !inRange(*p.Value) || *p.Value < 0 {
			return s, InvalidPayload("set needs a number value from 0 to %g (progress toward a goal is never negative)", maxGoalValue)
		}
		s.Current = *p.Value
		return s, nil
	case "increment":
		var p struct {
			By *float64 `json:"by"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, InvalidPayload("increment: %v", err)
		}
		if p.By == nil || !inRange(*p.By) {
			return s, InvalidPayload("increment needs a number by between %g and %g", -maxGoalValue, maxGoalValue)
		}
		if !inRange(s.Current + *p.By) {
			return s, Rejected("the result would be out of range")
		}
		// A correction below zero stops at zero: the bar never shows "-5 / 10".
		s.Current = max(0, s.Current+*p.By)
		return s, nil
	case "reset":
		if err := noPayload(a); err != nil {
			return s, err
		}
		return GoalState{}, nil
	default:
		return s, UnknownAction("goal", a.Name)
	}
}

func inRange(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && math.Abs(v) <= maxGoalValue
}
