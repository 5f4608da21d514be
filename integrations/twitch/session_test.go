package twitch_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/integrationstest"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
)

var allSubs = len(twitch.Subscriptions)

func TestEventsReachTheirWidgetsOnce(t *testing.T) {
	r := newRig(t)
	r.waitSubscribed(t, allSubs)
	fan := twitchfake.User{ID: "7", Login: "fan", DisplayName: "Fan"}

	id, err := r.fake.Notify("100", "channel.follow", twitchfake.FollowEvent(r.b, fan))
	if err != nil {
		t.Fatal(err)
	}
	integrationstest.Eventually(t, 2*time.Second, func() error {
		if len(r.alertIDs()) != 1 {
			return fmt.Errorf("alerts: %v", r.alertIDs())
		}
		return nil
	})
	a := r.sink.Deliveries("alerts", "enqueue")[0]
	if a.Owner != "alice" || a.Payload["type"] != "follow" || a.Payload["name"] != "Fan" || a.Payload["id"] != id {
		t.Fatalf("follow alert: %+v", a)
	}
	if len(r.sink.Deliveries("recent_follower", "record")) != 1 || len(r.sink.Deliveries("event_list", "record")) != 1 {
		t.Fatal("a follow also reaches the recent follower and the event list")
	}

	// Twitch's at-least-once: the same message again is not a second alert.
	if err := r.fake.NotifyWithID(id, "100", "channel.follow", twitchfake.FollowEvent(r.b, fan)); err != nil {
		t.Fatal(err)
	}
	_, _ = r.fake.Notify("100", "channel.cheer", twitchfake.CheerEvent(r.b, nil, 500, "Cheer500 hype"))
	integrationstest.Eventually(t, 2*time.Second, func() error {
		if len(r.alertIDs()) != 2 {
			return fmt.Errorf("alerts: %v", r.alertIDs())
		}
		return nil
	})
	cheer := r.sink.Deliveries("alerts", "enqueue")[1].Payload
	if cheer["type"] != "cheer" || cheer["name"] != "Anonymous" || cheer["amount"] != float64(500) || cheer["message"] != "Cheer500 hype" {
		t.Fatalf("cheer alert: %v", cheer)
	}

	// Chat, polls and stream status go to their widgets.
	_, _ = r.fake.Notify("100", "channel.chat.message", twitchfake.ChatMessageEvent(r.b, fan, "chat-1", "hello", "#FF0000", "subscriber"))
	_, _ = r.fake.Notify("100", "channel.chat.message_delete", twitchfake.ChatDeleteEvent(r.b, fan, "chat-1"))
	_, _ = r.fake.Notify("100", "channel.poll.end", twitchfake.PollEvent(r.b, "poll-1", "Best?", []twitchfake.PollChoice{{ID: "a", Title: "A", Votes: 3}}, "completed", time.Now()))
	_, _ = r.fake.Notify("100", "stream.online", twitchfake.StreamOnlineEvent(r.b, time.Now()))
	integrationstest.Eventually(t, 2*time.Second, func() error {
		if len(r.sink.Deliveries("chat", "append")) != 1 || len(r.sink.Deliveries("chat", "delete_message")) != 1 ||
			len(r.sink.Deliveries("poll", "sync")) != 1 || len(r.sink.Deliveries("stats", "set")) < 1 {
			return fmt.Errorf("chat %d/%d, poll %d, stats %d", len(r.sink.Deliveries("chat", "append")), len(r.sink.Deliveries("chat", "delete_message")),
				len(r.sink.Deliveries("poll", "sync")), len(r.sink.Deliveries("stats", "set")))
		}
		return nil
	})
	chat := r.sink.Deliveries("chat", "append")[0].Payload
	if chat["id"] != "chat-1" || chat["text"] != "hello" || chat["name"] != "Fan" || chat["color"] != "#FF0000" {
		t.Fatalf("chat append: %v", chat)
	}
	if poll := r.sink.Deliveries("poll", "sync")[0].Payload; poll["status"] != "closed" || poll["question"] != "Best?" {
		t.Fatalf("poll sync: %v", poll)
	}
	if st := r.waitState(t, integrations.StateConnected); st.Account == nil || st.Account.ID != "100" || st.Account.Name != "streamer" {
		t.Fatalf("status: %+v", st)
	}
}

// TestReconnectHandoverLosesAndRepeatsNothing: notifications flow while
// Twitch moves the session to a new socket (some sent twice, as Twitch may);
// every one reaches the widgets exactly once, no subscription is created
// again, and the old socket is closed.
func TestReconnectHandoverLosesAndRepeatsNothing(t *testing.T) {
	r := newRig(t)
	session := r.waitSubscribed(t, allSubs)
	creates := r.fake.SubscriptionCreates()

	var sent []string
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			fan := twitchfake.User{ID: fmt.Sprint(1000 + i), Login: fmt.Sprint("fan", i), DisplayName: fmt.Sprint("Fan", i)}
			id := fmt.Sprintf("handover-%d", i)
			if err := r.fake.NotifyWithID(id, "100", "channel.follow", twitchfake.FollowEvent(r.b, fan)); err != nil {
				t.Errorf("notify %d: %v", i, err)
				return
			}
			if i%5 == 0 { // a redelivery
				_ = r.fake.NotifyWithID(id, "100", "channel.follow", twitchfake.FollowEvent(r.b, fan))
			}
			mu.Lock()
			sent = append(sent, id)
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := r.fake.Reconnect(session); err != nil {
		t.Fatal(err)
	}
	// The handover is done when the old socket is gone.
	integrationstest.Eventually(t, 5*time.Second, func() error {
		if n := r.fake.OpenConnections(session); n != 1 {
			return fmt.Errorf("%d open connections", n)
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond)
	close(stop)
	<-done

	mu.Lock()
	want := append([]string(nil), sent...)
	mu.Unlock()
	integrationstest.Eventually(t, 5*time.Second, func() error {
		if got := len(r.alertIDs()); got != len(want) {
			return fmt.Errorf("%d alerts, %d sent", got, len(want))
		}
		return nil
	})
	got := r.alertIDs()
	if !slices.Equal(got, want) {
		t.Fatalf("alerts out of order or wrong:\n got %v\nwant %v", got, want)
	}
	if n := r.fake.SubscriptionCreates(); n != creates {
		t.Fatalf("%d subscriptions created during the handover, want none", n-creates)
	}
	if s := r.fake.Subscriptions("100"); len(s) != allSubs || s[0].SessionID != session {
		t.Fatalf("after the handover: %d subscriptions on %s", len(s), s[0].SessionID)
	}
	t.Logf("%d notifications across the handover, each delivered once", len(want))
}

// TestEveryCloseCodeStartsAFreshSession: after each close 4000-4007 the
// session comes back on a new socket and subscribes again.
func TestEveryCloseCodeStartsAFreshSession(t *testing.T) {
	r := newRig(t)
	session := r.waitSubscribed(t, allSubs)
	for code := 4000; code <= 4007; code++ {
		if err := r.fake.Close(session, code); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		next := r.waitSubscribed(t, allSubs)
		if next == session {
			t.Fatalf("close %d: still on session %s", code, session)
		}
		info := twitch.CloseInfo(code)
		t.Logf("close %d (%s): subscribed again on a new session in %s", code, info.Name, time.Since(start).Round(10*time.Millisecond))
		session = next
	}
	id, err := r.fake.Notify("100", "channel.raid", twitchfake.RaidEvent(twitchfake.User{ID: "9", Login: "raider", DisplayName: "Raider"}, r.b, 42))
	if err != nil {
		t.Fatal(err)
	}
	integrationstest.Eventually(t, 2*time.Second, func() error {
		if ids := r.alertIDs(); len(ids) != 1 || ids[0] != id {
			return fmt.Errorf("alerts %v", ids)
		}
		return nil
	})
}

func TestSilentSocketIsReplaced(t *testing.T) {
	r := newRig(t, withKeepalive(1))
	session := r.waitSubscribed(t, allSubs)
	r.fake.PauseKeepalives(true)
	start := time.Now()
	integrationstest.Eventually(t, 10*time.Second, func() error {
		subs := r.fake.Subscriptions("100")
		if len(subs) != allSubs || subs[0].SessionID == session {
			return fmt.Errorf("still on the silent session")
		}
		return nil
	})
	t.Logf("silent socket replaced after %s (keepalive 1 s)", time.Since(start).Round(10*time.Millisecond))
	r.fake.PauseKeepalives(false)
}

func TestMissingScopesSkipThoseSubscriptions(t *testing.T) {
	r := newRig(t, withScopes("moderator:read:followers"))
	// Follows plus the three types that need no scope (raids, stream online, offline).
	r.waitSubscribed(t, 4)
	st := r.waitState(t, integrations.StateScopeMissing)
	if !slices.Contains(st.MissingScopes, "bits:read") || st.Advice == "" {
		t.Fatalf("status: %+v", st)
	}
	// The state comes from the token's scopes; the per-subscription list
	// from the session, which may report a moment later.
	integrationstest.Eventually(t, 10*time.Second, func() error {
		missing := 0
		for _, s := range r.status(t).Subscriptions {
			if s.Status == "scope_missing" {
				missing++
			}
		}
		if missing != allSubs-4 {
			return fmt.Errorf("%d subscriptions reported scope_missing, want %d", missing, allSubs-4)
		}
		return nil
	})
}
