package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A watch party in real browsers: the host and an invited viewer on the
// room page, then the room's OBS view, all playing one media file served
// over HTTP with range requests. After play, pause and seek (from whoever
// the policy allows) every page's <video> must agree within 250 ms, and a
// page that reloads mid-play must pick up at the right position.

const syncTolerance = 250 * time.Millisecond

// roomMediaServer serves a generated 3-minute WAV (8 kHz mono PCM, which
// Chromium plays in a <video> element) on 127.0.0.1, with range requests.
func roomMediaServer(t *testing.T) string {
	t.Helper()
	wav := makeWAV(180)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/wav")
		http.ServeContent(w, r, "movie.wav", time.Time{}, bytes.NewReader(wav))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String() + "/movie.wav"
}

// makeWAV is seconds of a quiet 440 Hz tone, 8-bit mono PCM at 8 kHz.
func makeWAV(seconds int) []byte {
	const rate = 8000
	n := rate * seconds
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + n))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1)) // PCM
	w(uint16(1)) // mono
	w(uint32(rate))
	w(uint32(rate)) // bytes per second
	w(uint16(1))    // block align
	w(uint16(8))    // bits per sample
	b.WriteString("data")
	w(uint32(n))
	for i := range n {
		b.WriteByte(byte(128 + 20*math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return b.Bytes()
}

// sample is window.__room.sample(): a page's video position and when it was read.
type sample struct {
	Pos     float64 `json:"pos"`
	At      float64 `json:"at"`
	Playing bool    `json:"playing"`
	Rate    float64 `json:"rate"`
}

func sampleOf(t *testing.T, tab context.Context) sample {
	t.Helper()
	var s sample
	if err := json.Unmarshal([]byte(eval(t, tab, `JSON.stringify(window.__room.sample())`)), &s); err != nil {
		t.Fatalf("sample: %v", err)
	}
	return s
}

// gap is how far b's video is from a's, both taken to the same instant.
func gap(a, b sample) time.Duration {
	bAt := b.Pos
	if b.Playing {
		bAt += (a.At - b.At) * b.Rate
	}
	return time.Duration(math.Abs(bAt-a.Pos) * float64(time.Millisecond))
}

// converge waits until every tab's video agrees with the first within
// syncTolerance, in the given playing state, for several samples in a row;
// it returns the largest gap of the last round and the first tab's position.
func converge(t *testing.T, what string, playing bool, tabs ...context.Context) (time.Duration, float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	good := 0
	var worst time.Duration
	var last string
	for time.Now().Before(deadline) {
		ref := sampleOf(t, tabs[0])
		worst = 0
		ok := ref.Playing == playing
		for _, tab := range tabs[1:] {
			s := sampleOf(t, tab)
			g := gap(ref, s)
			worst = max(worst, g)
			if s.Playing != playing || g > syncTolerance {
				ok = false
			}
			last = fmt.Sprintf("ref %+v other %+v gap %v", ref, s, g)
		}
		if ok {
			if good++; good >= 4 {
				return worst, ref.Pos
			}
		} else {
			good = 0
		}
		time.Sleep(150 * time.Millisecond)
	}
	t.Fatalf("%s: pages did not agree within %v (playing=%v); last: %s", what, syncTolerance, playing, last)
	return 0, 0
}

func signInTo(t *testing.T, srv *server, tab context.Context, user, page string) {
	t.Helper()
	run(t, tab, chromedp.Navigate(srv.signInLink(user)))
	waitFor(t, tab, user+" signed in", text(`[data-testid=who]`), 10*time.Second, func(v string) bool { return strings.Contains(v, user) })
	run(t, tab, chromedp.Navigate(srv.base()+page))
}

func TestWatchPartyStaysInSyncInRealBrowsers(t *testing.T) {
	// Sequential (no t.Parallel): pages must agree within 250 ms.
	srv := startServer(t)
	media := roomMediaServer(t)
	alice, err := srv.app.Issuer.Mint("alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	roomID := createRoomREST(t, srv, alice, map[string]any{"title": "Movie night", "media_url": media, "invitees": []string{"bob"}})
	page := "/watch/" + roomID

	host := browser(t)
	viewer := newContext(t, host)
	signInTo(t, srv, host, "alice", page)
	waitFor(t, host, "the host's room", `document.querySelector("[data-testid=room-conn]").dataset.status`, 10*time.Second, func(v string) bool { return v == "open" })
	if ok := eval(t, host, `document.querySelector("video").canPlayType("audio/wav")`); ok == "" {
		t.Fatal("this Chromium cannot play WAV")
	}

	// The invited viewer accepts from the room page (no password needed).
	signInTo(t, srv, viewer, "bob", page)
	waitFor(t, viewer, "the invite", `document.querySelector("#join-what").textContent`, 10*time.Second, func(v string) bool { return strings.Contains(v, "alice invited you") })
	run(t, viewer, chromedp.Click(`[data-testid=join-button]`))
	waitFor(t, viewer, "the viewer's room", `document.querySelector("[data-testid=room-conn]").dataset.status`, 10*time.Second, func(v string) bool { return v == "open" })
	waitFor(t, host, "bob online", `document.querySelector("[data-user=bob]")?.dataset.online`, 5*time.Second, func(v string) bool { return v == "true" })

	// Under host_only the viewer's controls are off.
	if eval(t, viewer, `document.querySelector("[data-testid=room-play]").disabled`) != "true" {
		t.Fatal("a viewer's play button is enabled under host_only")
	}

	// Host plays.
	run(t, host, chromedp.Click(`[data-testid=room-play]`))
	worst, _ := converge(t, "after the host's play", true, host, viewer)
	t.Logf("play: pages within %v", worst.Round(time.Millisecond))

	// Host seeks to 1:00 while playing.
	run(t, host, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("[data-testid=room-seek]"); s.value = "60"; s.dispatchEvent(new Event("change")); })()`))
	waitFor(t, viewer, "the viewer at 1:00", `String(document.querySelector("video").currentTime >= 59.5)`, 5*time.Second, func(v string) bool { return v == "true" })
	worst, pos := converge(t, "after the host's seek", true, host, viewer)
	if pos < 60_000 || pos > 75_000 {
		t.Fatalf("after seeking to 60 s the host's video is at %.0f ms", pos)
	}
	t.Logf("seek: pages within %v", worst.Round(time.Millisecond))

	// The host makes bob a co-host; bob pauses, then plays.
	run(t, host, chromedp.Click(`[data-user=bob] button`))
	waitFor(t, viewer, "bob's controls", `String(document.querySelector("[data-testid=room-play]").disabled)`, 5*time.Second, func(v string) bool { return v == "false" })
	run(t, viewer, chromedp.Click(`[data-testid=room-play]`))
	worst, _ = converge(t, "after the co-host's pause", false, host, viewer)
	t.Logf("pause: pages within %v", worst.Round(time.Millisecond))
	run(t, viewer, chromedp.Click(`[data-testid=room-play]`))
	converge(t, "after the co-host's play", true, host, viewer)

	// A page that reconnects mid-play resumes at the right position.
	time.Sleep(time.Second)
	run(t, viewer, chromedp.Reload())
	waitFor(t, viewer, "the viewer back", `document.querySelector("[data-testid=room-conn]")?.dataset.status`, 10*time.Second, func(v string) bool { return v == "open" })
	worst, _ = converge(t, "after the viewer's reload", true, host, viewer)
	t.Logf("reload mid-play: pages within %v", worst.Round(time.Millisecond))

	// The OBS view of the room plays along, read-only.
	run(t, host, chromedp.Click(`[data-testid=room-obs]`))
	obsURL := waitFor(t, host, "the OBS link", `document.querySelector("[data-testid=room-obs-url]").value`, 5*time.Second, func(v string) bool { return strings.Contains(v, "#token=room.") })
	obs := newContext(t, host)
	run(t, obs, chromedp.Navigate(obsURL))
	worst, _ = converge(t, "the OBS view", true, host, viewer, obs)
	t.Logf("OBS view: within %v of the host", worst.Round(time.Millisecond))
	screenshot(t, host, "watch-party-host")

	// The host ends the room: every page stops and says so.
	run(t, host, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), chromedp.Click(`[data-testid=room-end]`))
	for _, tab := range []context.Context{host, viewer} {
		waitFor(t, tab, "the end notice", text(`[data-testid=room-notice]`), 5*time.Second, func(v string) bool { return strings.Contains(v, "ended") })
		if eval(t, tab, `String(document.querySelector("video").paused)`) != "true" {
			t.Fatal("a page still plays after the room ended")
		}
	}
}

// TestWatchPartyPasswordAndInbox: a stranger needs the password (a wrong
// one is refused on the page), and an invite shows in the invitee's console
// inbox until declined.
func TestWatchPartyPasswordAndInbox(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice, _ := srv.app.Issuer.Mint("alice", time.Hour)
	roomID := createRoomREST(t, srv, alice, map[string]any{"title": "Secret screening", "media_url": "/none.wav", "invitees": []string{"bob"}, "password": "popcorn"})

	tab := browser(t)
	signInTo(t, srv, tab, "carol", "/watch/"+roomID)
	waitFor(t, tab, "the password field", `String(!document.querySelector("#password-row").hidden)`, 10*time.Second, func(v string) bool { return v == "true" })
	run(t, tab, chromedp.SendKeys(`[data-testid=join-password]`, "butter"), chromedp.Click(`[data-testid=join-button]`))
	waitFor(t, tab, "the refusal", text(`[data-testid=join-error]`), 5*time.Second, func(v string) bool { return v == "Wrong password." })
	run(t, tab, chromedp.SendKeys(`[data-testid=join-password]`, "popcorn"), chromedp.Click(`[data-testid=join-button]`))
	waitFor(t, tab, "the room", `String(!document.querySelector("#room").hidden)`, 5*time.Second, func(v string) bool { return v == "true" })

	inbox := newContext(t, tab)
	run(t, inbox, chromedp.Navigate(srv.signInLink("bob")))
	sel := fmt.Sprintf(`#wp-invites li[data-room=%q]`, roomID)
	waitFor(t, inbox, "the invite in bob's inbox", `document.querySelector(`+jsString(sel)+`)?.textContent`, 10*time.Second, func(v string) bool { return strings.Contains(v, "Secret screening") && strings.Contains(v, "alice") })
	run(t, inbox, chromedp.Click(sel+` button`))
	waitFor(t, inbox, "the invite gone", `String(!!document.querySelector(`+jsString(sel)+`))`, 5*time.Second, func(v string) bool { return v == "false" })
}

func createRoomREST(t *testing.T, srv *server, token string, body map[string]any) string {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", srv.base()+"/watch-party/rooms", bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Data struct{ ID string } }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create room: %d %v", resp.StatusCode, err)
	}
	return out.Data.ID
}
