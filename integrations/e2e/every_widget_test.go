package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying/nowplayingfake"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
)

// TestTwitchEventsReachEveryWidget (issue 12): after "Connect Twitch", subs,
// cheers, raids, a poll, chat, going live and Pretzel's now playing reach
// the streamer's widgets through the supervised tree, on a real node.
func TestTwitchEventsReachEveryWidget(t *testing.T) {
	fake := twitchfake.New(t)
	music := nowplayingfake.New(t)
	b := twitchfake.User{ID: "100", Login: "anastreams", DisplayName: "AnaStreams"}
	fake.AddUser(b)
	music.SetPretzel("100", &nowplayingfake.Track{Title: "Lofi Rain", Artist: "Pretzel Crew", DurationMS: 180000, ID: "t1"})
	n := startNode(t, fake, func(ic *app.IntegrationsConfig) {
		ic.PretzelBase = music.URL()
		ic.NowPlaying = nowplaying.Poll{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond}
	})
	create := func(body string) string {
		status, out, _ := n.do("POST", n.base+"/records/stream_widgets", body)
		var w struct{ Data struct{ ID string } }
		if status != http.StatusCreated || json.Unmarshal([]byte(out), &w) != nil {
			t.Fatalf("create %s: %d %s", body, status, out)
		}
		return w.Data.ID
	}
	events := create(`{"type":"event_list","title":"Events","config":{"max_events":10}}`)
	chat := create(`{"type":"chat","title":"Chat","config":{"hidden_users":[]}}`)
	poll := create(`{"type":"poll","title":"Poll"}`)
	stats := create(`{"type":"stats","title":"Stats"}`)
	latestSub := create(`{"type":"recent_follower","title":"Latest sub","config":{"event_type":"sub"}}`)
	subGoal := create(`{"type":"goal","title":"Subs","config":{"target":10,"source":"twitch_subs"}}`)
	playing := create(`{"type":"now_playing","title":"Music"}`)

	n.connect()
	deadline := time.Now().Add(10 * time.Second)
	for len(fake.Subscriptions("100")) < len(twitch.Subscriptions) {
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions: %+v", fake.Subscriptions("100"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	kim := twitchfake.User{ID: "7", Login: "kimfan", DisplayName: "KimFan"}
	raider := twitchfake.User{ID: "8", Login: "bigraider", DisplayName: "BigRaider"}
	troll := twitchfake.User{ID: "9", Login: "troll", DisplayName: "Troll"}
	notify := func(typ string, ev map[string]any) {
		t.Helper()
		if _, err := fake.Notify("100", typ, ev); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	notify("channel.subscribe", twitchfake.SubscribeEvent(b, kim, "1000", false))
	notify("channel.cheer", twitchfake.CheerEvent(b, &kim, 500, "Cheer500 gg"))
	notify("channel.raid", twitchfake.RaidEvent(raider, b, 42))
	notify("channel.poll.begin", twitchfake.PollEvent(b, "p1", "Next game?", []twitchfake.PollChoice{{ID: "a", Title: "Celeste"}, {ID: "b", Title: "Hades"}}, "", time.Now().Add(time.Minute)))
	notify("channel.poll.progress", twitchfake.PollEvent(b, "p1", "Next game?", []twitchfake.PollChoice{{ID: "a", Title: "Celeste", Votes: 3}, {ID: "b", Title: "Hades", Votes: 5}}, "", time.Now().Add(time.Minute)))
	notify("channel.chat.message", twitchfake.ChatMessageEvent(b, kim, "m1", "hello chat", "#ff4500"))
	notify("channel.chat.message", twitchfake.ChatMessageEvent(b, troll, "m2", "spam spam", ""))
	notify("channel.chat.clear_user_messages", twitchfake.ChatClearUserEvent(b, troll))
	notify("stream.online", twitchfake.StreamOnlineEvent(b, time.Now().Add(-time.Minute)))

	state := func(id string) string {
		_, out, _ := n.do("GET", n.base+"/records/stream_widgets/"+id, "")
		var r struct {
			Data struct{ State json.RawMessage }
		}
		_ = json.Unmarshal([]byte(out), &r)
		return string(r.Data.State)
	}
	for _, c := range []struct {
		what, id string
		want     []string
		not      []string
	}{
		{"event list: the sub, the cheer and the raid", events, []string{`"type":"sub"`, `"type":"cheer"`, `"type":"raid"`, "KimFan", "BigRaider"}, nil},
		{"chat: KimFan's line, the troll's removed", chat, []string{"hello chat", "#ff4500"}, []string{"spam spam"}},
		{"poll: Twitch's question and counts", poll, []string{"Next game?", "Hades"}, nil},
		{"stats: live", stats, []string{`"live":true`}, nil},
		{"latest sub", latestSub, []string{"KimFan"}, nil},
		{"sub goal counted the sub", subGoal, []string{`"current":1`}, nil},
		{"now playing from Pretzel", playing, []string{"Lofi Rain", "Pretzel Crew"}, nil},
	} {
		var last string
		ok := false
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			last = state(c.id)
			ok = true
			for _, w := range c.want {
				ok = ok && strings.Contains(last, w)
			}
			for _, w := range c.not {
				ok = ok && !strings.Contains(last, w)
			}
			if ok {
				break
			}
		}
		if !ok {
			t.Errorf("%s: state %s", c.what, last)
		}
	}
}
