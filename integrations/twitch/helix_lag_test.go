package twitch_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/integrations/integrationstest"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
)

// TestLaggingHelixDoesNotUndoGoingLive: right after stream.online, Helix's
// Get Streams still says offline for a while; the stats widget stays live,
// also when the pollers start again meanwhile. After stream.offline it stays
// offline while Helix still reports the stream with falling viewers.
// Once Helix agrees, its viewer count flows again.
func TestLaggingHelixDoesNotUndoGoingLive(t *testing.T) {
	r := newRig(t, withIntervals(twitch.Intervals{Followers: time.Hour, Stream: 50 * time.Millisecond, Schedule: time.Hour}))
	r.sink.SetWidgets("stats", "s1")
	r.waitSubscribed(t, allSubs)
	lastLive := func() (any, int) {
		d := r.sink.Deliveries("stats", "set")
		for i := len(d) - 1; i >= 0; i-- {
			if v, ok := d[i].Payload["live"]; ok {
				return v, len(d)
			}
		}
		return nil, len(d)
	}
	waitLive := func(want bool) {
		t.Helper()
		integrationstest.Eventually(t, 3*time.Second, func() error {
			if v, _ := lastLive(); v != want {
				return fmt.Errorf("stats live %v, want %v", v, want)
			}
			return nil
		})
	}
	waitLive(false) // Helix: offline

	if _, err := r.fake.Notify("100", "stream.online", twitchfake.StreamOnlineEvent(r.b, time.Now())); err != nil {
		t.Fatal(err)
	}
	waitLive(true)
	// The pollers start again (a crash, a restart) while Helix lags: their
	// first answer is news to them, not to the widget.
	r.host.Restart(t)
	before := r.fake.Calls("GET /helix/streams")
	integrationstest.Eventually(t, 3*time.Second, func() error {
		if n := r.fake.Calls("GET /helix/streams") - before; n < 10 {
			return fmt.Errorf("%d polls since going live", n)
		}
		return nil
	})
	if v, _ := lastLive(); v != true {
		t.Fatalf("after 10 polls of a lagging Helix the stats say live=%v", v)
	}

	// Helix catches up: its viewers reach the widget.
	r.fake.SetStream("100", &twitchfake.Stream{ID: "s", Viewers: 321, StartedAt: time.Now().Add(-time.Minute)})
	integrationstest.Eventually(t, 3*time.Second, func() error {
		d := r.sink.Deliveries("stats", "set")
		if last := d[len(d)-1].Payload; last["viewers"] != float64(321) || last["live"] != true {
			return fmt.Errorf("last stats set %v", last)
		}
		return nil
	})

	// Ending: Helix still says live for a while; the widget stays offline.
	if _, err := r.fake.Notify("100", "stream.offline", twitchfake.StreamOfflineEvent(r.b)); err != nil {
		t.Fatal(err)
	}
	waitLive(false)
	before = r.fake.Calls("GET /helix/streams")
	integrationstest.Eventually(t, 3*time.Second, func() error {
		// Viewers leave while Helix still reports the stream.
		r.fake.SetStream("100", &twitchfake.Stream{ID: "s", Viewers: 300 - r.fake.Calls("GET /helix/streams") + before, StartedAt: time.Now().Add(-time.Minute)})
		if n := r.fake.Calls("GET /helix/streams") - before; n < 10 {
			return fmt.Errorf("%d polls since ending", n)
		}
		return nil
	})
	if v, _ := lastLive(); v != false {
		t.Fatalf("after 10 polls of a lagging Helix the stats say live=%v", v)
	}
}
