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
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
)

// TestSpotifyConnectsInTheConsoleAndFeedsNowPlaying: in a real browser the
// streamer presses Connect Spotify, approves on (the fake) Spotify, lands
// back connected; the song they then play reaches their now-playing widget
// through the supervised poller; Disconnect deletes the tokens and says
// how to remove the access on Spotify.
func TestSpotifyConnectsInTheConsoleAndFeedsNowPlaying(t *testing.T) {
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

	p := openPage(t)
	card := `document.querySelector("[data-testid=integration-spotify]")?.textContent`
	state := `document.querySelector("[data-testid=integration-spotify-state]")?.textContent`
	banner := `document.querySelector("[data-testid=integrations-banner]")?.textContent`

	p.navigate(n.base + "/#signin=" + ticket)
	p.waitFor("the Integrations button", `!document.querySelector("[data-testid=integrations-open]").hidden`, 10*time.Second, "true")
	p.click("[data-testid=integrations-open]")
	p.waitFor("not connected", state, 5*time.Second, "Not connected")
	p.waitFor("the permission and why", card, time.Second, "user-read-currently-playing")

	p.click("[data-testid=spotify-connect]") // to Spotify and back
	p.waitFor("back from Spotify", banner, 10*time.Second, "Spotify is connected")
	p.waitFor("connected", state, 15*time.Second, "Connected")
	p.waitFor("the account", card, 5*time.Second, "Ana on Spotify")

	music.SetSpotify(music.SpotifyAccessOf("ana-sp"), &nowplayingfake.Track{Title: "Night Drive", Artist: "Synth Crew", Album: "Neon",
		DurationMS: 200000, ProgressMS: 5000, ID: "sp1"})
	var last string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && !strings.Contains(last, "Night Drive"); time.Sleep(100 * time.Millisecond) {
		_, last, _ = n.do("GET", n.base+"/records/stream_widgets/"+w.Data.ID, "")
	}
	if !strings.Contains(last, "Night Drive") || !strings.Contains(last, "Synth Crew") {
		t.Fatalf("the Spotify song did not reach the now-playing widget: %s", last)
	}

	p.eval(`(window.confirm = () => true) && "ok"`)
	p.click("[data-testid=spotify-disconnect]")
	p.waitFor("how to revoke on Spotify", banner, 5*time.Second, "Manage apps")
	p.waitFor("disconnected", state, 10*time.Second, "Not connected")
	if _, body, _ := n.do("GET", n.base+"/integrations/spotify", ""); !strings.Contains(body, `"connected":false`) {
		t.Fatalf("still connected after Disconnect: %s", body)
	}
}
