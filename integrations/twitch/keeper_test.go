package twitch_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/integrationstest"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
)

var fast = twitch.Intervals{Followers: 50 * time.Millisecond, Stream: 50 * time.Millisecond, Schedule: 50 * time.Millisecond}

// TestExpiredTokenIsRefreshedAndTheRotatedRefreshTokenStored: a Helix 401
// makes the keeper refresh; with rotating refresh tokens the new one is the
// only one that works, and it is what the store holds (versioned write).
func TestExpiredTokenIsRefreshedAndTheRotatedRefreshTokenStored(t *testing.T) {
	r := newRig(t, withFake(twitchfake.WithRotatingRefreshTokens()), withIntervals(fast))
	r.fake.SetStream("100", &twitchfake.Stream{ID: "s1", Viewers: 10, StartedAt: time.Now()})
	r.waitSubscribed(t, allSubs)
	before, _ := r.creds.GetCredentials(context.Background(), "alice", twitch.Service)

	r.fake.ExpireAccessTokens("100")
	r.fake.SetStream("100", &twitchfake.Stream{ID: "s1", Viewers: 99, StartedAt: time.Now()})
	integrationstest.Eventually(t, 5*time.Second, func() error {
		sets := r.sink.Deliveries("stats", "set")
		for _, d := range sets {
			if d.Payload["viewers"] == float64(99) {
				return nil
			}
		}
		return fmt.Errorf("no stats with 99 viewers yet (%d sets)", len(sets))
	})
	after, err := r.creds.GetCredentials(context.Background(), "alice", twitch.Service)
	if err != nil {
		t.Fatal(err)
	}
	live := r.fake.LiveRefreshToken("cid", "100")
	if after.Version <= before.Version || after.RefreshToken.Reveal() != live || after.RefreshToken == before.RefreshToken {
		t.Fatalf("stored after refresh: version %d (was %d), the stored refresh token is the live one: %v",
			after.Version, before.Version, after.RefreshToken.Reveal() == live)
	}
	r.waitState(t, integrations.StateConnected)
}

// TestRevokedAuthorizationSurfacesInStatus: the user disconnects the app
// on Twitch; the connection's status says revoked, with what to do.
func TestRevokedAuthorizationSurfacesInStatus(t *testing.T) {
	r := newRig(t)
	r.waitSubscribed(t, allSubs)
	r.waitState(t, integrations.StateConnected)
	r.fake.RevokeUser("100")
	r.fake.ExpireAccessTokens("100")
	st := r.waitState(t, integrations.StateRevoked)
	if !strings.Contains(st.Advice, "Connect again") {
		t.Fatalf("advice: %q", st.Advice)
	}
	revoked := 0
	for _, s := range st.Subscriptions {
		if s.Status == "revoked" && s.Reason == "authorization_revoked" {
			revoked++
		}
	}
	if revoked == 0 {
		t.Fatalf("no subscription shows the revocation: %+v", st.Subscriptions)
	}
	// A secret never shows in a status.
	for _, c := range st.Components {
		if strings.Contains(c.LastError+c.Detail, r.fake.LiveRefreshToken("cid", "100")) && r.fake.LiveRefreshToken("cid", "100") != "" {
			t.Fatal("a token in the status")
		}
	}
}

// TestRateLimitIsWaitedOut: an injected 429 makes the poller report
// rate_limited until the reset it announced, then carry on; the bucket
// from the headers keeps calls under the limit without further 429s.
func TestRateLimitIsWaitedOut(t *testing.T) {
	r := newRig(t, withIntervals(fast), withFake(twitchfake.WithRateLimit(40, 2*time.Second)))
	r.waitSubscribed(t, allSubs)
	r.fake.Inject(twitchfake.Injection{Route: "GET /helix/streams", Status: http.StatusTooManyRequests, Times: 1, ResetIn: 1500 * time.Millisecond})
	st := r.waitState(t, integrations.StateRateLimited)
	if st.RetryAt == nil || time.Until(*st.RetryAt) > 3*time.Second {
		t.Fatalf("rate limited without a sensible retry time: %+v", st.RetryAt)
	}
	r.waitState(t, integrations.StateConnected)
	// Three pollers at 20/s for 3 s would be ~180 calls against a bucket of
	// 40 per 2 s: the limiter must hold them back.
	time.Sleep(3 * time.Second)
	if used := r.fake.Used("cid", "100"); used > 40 {
		t.Fatalf("%d points used in one window of 40", used)
	}
}

// TestOnePollPerAccountHoweverManyWidgets: five stats widgets cost one
// Helix call per interval, not five.
func TestOnePollPerAccountHoweverManyWidgets(t *testing.T) {
	r := newRig(t, withIntervals(twitch.Intervals{Followers: time.Hour, Stream: 100 * time.Millisecond, Schedule: time.Hour}))
	r.sink.SetWidgets("stats", "s1", "s2", "s3", "s4", "s5")
	r.sink.SetWidgets("schedule")
	r.waitSubscribed(t, allSubs)
	integrationstest.Eventually(t, 3*time.Second, func() error { // the first poll waits up to 1 s (spread)
		if r.fake.Calls("GET /helix/streams") == 0 {
			return fmt.Errorf("no stream poll yet")
		}
		return nil
	})
	start := r.fake.Calls("GET /helix/streams")
	time.Sleep(time.Second)
	calls := r.fake.Calls("GET /helix/streams") - start
	if calls < 5 || calls > 12 {
		t.Fatalf("%d stream polls in 1 s at 100 ms with 5 widgets, want about 10", calls)
	}
	if n := r.fake.Calls("GET /helix/schedule"); n != 0 {
		t.Fatalf("%d schedule polls without a schedule widget", n)
	}
	// Unchanged answers are not delivered again.
	if n := len(r.sink.Deliveries("stats", "set")); n > 3 {
		t.Fatalf("%d stats deliveries for an unchanged stream", n)
	}
}
