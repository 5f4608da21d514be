package kinds

import (
	"time"
)

func init() { Register(Erase[StatsConfig, StatsState](Stats{})) }

// StatsConfig is the stream stats' config: which figures to show.
type StatsConfig struct {
	Title           string `json:"title"`
	ShowViewers     bool   `json:"show_viewers"`
	ShowFollowers   bool   `json:"show_followers"`
	ShowSubscribers bool   `json:"show_subscribers"`
	ShowUptime      bool   `json:"show_uptime"`
	Appearance
}

// StatsState is the latest figures. Uptime is not stored: the overlay
// counts it from StartedAt with the server-corrected clock while Live.
type StatsState struct {
	Viewers     int64      `json:"viewers"`
	Followers   int64      `json:"followers"`
	Subscribers int64      `json:"subscribers"`
	Live        bool       `json:"live"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
}

const maxStat = 1_000_000_000

// Stats is the stream stats kind.
type Stats struct{ Plain[StatsConfig, StatsState] }

// Info implements Kind.
func (Stats) Info() Info {
	return Info{
		Type: "stats", Name: "Stream Stats", Description: "Viewers, followers, subscribers and uptime since going live.",
		ConfigSchema: withAppearance(objectSchema([]string{}, map[string]any{
			"title":            stringSchema("Title (shown on stream)", 200),
			"show_viewers":     boolSchema("Show viewers"),
			"show_followers":   boolSchema("Show followers"),
			"show_subscribers": boolSchema("Show subscribers"),
			"show_uptime":      boolSchema("Show uptime"),
		}, "title", "show_viewers", "show_followers", "show_subscribers", "show_uptime")),
		Actions: []ActionSpec{
			{Name: "set", Label: "Set figures", PayloadSchema: objectSchema([]string{}, map[string]any{
				"viewers":     intSchema("Viewers", 0, maxStat),
				"followers":   intSchema("Followers", 0, maxStat),
				"subscribers": intSchema("Subscribers", 0, maxStat),
				"live":        boolSchema("Live"),
				"started_at":  timeSchema("Live since"),
			}, "viewers", "followers", "subscribers", "live", "started_at")},
			{Name: "go_live", Label: "Go live", ActiveWhen: &StateMatch{Field: "live", Equals: true}},
			{Name: "go_offline", Label: "Go offline", ActiveWhen: &StateMatch{Field: "live", Equals: false}},
		},
	}
}

// Defaults implements Kind.
func (Stats) Defaults() StatsConfig {
	a := DefaultAppearance()
	a.FontSize = 28
	return StatsConfig{ShowViewers: true, ShowFollowers: true, ShowSubscribers: true, ShowUptime: true, Appearance: a}
}

// Validate implements Kind.
func (Stats) Validate(c StatsConfig) error {
	if len([]rune(c.Title)) > 200 {
		return InvalidConfig("title must be at most 200 characters")
	}
	return c.Appearance.Validate()
}

// Initial implements Kind.
func (Stats) Initial(StatsConfig, time.Time) StatsState { return StatsState{} }

// Apply implements Kind.
func (Stats) Apply(_ StatsConfig, s StatsState, a Action, now time.Time) (StatsState, []Event, error) {
	switch a.Name {
	case "set":
		var p struct {
			Viewers     *int64     `json:"viewers"`
			Followers   *int64     `json:"followers"`
			Subscribers *int64     `json:"subscribers"`
			Live        *bool      `json:"live"`
			StartedAt   *time.Time `json:"started_at"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, nil, InvalidPayload("set: %v", err)
		}
		for name, v := range map[string]*int64{"viewers": p.Viewers, "followers": p.Followers, "subscribers": p.Subscribers} {
			if v != nil && (*v < 0 || *v > maxStat) {
				return s, nil, InvalidPayload("%s must be between 0 and %d", name, maxStat)
			}
		}
		if p.StartedAt != nil && p.StartedAt.After(now.Add(time.Minute)) {
			return s, nil, InvalidPayload("started_at is in the future")
		}
		s = setIf(s, p.Viewers, func(s *StatsState, v int64) { s.Viewers = v })
		s = setIf(s, p.Followers, func(s *StatsState, v int64) { s.Followers = v })
		s = setIf(s, p.Subscribers, func(s *StatsState, v int64) { s.Subscribers = v })
		if p.Live != nil {
			s = liveAt(s, *p.Live, now)
		}
		if p.StartedAt != nil {
			at := p.StartedAt.UTC()
			s.StartedAt = &at
		}
		return s, nil, nil
	case "go_live", "go_offline":
		if err := noPayload(a); err != nil {
			return s, nil, err
		}
		return liveAt(s, a.Name == "go_live", now), nil, nil
	default:
		return s, nil, UnknownAction("stats", a.Name)
	}
}

func setIf(s StatsState, v *int64, set func(*StatsState, int64)) StatsState {
	if v != nil {
		set(&s, *v)
	}
	return s
}

// liveAt starts the uptime when the stream goes live (keeping a start it
// already has) and stops it when it ends.
func liveAt(s StatsState, live bool, now time.Time) StatsState {
	switch {
	case live && !s.Live:
		at := now.UTC()
		s.Live, s.StartedAt = true, &at
	case !live:
		s.Live, s.StartedAt, s.Viewers = false, nil, 0
	}
	return s
}
