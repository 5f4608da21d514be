package rooms

import "github.com/streamwidgets/streamwidgets/persistence"

// Playback actions.
const (
	ActionPlay  = "play"
	ActionPause = "pause"
	ActionSeek  = "seek"
)

// Position is where playback is at server time nowMs: the stored position
// plus, while playing, the time since it was stored. Clients compute the
// same with their server-corrected clock.
func Position(p persistence.Playback, nowMs int64) int64 {
	if !p.Playing {
		return p.PositionMs
	}
	pos := p.PositionMs + max(0, nowMs-p.UpdatedTsMs)
	return min(pos, MaxPositionMs)
}

// Apply returns the playback after action at nowMs. at, when not nil, is
// where the client says the action happens (its video's position): play
// and pause take it, seek requires it.
func Apply(p persistence.Playback, action string, at *int64, nowMs int64) (persistence.Playback, error) {
	if at != nil && (*at < 0 || *at > MaxPositionMs) {
		return p, fail(CodeInvalidField, "position_ms must be between 0 and %d", int64(MaxPositionMs))
	}
	pos := Position(p, nowMs)
	if at != nil {
		pos = *at
	}
	switch action {
	case ActionPlay:
		return persistence.Playback{Playing: true, PositionMs: pos, UpdatedTsMs: nowMs}, nil
	case ActionPause:
		return persistence.Playback{Playing: false, PositionMs: pos, UpdatedTsMs: nowMs}, nil
	case ActionSeek:
		if at == nil {
			return p, fail(CodeInvalidField, "seek needs position_ms")
		}
		return persistence.Playback{Playing: p.Playing, PositionMs: pos, UpdatedTsMs: nowMs}, nil
	default:
		return p, fail(CodeInvalidField, "unknown playback action %q", action)
	}
}
