package twitch

import (
	"sync/atomic"
	"time"
)

// liveMark is the newest stream.online or stream.offline that EventSub
// delivered. Helix's Get Streams catches up with such a change only after a
// while (its answers are cached), so a poll that disagrees with a recent
// event is held back: delivered, it would flip a stats widget back to
// offline (or live) for minutes right after the streamer went live (or
// ended).
type liveMark struct{ p atomic.Pointer[liveEvent] }

type liveEvent struct {
	live bool
	at   time.Time
}

func (m *liveMark) set(live bool, at time.Time) { m.p.Store(&liveEvent{live: live, at: at}) }

// contradicts reports whether a poll saying live would undo an event less
// than lag old.
func (m *liveMark) contradicts(live bool, now time.Time, lag time.Duration) bool {
	e := m.p.Load()
	return e != nil && e.live != live && now.Sub(e.at) < lag
}
