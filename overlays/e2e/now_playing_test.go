package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// albumArt is a 300x300 PNG, served in place of a CDN's album art.
func albumArt(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 300, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 300; x++ {
			img.Set(x, y, color.RGBA{uint8(40 + x/2), uint8(20 + y/3), uint8(200 - y/3), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestNowPlayingOverlayFollowsTheTrack: the card shows the reported track
// with its album art from another site, its progress bar moves in the page
// without server ticks, the server's timer turns it into the last known
// track at its end, and markup in a title is shown as text.
func TestNowPlayingOverlayFollowsTheTrack(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	art := albumArt(t)
	intercept(t, tab, func(string) (int, string) { return http.StatusOK, art }, "https://art.example/*")
	np := srv.widget("ana", `{"type":"now_playing","config":{"title":"Now playing"}}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(np, "")))
	waitFor(t, tab, "nothing known yet", text("[data-testid=np-idle]"), 5*time.Second, equals("No music playing"))

	started := time.Now().Add(-75 * time.Second).UTC().Format(time.RFC3339Nano)
	srv.act("ana", np, "set_track", fmt.Sprintf(`{"title":"Midnight Drive","artist":"Neon Coast","album":"Night Shift",
		"art_url":"https://art.example/night-shift.png","started_at":%q,"duration_ms":214000,"source":"pretzel"}`, started))
	waitFor(t, tab, "the track", texts(".np-caption, .np-title, .np-artist, .np-album"), 5*time.Second,
		equals("Now playing|Midnight Drive|Neon Coast|Night Shift"))
	waitFor(t, tab, "the album art from another site", `document.querySelector("[data-testid=np-art]").naturalWidth + "|" + document.querySelector("[data-testid=np-art]").hidden`,
		5*time.Second, equals("300|false"))
	first := waitFor(t, tab, "the progress", text("[data-testid=np-time]"), 5*time.Second, func(v string) bool { return strings.HasPrefix(v, "1:1") && strings.HasSuffix(v, " / 3:34") })
	waitFor(t, tab, "the progress moving in the page", text("[data-testid=np-time]"), 3*time.Second, func(v string) bool { return v != first })
	width := eval(t, tab, `parseFloat(document.querySelector("[data-testid=np-fill]").style.width)`)
	if w, _ := strconv.ParseFloat(width, 64); w < 34 || w > 40 {
		t.Fatalf("progress bar at %s%%, want about 76/214", width)
	}
	widgetShot(t, tab, "now_playing")

	// A short track: the server's timer ends it and the card shows it as the last one played.
	srv.act("ana", np, "set_track", `{"title":"<script>window.__pwned=1</script>","artist":"{{artist}}","duration_ms":2500,"source":"pretzel"}`)
	waitFor(t, tab, "the markup as text", texts(".np-title, .np-artist"), 5*time.Second, equals("<script>window.__pwned=1</script>|{{artist}}"))
	if got := eval(t, tab, `String(document.querySelectorAll(".sw-root script").length) + "|" + String(window.__pwned)`); got != "0|undefined" {
		t.Fatalf("a title was rendered as HTML: %s", got)
	}
	if got := eval(t, tab, `document.querySelector("[data-testid=np-art]").hidden`); got != "true" {
		t.Fatal("the previous track's art stays on a track without art")
	}
	waitFor(t, tab, "the last known track at its end", `document.querySelector(".sw-root").dataset.mode + "|" + `+text(".np-caption"), 6*time.Second,
		equals("last|Last played"))
	if d := eval(t, tab, display(".np-progress")); d != "none" {
		t.Fatalf("the last known track still draws a progress bar (display %q)", d)
	}

	// "Nothing playing" as a text, then hidden.
	srv.update("ana", np, `{"config":{"idle":"text","idle_text":"Music paused"}}`)
	waitFor(t, tab, "the idle text", visibleText, 5*time.Second, equals("Music paused"))
	srv.update("ana", np, `{"config":{"idle":"hide"}}`)
	waitFor(t, tab, "nothing on stream", visibleText, 5*time.Second, equals(""))
	srv.act("ana", np, "set_track", `{"title":"Back again","artist":"Neon Coast"}`)
	waitFor(t, tab, "a new track after idle", text(".np-title"), 5*time.Second, equals("Back again"))
	srv.act("ana", np, "clear", `{}`)
	waitFor(t, tab, "cleared and hidden", visibleText, 5*time.Second, equals(""))
}
