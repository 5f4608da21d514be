package kinds

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// errCode is the stable code of a kinds error ("" for nil or a foreign error).
func kerr(err error) string {
	var ke *Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	return ""
}

func evNames(evs []Event) string {
	var names []string
	for _, e := range evs {
		names = append(names, e.Name)
	}
	return strings.Join(names, ",")
}

func TestNowPlayingTransitions(t *testing.T) {
	cfg := NowPlaying{}.Defaults()
	song := Track{Title: "Lofi Nights", Artist: "Kim", Album: "Late", StartedAt: t0, DurationMs: 180_000, Source: "pretzel"}
	playing := NowPlayingState{Track: &song, Playing: true, Changes: 1}
	endedSong := song
	ended := NowPlayingState{Track: &endedSong, Ended: true, StoppedAt: at(180), Changes: 1}
	service := By{Role: RoleService, Service: "pretzel"}
	owner := By{Role: RoleOwner}
	cases := []struct {
		name     string
		state    NowPlayingState
		action   string
		payload  string
		by       By
		now      time.Time
		want     func(NowPlayingState) bool // nil: only the error is checked
		events   string
		wantCode string
	}{
		{"a person sets a track: it plays from now, source manual", NowPlayingState{}, "set_track", `{"title":"Intro","artist":"Me"}`, owner, at(5),
			func(s NowPlayingState) bool {
				return s.Playing && s.Track.StartedAt.Equal(at(5)) && s.Track.Source == "manual" && s.Changes == 1 && s.Track.DurationMs == 0
			}, "track_started", ""},
		{"an integration's source defaults to the service", NowPlayingState{}, "set_track", `{"title":"A","artist":"B","duration_ms":1000}`, service, at(0),
			func(s NowPlayingState) bool { return s.Track.Source == "pretzel" && s.Playing }, "track_started", ""},
		{"started_at and duration are kept", NowPlayingState{}, "set_track",
			`{"title":"A","artist":"B","album":"C","art_url":"https://cdn.example/a.jpg","started_at":"2026-11-23T19:59:30Z","duration_ms":200000,"source":"spotify"}`, service, at(0),
			func(s NowPlayingState) bool {
				e, _ := s.Track.End()
				return s.Playing && s.Track.StartedAt.Equal(at(-30)) && e.Equal(at(170)) && s.Track.ArtURL == "https://cdn.example/a.jpg" && s.Track.Source == "spotify"
			}, "track_started", ""},
		{"the same song polled again changes nothing (no jump back)", playing, "set_track", `{"title":"Lofi Nights","artist":"Kim","album":"Late","source":"pretzel","duration_ms":180000}`, service, at(60),
			func(s NowPlayingState) bool { return s.Playing && s.Track.StartedAt.Equal(t0) && s.Changes == 1 }, "", ""},
		{"a started_at wobbling by the poll's latency changes nothing", playing, "set_track", `{"title":"Lofi Nights","artist":"Kim","album":"Late","source":"pretzel","duration_ms":180000,"started_at":"2026-11-23T20:00:01.5Z"}`, service, at(60),
			func(s NowPlayingState) bool { return s.Track.StartedAt.Equal(t0) && s.Changes == 1 }, "", ""},
		{"a seek (started_at far off) restarts the progress", playing, "set_track", `{"title":"Lofi Nights","artist":"Kim","album":"Late","source":"pretzel","duration_ms":180000,"started_at":"2026-11-23T20:00:30Z"}`, service, at(60),
			func(s NowPlayingState) bool { return s.Track.StartedAt.Equal(at(30)) && s.Changes == 2 }, "track_started", ""},
		{"new art for the same song updates it in place", playing, "set_track", `{"title":"Lofi Nights","artist":"Kim","album":"Late","source":"pretzel","duration_ms":180000,"art_url":"https://x.example/a.png"}`, service, at(60),
			func(s NowPlayingState) bool {
				return s.Track.ArtURL == "https://x.example/a.png" && s.Changes == 1 && s.Track.StartedAt.Equal(t0)
			}, "", ""},
		{"another song replaces it", playing, "set_track", `{"title":"Next","artist":"Kim","source":"pretzel"}`, service, at(60),
			func(s NowPlayingState) bool {
				return s.Track.Title == "Next" && s.Playing && s.Changes == 2 && s.Track.StartedAt.Equal(at(60))
			}, "track_started", ""},
		{"the song that just ended, polled late, stays the last known track", ended, "set_track", `{"title":"Lofi Nights","artist":"Kim","album":"Late","source":"pretzel"}`, service, at(185),
			func(s NowPlayingState) bool { return !s.Playing && s.Ended && s.Changes == 1 }, "", ""},
		{"the same song played again (new started_at) plays", ended, "set_track", `{"title":"Lofi Nights","artist":"Kim","album":"Late","source":"pretzel","started_at":"2026-11-23T20:03:05Z","duration_ms":180000}`, service, at(186),
			func(s NowPlayingState) bool { return s.Playing && s.Changes == 2 && s.Track.StartedAt.Equal(at(185)) }, "track_started", ""},
		{"a track reported after its end is kept as the last known one", NowPlayingState{}, "set_track", `{"title":"Old","artist":"B","started_at":"2026-11-23T19:50:00Z","duration_ms":60000}`, service, at(0),
			func(s NowPlayingState) bool {
				return !s.Playing && s.Ended && s.StoppedAt.Equal(at(-540)) && s.Track.Title == "Old"
			}, "", ""},
		{"a playing track past its end ends before the action", playing, "clear", ``, owner, at(200),
			func(s NowPlayingState) bool { return !s.Playing && s.Ended && s.StoppedAt.Equal(at(180)) }, "track_ended", ""},
		{"clear keeps the last known track", playing, "clear", `{}`, owner, at(10),
			func(s NowPlayingState) bool {
				return !s.Playing && !s.Ended && s.Track.Title == "Lofi Nights" && s.StoppedAt.Equal(at(10))
			}, "track_stopped", ""},
		{"clear when nothing plays changes nothing", ended, "clear", ``, owner, at(300),
			func(s NowPlayingState) bool { return s.StoppedAt.Equal(at(180)) && s.Ended }, "", ""},
		{"a started_at slightly ahead is clamped to now", NowPlayingState{}, "set_track", `{"title":"A","started_at":"2026-11-23T20:00:20Z"}`, owner, at(0),
			func(s NowPlayingState) bool { return s.Track.StartedAt.Equal(t0) }, "track_started", ""},
		{"markup is stored as plain text", NowPlayingState{}, "set_track", `{"title":"<script>alert(1)</script>","artist":"{{name}}","album":"<img src=x onerror=alert(1)>"}`, owner, at(0),
			func(s NowPlayingState) bool {
				return s.Track.Title == "<script>alert(1)</script>" && s.Track.Artist == "{{name}}" && s.Track.Album == "<img src=x onerror=alert(1)>"
			}, "track_started", ""},

		{"javascript: art is refused", NowPlayingState{}, "set_track", `{"title":"A","art_url":"javascript:alert(1)"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"data: art is refused", NowPlayingState{}, "set_track", `{"title":"A","art_url":"data:image/png;base64,AAAA"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"a relative art URL is refused", NowPlayingState{}, "set_track", `{"title":"A","art_url":"/etc/passwd"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"no title", NowPlayingState{}, "set_track", `{"artist":"B"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"a blank title", NowPlayingState{}, "set_track", `{"title":"   "}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"an oversize title", NowPlayingState{}, "set_track", `{"title":"` + strings.Repeat("é", 301) + `"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"a negative duration", NowPlayingState{}, "set_track", `{"title":"A","duration_ms":-1}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"a duration over a day", NowPlayingState{}, "set_track", `{"title":"A","duration_ms":86400001}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"a fractional duration", NowPlayingState{}, "set_track", `{"title":"A","duration_ms":1.5}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"a start far in the future", NowPlayingState{}, "set_track", `{"title":"A","started_at":"2026-11-23T21:00:00Z"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"a start two days ago", NowPlayingState{}, "set_track", `{"title":"A","started_at":"2026-11-21T20:00:00Z"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"a start that is not a time", NowPlayingState{}, "set_track", `{"title":"A","started_at":"yesterday"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"a source with spaces", NowPlayingState{}, "set_track", `{"title":"A","source":"my source"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"an unknown field", NowPlayingState{}, "set_track", `{"title":"A","lyrics":"la"}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"clear takes no payload", playing, "clear", `{"x":1}`, owner, at(0), nil, "", CodeInvalidPayload},
		{"unknown action", playing, "play", ``, owner, at(0), nil, "", CodeUnknownAction},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := json.Marshal(tc.state)
			got, events, err := NowPlaying{}.Apply(cfg, tc.state, Action{Name: tc.action, Payload: json.RawMessage(tc.payload), By: tc.by}, tc.now)
			if after, _ := json.Marshal(tc.state); string(after) != string(before) {
				t.Fatalf("Apply changed its input state: %s -> %s", before, after)
			}
			if kerr(err) != tc.wantCode {
				t.Fatalf("err = %v, want code %q", err, tc.wantCode)
			}
			if tc.wantCode != "" {
				return
			}
			if out, _ := json.Marshal(got); !tc.want(got) {
				t.Fatalf("state %s", out)
			}
			if n := evNames(events); n != tc.events {
				t.Fatalf("events %q, want %q", n, tc.events)
			}
		})
	}
}

func TestNowPlayingEndsByItsTimer(t *testing.T) {
	cfg := NowPlaying{}.Defaults()
	s, _, err := NowPlaying{}.Apply(cfg, NowPlayingState{}, Action{Name: "set_track", Payload: json.RawMessage(`{"title":"A","artist":"B","duration_ms":90000}`)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if tm := (NowPlaying{}).Timer(cfg, s, t0); !tm.At.Equal(at(90)) || tm.Tick {
		t.Fatalf("timer %+v, want a wake at the track's end and no tick", tm)
	}
	if _, _, changed := (NowPlaying{}).Settle(cfg, s, at(89.999)); changed {
		t.Fatal("ended before its end")
	}
	ended, events, changed := NowPlaying{}.Settle(cfg, s, at(90))
	if !changed || ended.Playing || !ended.Ended || !ended.StoppedAt.Equal(at(90)) || ended.Track.Title != "A" || evNames(events) != "track_ended" {
		t.Fatalf("at its end: %+v %v %v", ended, events, changed)
	}
	if tm := (NowPlaying{}).Timer(cfg, ended, at(90)); !tm.At.IsZero() {
		t.Fatalf("an ended track still wakes the grain: %+v", tm)
	}
	// Without a duration nothing ends by itself.
	open, _, _ := NowPlaying{}.Apply(cfg, NowPlayingState{}, Action{Name: "set_track", Payload: json.RawMessage(`{"title":"Radio"}`)}, t0)
	if tm := (NowPlaying{}).Timer(cfg, open, t0); !tm.At.IsZero() {
		t.Fatalf("a track of unknown length wakes at %v", tm.At)
	}
}

func TestNowPlayingConfigValidation(t *testing.T) {
	def := Erase[NowPlayingConfig, NowPlayingState](NowPlaying{})
	for patch, code := range map[string]string{
		`{"idle":"text","idle_text":"Quiet for now","show_art":false}`: "",
		`{"idle":"hide"}`:      "",
		`{"idle":"sometimes"}`: CodeInvalidConfig,
		`{"idle":""}`:          CodeInvalidConfig,
		`{"title":"` + strings.Repeat("x", 101) + `"}`: CodeInvalidConfig,
		`{"idle_text":"<script>x</script>"}`:           "",
		`{"idle_text":"bell\u0007"}`:                   CodeInvalidConfig,
		`{"align":"justify"}`:                          CodeInvalidConfig,
		`{"show_art":"yes"}`:                           CodeInvalidConfig,
	} {
		if _, err := def.MergeConfig(nil, json.RawMessage(patch)); kerr(err) != code {
			t.Errorf("%s: err = %v, want %q", patch, err, code)
		}
	}
}

// TestNowPlayingThroughTheDefinition: control characters in a payload are
// refused before the kind sees them; a refused action stores nothing.
func TestNowPlayingThroughTheDefinition(t *testing.T) {
	def, _ := Default().Lookup("now_playing")
	cfg, _ := def.MergeConfig(nil, nil)
	state, _ := def.InitialState(cfg, t0)
	if _, _, err := def.Apply(cfg, state, Action{Name: "set_track", Payload: json.RawMessage(`{"title":"a\u001b[31mred"}`)}, t0); kerr(err) != CodeInvalidPayload {
		t.Fatalf("an escape sequence in a title: %v", err)
	}
	next, _, err := def.Apply(cfg, state, Action{Name: "set_track", Payload: json.RawMessage(`{"title":"Two\nlines"}`)}, t0)
	if err != nil || !strings.Contains(string(next), `"Two\nlines"`) {
		t.Fatalf("a line break: %s %v", next, err)
	}
}
