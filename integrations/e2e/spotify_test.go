package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying/nowplayingfake"
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
	"github.com/streamwidgets/streamwidgets/overlays/browsertest"
)

// TestSpotifyConnectsInTheConsoleAndFeedsNowPlaying: in a real browser the
// streamer presses Connect Spotify, approves on (the fake) Spotify, lands
// back connected; the song they then play reaches their now-playing widget
// through the supervised poller; Disconnect deletes the tokens and says
// how to remove the access on Spotify.
func TestSpotifyConnectsInTheConsoleAndFeedsNowPlaying(t *testing.T) {
	path, err := browsertest.Path()
	if err != nil {
		t.Fatal(err)
	}
	music := nowplayingfake.New(t)
	music.SpotifyApp("sp-cid", "sp-secret", nowplayingfake.SpotifyUser{ID: "ana-sp", DisplayName: "Ana on Spotify"})
	n := startNode(t, twitchfake.New(t), func(ic *app.IntegrationsConfig) {
		ic.Spotify = nowplaying.SpotifyApp{ClientID: "sp-cid", ClientSecret: "sp-secret", AccountsURL: music.URL(), APIBase: music.URL() + "/v1"}
		ic.NowPlaying = nowplaying.Poll{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond}
	})
	status, out, _ := n.do("POST", n.base+"/records/stream_widgets", `{"type":"now_playing","title":"Music"}`)
	var w struct{ Data struct{ ID string } }
	if status != http.StatusCreated || json.Unmarshal([]byte(out), &w) != nil {
		t.Fatalf("create: %d %s", status, out)
	}
	ticket, err := n.app.Issuer.MintTicket("ana", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browsertest.Options(path, t.TempDir(), 1280, 900)...)
	defer cancelAlloc()
	tab, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, stop := context.WithTimeout(tab, 60*time.Second)
	defer stop()
	eval := func(js string) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String((() => { try { return `+js+` } catch (e) { return "" } })() ?? "")`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	waitFor := func(what, js string, within time.Duration, sub string) string {
		t.Helper()
		var last string
		for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if last = eval(js); strings.Contains(last, sub) {
				return last
			}
		}
		t.Fatalf("waited %s for %s; last %q", within, what, last)
		return ""
	}
	card := `document.querySelector("[data-testid=integration-spotify]")?.textContent`
	state := `document.querySelector("[data-testid=integration-spotify-state]")?.textContent`
	banner := `document.querySelector("[data-testid=integrations-banner]")?.textContent`

	if err := chromedp.Do(ctx, chromedp.Navigate(n.base+"/#signin="+ticket)); err != nil {
		t.Fatal(err)
	}
	waitFor("the Integrations button", `!document.querySelector("[data-testid=integrations-open]").hidden`, 10*time.Second, "true")
	eval(`document.querySelector("[data-testid=integrations-open]").click() || "ok"`)
	waitFor("not connected", state, 5*time.Second, "Not connected")
	waitFor("the permission and why", card, time.Second, "user-read-currently-playing")

	eval(`document.querySelector("[data-testid=spotify-connect]").click() || "ok"`) // to Spotify and back
	waitFor("back from Spotify", banner, 10*time.Second, "Spotify is connected")
	waitFor("connected", state, 15*time.Second, "Connected")
	waitFor("the account", card, 5*time.Second, "Ana on Spotify")

	music.SetSpotify(music.SpotifyAccessOf("ana-sp"), &nowplayingfake.Track{Title: "Night Drive", Artist: "Synth Crew", Album: "Neon",
		DurationMS: 200000, ProgressMS: 5000, ID: "sp1"})
	var last string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && !strings.Contains(last, "Night Drive"); time.Sleep(100 * time.Millisecond) {
		_, last, _ = n.do("GET", n.base+"/records/stream_widgets/"+w.Data.ID, "")
	}
	if !strings.Contains(last, "Night Drive") || !strings.Contains(last, "Synth Crew") {
		t.Fatalf("the Spotify song did not reach the now-playing widget: %s", last)
	}

	eval(`(window.confirm = () => true) && "ok"`)
	eval(`document.querySelector("[data-testid=spotify-disconnect]").click() || "ok"`)
	waitFor("how to revoke on Spotify", banner, 5*time.Second, "Manage apps")
	waitFor("disconnected", state, 10*time.Second, "Not connected")
	if _, body, _ := n.do("GET", n.base+"/integrations/spotify", ""); !strings.Contains(body, `"connected":false`) {
		t.Fatalf("still connected after Disconnect: %s", body)
	}
}
