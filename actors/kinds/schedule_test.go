package kinds

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestScheduleTransitions(t *testing.T) {
	def := Erase[ScheduleConfig, ScheduleState](Schedule{})
	cfg := mustConfig(t, def, `{"assumed_length":3600}`)
	rfc := func(sec float64) string { return at(sec).Format(time.RFC3339) }
	s := mustJSON(t, ScheduleState{Segments: []Segment{}})
	st, _, err := step[ScheduleState](t, def, cfg, s, "set_schedule", fmt.Sprintf(`{"segments":[
		{"id":"late","title":"Late","start":%q,"category":"Chess"},
		{"id":"soon","title":"Soon","start":%q,"end":%q},
		{"id":"past","title":"Past","start":%q,"end":%q}]}`, rfc(7200), rfc(600), rfc(1800), rfc(-7200), rfc(-3600)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Segments) != 2 || st.Segments[0].ID != "soon" || st.Segments[1].ID != "late" {
		t.Fatalf("want upcoming only, soonest first: %+v", st.Segments)
	}
	// The grain wakes when the first stream is over and drops it.
	timer := def.Timer(cfg, mustJSON(t, st), at(0))
	if !timer.At.Equal(at(1800)) {
		t.Fatalf("wake at %v, want the end of the first stream %v", timer.At, at(1800))
	}
	next, _, changed, err := def.Settle(cfg, mustJSON(t, st), at(1801))
	if err != nil || !changed {
		t.Fatalf("settle after the first stream: changed=%v %v", changed, err)
	}
	if !strings.Contains(string(next), `"late"`) || strings.Contains(string(next), `"soon"`) {
		t.Fatalf("settled schedule %s", next)
	}
	added, _, err := step[ScheduleState](t, def, cfg, mustJSON(t, st), "add", fmt.Sprintf(`{"title":"Extra","start":%q}`, rfc(60)), 0)
	if err != nil || len(added.Segments) != 3 || added.Segments[0].Title != "Extra" {
		t.Fatalf("add: %+v %v", added.Segments, err)
	}
	removed, _, err := step[ScheduleState](t, def, cfg, mustJSON(t, added), "remove", `{"id":"late"}`, 0)
	if err != nil || len(removed.Segments) != 2 {
		t.Fatalf("remove: %+v %v", removed.Segments, err)
	}
	for name, payload := range map[string]string{
		"end before start": fmt.Sprintf(`{"segments":[{"title":"x","start":%q,"end":%q}]}`, rfc(100), rfc(50)),
		"no start":         `{"segments":[{"title":"x"}]}`,
		"no title":         fmt.Sprintf(`{"segments":[{"start":%q}]}`, rfc(100)),
		"duplicate ids":    fmt.Sprintf(`{"segments":[{"id":"a","title":"x","start":%q},{"id":"a","title":"y","start":%q}]}`, rfc(100), rfc(200)),
		"not a list":       `{"segments":{}}`,
	} {
		if _, _, err := step[ScheduleState](t, def, cfg, s, "set_schedule", payload, 0); codeOf(err) != CodeInvalidPayload {
			t.Errorf("%s: %v", name, err)
		}
	}
}
