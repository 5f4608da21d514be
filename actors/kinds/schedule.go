package kinds

import (
	"slices"
	"time"
)

func init() { Register(Erase[ScheduleConfig, ScheduleState](Schedule{})) }

// ScheduleConfig is the schedule's config.
type ScheduleConfig struct {
	Title string `json:"title"`
	Shown int    `json:"shown"` // upcoming streams shown
	// AssumedLength ends a segment without an end this long after its start.
	AssumedLength int64 `json:"assumed_length"` // seconds
	Appearance
}

// Segment is one planned stream.
type Segment struct {
	ID       string     `json:"id"`
	Title    string     `json:"title"`
	Start    time.Time  `json:"start"`
	End      *time.Time `json:"end,omitempty"`
	Category string     `json:"category,omitempty"`
}

// ScheduleState is the planned streams, soonest first; past ones are dropped.
type ScheduleState struct {
	Segments []Segment `json:"segments"`
}

const maxSegments = 50

// Schedule is the stream schedule kind.
type Schedule struct {
	Plain[ScheduleConfig, ScheduleState]
}

func segmentSchema() map[string]any {
	return objectSchema([]string{"title", "start"}, map[string]any{
		"id":       stringSchema("Id (optional)", 100),
		"title":    stringSchema("Title", 140),
		"start":    timeSchema("Starts"),
		"end":      timeSchema("Ends (optional)"),
		"category": stringSchema("Category", 100),
	}, "title", "start", "end", "category", "id")
}

// Info implements Kind.
func (Schedule) Info() Info {
	return Info{
		Type: "schedule", Name: "Schedule", Description: "Upcoming streams with title, start and category; the next one highlighted, past ones dropped.",
		ConfigSchema: withAppearance(objectSchema([]string{}, map[string]any{
			"title":          stringSchema("Title (shown on stream)", 200),
			"shown":          intSchema("Streams shown", 1, 10),
			"assumed_length": described(durationSchema("Length of a stream without an end", 24*3600), "A stream without an end time leaves the schedule this long after it starts."),
		}, "title", "shown", "assumed_length")),
		Actions: []ActionSpec{
			{Name: "add", Label: "Add a stream", PayloadSchema: segmentSchema()},
			{Name: "remove", Label: "Remove a stream", PayloadSchema: objectSchema([]string{"id"}, map[string]any{"id": stringSchema("Id", 100)})},
			{Name: "set_schedule", Label: "Replace the schedule", Hidden: true, PayloadSchema: objectSchema([]string{"segments"}, map[string]any{
				"segments": listSchema("Streams", maxSegments, segmentSchema()),
			})},
		},
	}
}

// Defaults implements Kind.
func (Schedule) Defaults() ScheduleConfig {
	a := DefaultAppearance()
	a.FontSize, a.Align = 24, "left"
	return ScheduleConfig{Title: "Schedule", Shown: 3, AssumedLength: 4 * 3600, Appearance: a}
}

// Validate implements Kind.
func (Schedule) Validate(c ScheduleConfig) error {
	switch {
	case c.Shown < 1 || c.Shown > 10:
		return InvalidConfig("shown must be between 1 and 10")
	case c.AssumedLength < 1 || c.AssumedLength > 24*3600:
		return InvalidConfig("assumed_length must be between 1 second and 24 hours")
	case len([]rune(c.Title)) > 200:
		return InvalidConfig("title must be at most 200 characters")
	}
	return c.Appearance.Validate()
}

// Initial implements Kind.
func (Schedule) Initial(ScheduleConfig, time.Time) ScheduleState {
	return ScheduleState{Segments: []Segment{}}
}

// Apply implements Kind.
func (k Schedule) Apply(c ScheduleConfig, s ScheduleState, a Action, now time.Time) (ScheduleState, []Event, error) {
	switch a.Name {
	case "add":
		var seg Segment
		if err := DecodeStrict(orEmpty(a.Payload), &seg); err != nil {
			return s, nil, InvalidPayload("add: %v", err)
		}
		if seg.ID == "" {
			seg.ID = seg.Start.UTC().Format(time.RFC3339) // one stream per start time
		}
		segs := slices.DeleteFunc(slices.Clone(s.Segments), func(x Segment) bool { return x.ID == seg.ID })
		return k.store(c, append(segs, seg), now)
	case "remove":
		var p struct {
			ID string `json:"id"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil || p.ID == "" {
			return s, nil, InvalidPayload("remove needs the stream's id")
		}
		s.Segments = slices.DeleteFunc(slices.Clone(s.Segments), func(x Segment) bool { return x.ID == p.ID })
		return s, nil, nil
	case "set_schedule":
		var p struct {
			Segments []Segment `json:"segments"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, nil, InvalidPayload("set_schedule: %v", err)
		}
		if p.Segments == nil {
			return s, nil, InvalidPayload("set_schedule needs segments (a list, possibly empty)")
		}
		return k.store(c, p.Segments, now)
	default:
		return s, nil, UnknownAction("schedule", a.Name)
	}
}

// store validates segments, drops past ones and sorts the rest by start.
func (Schedule) store(c ScheduleConfig, segs []Segment, now time.Time) (ScheduleState, []Event, error) {
	if len(segs) > maxSegments {
		return ScheduleState{}, nil, InvalidPayload("a schedule holds at most %d streams", maxSegments)
	}
	seen := map[string]bool{}
	for i, seg := range segs {
		if seg.ID == "" {
			seg.ID = seg.Start.UTC().Format(time.RFC3339)
			segs[i] = seg
		}
		switch {
		case seen[seg.ID]:
			return ScheduleState{}, nil, InvalidPayload("stream id %q appears twice", seg.ID)
		case seg.Start.IsZero():
			return ScheduleState{}, nil, InvalidPayload("every stream needs a start time (RFC 3339)")
		case seg.End != nil && !seg.End.After(seg.Start):
			return ScheduleState{}, nil, InvalidPayload("a stream must end after it starts")
		}
		seen[seg.ID] = true
		for _, f := range []struct {
			name, v  string
			max      int
			required bool
		}{{"id", seg.ID, 100, true}, {"title", seg.Title, 140, true}, {"category", seg.Category, 100, false}} {
			if err := textField(f.name, f.v, f.max, f.required); err != nil {
				return ScheduleState{}, nil, err
			}
		}
	}
	out := upcoming(c, segs, now)
	return ScheduleState{Segments: out}, nil, nil
}

// upcoming drops past segments and sorts the rest, soonest first.
func upcoming(c ScheduleConfig, segs []Segment, now time.Time) []Segment {
	out := make([]Segment, 0, len(segs))
	for _, seg := range segs {
		if endOf(c, seg).After(now) {
			seg.Start = seg.Start.UTC()
			if seg.End != nil {
				end := seg.End.UTC()
				seg.End = &end
			}
			out = append(out, seg)
		}
	}
	slices.SortStableFunc(out, func(a, b Segment) int { return a.Start.Compare(b.Start) })
	return out
}

func endOf(c ScheduleConfig, seg Segment) time.Time {
	if seg.End != nil {
		return *seg.End
	}
	return seg.Start.Add(time.Duration(c.AssumedLength) * time.Second)
}

// Settle implements Kind: a stream that is over leaves the schedule.
func (Schedule) Settle(c ScheduleConfig, s ScheduleState, now time.Time) (ScheduleState, []Event, bool) {
	next := upcoming(c, s.Segments, now)
	if len(next) == len(s.Segments) {
		return s, nil, false
	}
	return ScheduleState{Segments: next}, nil, true
}

// Timer implements Kind: wake when the next stream is over.
func (Schedule) Timer(c ScheduleConfig, s ScheduleState, _ time.Time) Timer {
	var first time.Time
	for _, seg := range s.Segments {
		if end := endOf(c, seg); first.IsZero() || end.Before(first) {
			first = end
		}
	}
	return Timer{At: first}
}

// Reconfigure implements Kind: a new assumed length applies on the next settle.
func (Schedule) Reconfigure(_, _ ScheduleConfig, s ScheduleState, _ time.Time) ScheduleState {
	return s
}
