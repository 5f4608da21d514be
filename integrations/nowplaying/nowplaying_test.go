package nowplaying_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/integrationstest"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying/nowplayingfake"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

var quick = nowplaying.Poll{Min: 30 * time.Millisecond, Max: 60 * time.Millisecond}

func run(t *testing.T, src nowplaying.Source, sink *integrationstest.Sink) *integrationstest.Host {
	return integrationstest.StartHost(t, "music", []supervise.Child{nowplaying.Part("nowplaying", src, "alice", sink, quick, integrationstest.Logger(t))},
		supervise.Policy{}, integrationstest.Logger(t))
}

func tracks(sink *integrationstest.Sink) []string {
	var out []string
	for _, d := range sink.Deliveries(nowplaying.WidgetType, "") {
		if d.Action.Name == "clear" {
			out = append(out, "clear")
			continue
		}
		out = append(out, fmt.Sprint(d.Payload["title"]))
	}
	return out
}

func waitTracks(t *testing.T, sink *integrationstest.Sink, want ...string) {
	t.Helper()
	integrationstest.Eventually(t, 3*time.Second, func() error {
		if got := tracks(sink); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("deliveries %v, want %v", got, want)
		}
		return nil
	})
}

// TestPretzelSetsOnChangeAndKeepsTheLastTrack: one delivery per track
// however often it is polled; an API failure or "nothing playing" leaves
// the last track on screen.
func TestPretzelSetsOnChangeAndKeepsTheLastTrack(t *testing.T) {
	fake := nowplayingfake.New(t)
	sink := integrationstest.NewSink()
	fake.SetPretzel("100", &nowplayingfake.Track{ID: "t1", Title: "Lofi Beat", Artist: "Chill Cat", Album: "Naps", ArtURL: "https://img/1.jpg"})
	h := run(t, nowplaying.Pretzel{Base: fake.URL(), ChannelID: "100"}, sink)

	waitTracks(t, sink, "Lofi Beat")
	d := sink.Deliveries(nowplaying.WidgetType, "set_track")[0].Payload
	if d["artist"] != "Chill Cat" || d["album"] != "Naps" || d["art_url"] != "https://img/1.jpg" || d["source"] != "pretzel" {
		t.Fatalf("set_track: %v", d)
	}
	polls := fake.Calls("pretzel")
	fake.Fail("pretzel", http.StatusBadGateway, http.StatusInternalServerError)
	integrationstest.Eventually(t, 3*time.Second, func() error {
		if fake.Calls("pretzel") < polls+4 {
			return fmt.Errorf("%d polls", fake.Calls("pretzel"))
		}
		return nil
	})
	fake.SetPretzel("100", nil)
	time.Sleep(200 * time.Millisecond)
	waitTracks(t, sink, "Lofi Beat") // failures and "nothing" kept it
	fake.SetPretzel("100", &nowplayingfake.Track{ID: "t2", Title: "Rain", Artist: "Chill Cat"})
	waitTracks(t, sink, "Lofi Beat", "Rain")
	st := h.Status(t)
	if st.State != integrations.StateConnected || st.Components[0].Detail != "pretzel: playing Rain by Chill Cat" {
		t.Fatalf("status: %+v", st.Components)
	}
}

func TestPollsAreJitteredAndIdleWithoutWidgets(t *testing.T) {
	fake := nowplayingfake.New(t)
	sink := integrationstest.NewSink()
	sink.SetWidgets(nowplaying.WidgetType) // none
	fake.SetPretzel("100", &nowplayingfake.Track{Title: "x", Artist: "y"})
	run(t, nowplaying.Pretzel{Base: fake.URL(), ChannelID: "100"}, sink)
	time.Sleep(1500 * time.Millisecond)
	if n := fake.Calls("pretzel"); n != 0 {
		t.Fatalf("%d Pretzel calls without a now-playing widget", n)
	}
	sink.SetWidgets(nowplaying.WidgetType, "np1")
	waitTracks(t, sink, "x")
	start := fake.Calls("pretzel")
	time.Sleep(time.Second)
	// Waits are 30-60 ms: between ~16 and ~33 polls a second.
	if n := fake.Calls("pretzel") - start; n < 12 || n > 36 {
		t.Fatalf("%d polls in 1 s with waits of 30-60 ms", n)
	}
	// A second widget gets the current track without a change.
	sink.SetWidgets(nowplaying.WidgetType, "np1", "np2")
	waitTracks(t, sink, "x", "x")
}

func TestSpotifyIdleClearsAndAnExpiredTokenIsRefreshed(t *testing.T) {
	fake := nowplayingfake.New(t)
	sink := integrationstest.NewSink()
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	keys, _ := seal.ParseKeyring(storetest.NewCredentialKey("k1"))
	creds := bolt.NewCredentials(st, keys)
	if _, err := creds.PutCredentials(context.Background(), "alice", nowplaying.SpotifyService,
		persistence.Credentials{AccessToken: "old-access", RefreshToken: "refresh-1"}, 0); err != nil {
		t.Fatal(err)
	}
	fake.SpotifyToken("refresh-1", "new-access")
	fake.SetSpotify("new-access", &nowplayingfake.Track{ID: "sp1", Title: "Song", Artist: "Band", Album: "LP", DurationMS: 200000})
	run(t, &nowplaying.Spotify{APIBase: fake.URL() + "/v1", TokenURL: fake.URL() + "/api/token", ClientID: "c", ClientSecret: "s",
		Owner: "alice", Creds: creds}, sink)

	waitTracks(t, sink, "Song")
	if got, _ := creds.GetCredentials(context.Background(), "alice", nowplaying.SpotifyService); got.AccessToken != "new-access" || got.Version != 2 {
		t.Fatalf("refreshed token not stored: version %d", got.Version)
	}
	if d := sink.Deliveries(nowplaying.WidgetType, "set_track")[0].Payload; d["duration_ms"] != float64(200000) || d["source"] != "spotify" {
		t.Fatalf("set_track: %v", d)
	}
	fake.SetSpotify("new-access", nil) // 204: nothing plays
	waitTracks(t, sink, "Song", "clear")
	fake.Fail("spotify", http.StatusTooManyRequests)
	fake.SetSpotify("new-access", &nowplayingfake.Track{ID: "sp2", Title: "Next", Artist: "Band"})
	waitTracks(t, sink, "Song", "clear", "Next")
}

func TestLastfmNowPlaying(t *testing.T) {
	fake := nowplayingfake.New(t)
	sink := integrationstest.NewSink()
	fake.SetLastfm("dj", &nowplayingfake.Track{Title: "Scrobbled", Artist: "Artist", Album: "Album", ArtURL: "https://img/xl.jpg"})
	run(t, nowplaying.Lastfm{Base: fake.URL(), APIKey: fake.LastfmKey(), User: "dj"}, sink)
	waitTracks(t, sink, "Scrobbled")
	if d := sink.Deliveries(nowplaying.WidgetType, "set_track")[0].Payload; d["art_url"] != "https://img/xl.jpg" {
		t.Fatalf("the largest image is not used: %v", d)
	}
	fake.SetLastfm("dj", nil) // only past tracks: nothing plays now
	waitTracks(t, sink, "Scrobbled", "clear")
}
