package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamwidgets/streamwidgets/actors"
)

// act runs an action on w as its owner's integration would (the service
// caller), the path events from Twitch and friends take.
func (s *server) act(user string, w record, action, payload string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.app.Widgets().Act(ctx, actors.ServiceCaller(user, "test"), w.ID, action, json.RawMessage(payload)); err != nil {
		s.t.Fatalf("%s %s: %v", action, payload, err)
	}
}

// widgetShot saves the overlay over a game-like backdrop as
// docs/widgets/<name>.png (the README's gallery).
func widgetShot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	eval(t, tab, `document.body.style.background = "linear-gradient(135deg, #2b5876, #4e4376 60%, #f7b733)"; ""`)
	time.Sleep(700 * time.Millisecond) // entrance animations settle
	png := get(t, tab, chromedp.CaptureScreenshot())
	dir := filepath.Join("..", "..", "docs", "widgets")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	eval(t, tab, `document.body.style.background = ""; ""`)
}

func texts(sel string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.textContent).join("|")`, sel)
}

func TestChatOverlayFollowsChatLive(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	chat := srv.widget("ana", `{"type":"chat","config":{"max_messages":3,"hidden_users":["Nightbot"]}}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(chat, "")))
	post := func(id, user, name, text string) {
		srv.act("ana", chat, "append", fmt.Sprintf(`{"id":%q,"user_id":%q,"name":%q,"text":%q,"color":"#ff4500","badges":["vip"]}`, id, user, name, text))
	}
	post("1", "u1", "Ann", "hello")
	waitFor(t, tab, "the first line", texts(".chat-text"), 5*time.Second, equals("hello"))
	post("2", "u2", "Bob", "<img src=x onerror=alert(1)>")
	post("3", "u3", "Nightbot", "!commands")
	post("4", "u1", "Ann", "gg")
	post("5", "u4", "Cid", "wow")
	waitFor(t, tab, "the newest three, oldest first", texts(".chat-text"), 5*time.Second, equals("<img src=x onerror=alert(1)>|gg|wow"))
	if n := eval(t, tab, `String(document.querySelectorAll(".sw-root img").length)`); n != "0" {
		t.Fatal("chat text was rendered as HTML")
	}
	if got := eval(t, tab, texts(".chat-name")); got != "Bob|Ann|Cid" {
		t.Fatalf("names %q", got)
	}
	widgetShot(t, tab, "chat")
	srv.act("ana", chat, "clear_user", `{"user_id":"u1"}`) // a timeout removes Ann's lines
	waitFor(t, tab, "Ann's lines gone", texts(".chat-text"), 5*time.Second, equals("<img src=x onerror=alert(1)>|wow"))
	srv.act("ana", chat, "delete_message", `{"id":"5"}`)
	waitFor(t, tab, "the deleted line gone", texts(".chat-text"), 5*time.Second, equals("<img src=x onerror=alert(1)>"))
}

func TestEventListOverlayShowsNewestFirst(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	list := srv.widget("ana", `{"type":"event_list","config":{"max_events":3,"types":["follow","cheer","raid"]}}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(list, "")))
	waitFor(t, tab, "the title", text(".ev-title"), 5*time.Second, equals("Recent events"))
	for i, e := range []string{`"type":"follow","name":"Ann"`, `"type":"sub","name":"Skipped"`, `"type":"cheer","name":"Bob","amount":500`, `"type":"raid","name":"Cid","amount":42`} {
		srv.act("ana", list, "record", fmt.Sprintf(`{"id":"e%d",%s}`, i, e))
	}
	waitFor(t, tab, "newest first, sub filtered out", texts(".ev-name"), 5*time.Second, equals("Cid|Bob|Ann"))
	widgetShot(t, tab, "event_list")
}

func TestStatsOverlayTicksUptime(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	stats := srv.widget("ana", `{"type":"stats","config":{"title":"Tonight"}}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(stats, "")))
	waitFor(t, tab, "offline", text("[data-testid=stat-uptime]"), 5*time.Second, equals("Offline"))
	started := time.Now().Add(-(3723 * time.Second)).UTC().Format(time.RFC3339)
	srv.act("ana", stats, "set", fmt.Sprintf(`{"viewers":1234,"followers":56789,"subscribers":12,"live":true,"started_at":%q}`, started))
	waitFor(t, tab, "the figures", text("[data-testid=stat-viewers]")+`+"|"+`+text("[data-testid=stat-followers]"), 5*time.Second,
		func(v string) bool {
			return strings.ReplaceAll(strings.ReplaceAll(v, ",", ""), ".", "") == "1234|56789"
		})
	first := waitFor(t, tab, "the uptime", text("[data-testid=stat-uptime]"), 5*time.Second, func(v string) bool { return strings.HasPrefix(v, "1:02:0") })
	waitFor(t, tab, "the uptime ticking in the page", text("[data-testid=stat-uptime]"), 3*time.Second, func(v string) bool { return v != first })
	widgetShot(t, tab, "stats")
}

func TestScheduleOverlayDropsPastStreams(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	sched := srv.widget("ana", `{"type":"schedule","config":{"assumed_length":3600}}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(sched, "")))
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	srv.act("ana", sched, "set_schedule", fmt.Sprintf(`{"segments":[
		{"id":"a","title":"Ends in a moment","start":%q,"end":%q,"category":"Just Chatting"},
		{"id":"b","title":"Speedrun night","start":%q,"category":"Celeste"},
		{"id":"c","title":"Chess with chat","start":%q,"category":"Chess"}]}`,
		at(-time.Hour), at(8*time.Second), at(26*time.Hour), at(50*time.Hour)))
	// Names and label read at once: on a loaded machine a separate read
	// could land after the running stream ended.
	waitFor(t, tab, "three streams, the live one first and labelled so", texts(".sc-name")+`+"|"+`+text(".sc-item.next .sc-when"), 5*time.Second,
		equals("Ends in a moment|Speedrun night|Chess with chat|Live now"))
	widgetShot(t, tab, "schedule")
	// Once it is over it leaves the page (and the server's timer drops it).
	waitFor(t, tab, "the finished stream dropped", texts(".sc-name"), 15*time.Second, equals("Speedrun night|Chess with chat"))
}

// TestGalleryOfTheFirstKinds takes the README gallery's countdown and goal
// pictures from their live overlays.
func TestGalleryOfTheFirstKinds(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	cd := srv.widget("ana", `{"type":"countdown","config":{"title":"Starting soon","text":"Grab a drink","duration":300}}`)
	goal := srv.widget("ana", `{"type":"goal","config":{"title":"Sub goal","target":50,"unit":"subs"}}`)
	srv.act("ana", goal, "set", `{"value":32}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(cd, "")))
	waitFor(t, tab, "the countdown", text("[data-testid=countdown-time]"), 5*time.Second, equals("05:00"))
	widgetShot(t, tab, "countdown")
	run(t, tab, chromedp.Navigate(srv.overlayURL(goal, "")))
	waitFor(t, tab, "the goal", text("[data-testid=goal-label]"), 5*time.Second, equals("32 / 50 subs"))
	widgetShot(t, tab, "goal")
}
