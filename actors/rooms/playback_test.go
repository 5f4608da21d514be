package rooms

import (
	"errors"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
)

func ptr(v int64) *int64 { return &v }

func TestPlaybackClock(t *testing.T) {
	paused := persistence.Playback{PositionMs: 10_000, UpdatedTsMs: 1_000}
	playing := persistence.Playback{Playing: true, PositionMs: 10_000, UpdatedTsMs: 1_000}
	cases := []struct {
		name   string
		p      persistence.Playback
		action string
		at     *int64
		now    int64
		want   persistence.Playback
		code   string
	}{
		{"play from where it paused", paused, ActionPlay, nil, 5_000, persistence.Playback{Playing: true, PositionMs: 10_000, UpdatedTsMs: 5_000}, ""},
		{"play at the client's position", paused, ActionPlay, ptr(12_345), 5_000, persistence.Playback{Playing: true, PositionMs: 12_345, UpdatedTsMs: 5_000}, ""},
		{"pause keeps the elapsed time", playing, ActionPause, nil, 4_500, persistence.Playback{PositionMs: 13_500, UpdatedTsMs: 4_500}, ""},
		{"play while playing re-anchors without a jump", playing, ActionPlay, nil, 3_000, persistence.Playback{Playing: true, PositionMs: 12_000, UpdatedTsMs: 3_000}, ""},
		{"seek while playing keeps playing", playing, ActionSeek, ptr(60_000), 9_000, persistence.Playback{Playing: true, PositionMs: 60_000, UpdatedTsMs: 9_000}, ""},
		{"seek while paused stays paused", paused, ActionSeek, ptr(0), 9_000, persistence.Playback{PositionMs: 0, UpdatedTsMs: 9_000}, ""},
		{"seek needs a position", paused, ActionSeek, nil, 9_000, paused, CodeInvalidField},
		{"negative position", paused, ActionSeek, ptr(-1), 9_000, paused, CodeInvalidField},
		{"position past a week", paused, ActionPlay, ptr(MaxPositionMs + 1), 9_000, paused, CodeInvalidField},
		{"unknown action", paused, "rewind", nil, 9_000, paused, CodeInvalidField},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply(tc.p, tc.action, tc.at, tc.now)
			if tc.code != "" {
				if !errors.Is(err, &Error{Code: tc.code}) {
					t.Fatalf("err %v, want %s", err, tc.code)
				}
				if got != tc.p {
					t.Fatalf("a refused action changed playback: %+v", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v %v, want %+v", got, err, tc.want)
			}
		})
	}
}

func TestPositionNeverRunsBackwardsOrPastTheLimit(t *testing.T) {
	p := persistence.Playback{Playing: true, PositionMs: 1_000, UpdatedTsMs: 10_000}
	if got := Position(p, 9_000); got != 1_000 {
		t.Fatalf("a clock behind the anchor moved the position back: %d", got)
	}
	if got := Position(persistence.Playback{Playing: true, PositionMs: MaxPositionMs - 5, UpdatedTsMs: 0}, 1_000); got != MaxPositionMs {
		t.Fatalf("position past the limit: %d", got)
	}
}
