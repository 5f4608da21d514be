package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// loggedState is the part of an alert box's REST state this test reads.
type loggedState struct {
	Showing []struct {
		ID     string `json:"id"`
		Replay bool   `json:"replay"`
	} `json:"showing"`
	Log []struct {
		ID      string `json:"id"`
		Outcome string `json:"outcome"`
	} `json:"log"`
}

// TestConsoleShowsRecentAlerts: the widget page lists what the alert box's
// REST record keeps (state.log, which viewers' pushed state leaves out),
// newest first, refreshed as alerts finish, and Replay puts one back on
// stream. The console names no kind: any kind with a top-level state.log
// and a replay {id} action gets the same list.
func TestConsoleShowsRecentAlerts(t *testing.T) {
	t.Parallel() // its own server and browser
	srv := startServer(t)
	tab := browser(t)
	w := srv.widget("oli", `{"type":"alerts","title":"Alerts","config":{"gap":0}}`)
	actOn := func(action, body string) {
		t.Helper()
		if code, out := srv.rest("oli", "POST", "/records/stream_widgets/"+w.ID+"/actions/"+action, body); code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", action, body, code, out)
		}
	}
	state := func() loggedState {
		t.Helper()
		code, out := srv.rest("oli", "GET", "/records/stream_widgets/"+w.ID, "")
		var r struct{ Data struct{ State loggedState } }
		if err := json.Unmarshal(out, &r); code != http.StatusOK || err != nil {
			t.Fatalf("GET: %d %s", code, out)
		}
		return r.Data.State
	}
	showing := func(id string, replay bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if s := state(); len(s.Showing) > 0 && s.Showing[0].ID == id && s.Showing[0].Replay == replay {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("alert %s (replay %v) never showed: %+v", id, replay, state())
	}
	rows := `[...document.querySelectorAll("[data-testid=log-entry]")].map((li) => [li.dataset.id,
	  ...["log-type", "log-name", "log-amount", "log-outcome"].map((t) => li.querySelector("[data-testid=" + t + "]")?.textContent ?? ""),
	  li.querySelector("[data-testid=log-when]").textContent ? "when" : "no time"].join(" ")).join(" | ")`

	run(t, tab, chromedp.Navigate(srv.signInLink("oli")))
	waitFor(t, tab, "the empty history", text(`[data-testid=log-panel]`), 5*time.Second, func(v string) bool {
		return strings.Contains(v, "Recent alerts") && strings.Contains(v, "None yet")
	})

	// A cheer shows and is skipped: it is listed with what a streamer needs.
	actOn("enqueue", `{"type":"cheer","name":"Ana","amount":500,"message":"Love the stream","id":"e1"}`)
	showing("e1", false)
	actOn("skip", "")
	waitFor(t, tab, "the skipped cheer", rows, 5*time.Second, equals("e1 cheer Ana 500 skipped when"))
	// A follow after it comes first (newest first).
	actOn("enqueue", `{"type":"follow","name":"Ben","id":"e2"}`)
	showing("e2", false)
	actOn("skip", "")
	waitFor(t, tab, "the follow above the cheer", rows, 5*time.Second, equals("e2 follow Ben  skipped when | e1 cheer Ana 500 skipped when"))
	screenshot(t, tab, "console-recent-alerts")

	// Replay the cheer from its row: it is on stream again, then logged again.
	run(t, tab, chromedp.Click(`[data-testid=log-entry][data-id=e1] [data-testid=log-replay]`))
	waitFor(t, tab, "the replay's confirmation", text(`[data-testid=log-result]`), 5*time.Second, func(v string) bool { return strings.HasPrefix(v, "✓") })
	showing("e1", true)
	actOn("skip", "")
	waitFor(t, tab, "the replayed cheer on top", `document.querySelector("[data-testid=log-entry]")?.textContent`, 5*time.Second, func(v string) bool {
		return strings.Contains(v, "Ana") && strings.Contains(v, "replay") && strings.Contains(v, "skipped")
	})

	// A burst of changes over three seconds: the list follows, reading the
	// record at most once a second.
	recordURL := jsString(srv.base() + "/records/stream_widgets/" + w.ID)
	run(t, tab, chromedp.Evaluate[chromedp.Void](`window.__burstFrom = performance.now()`))
	actOn("pause", "")
	const burst = 28
	start := time.Now()
	for i := range burst {
		actOn("enqueue", fmt.Sprintf(`{"type":"follow","name":"Fan %d","id":"b%d"}`, i, i))
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 3 * time.Second / burst)))
	}
	actOn("clear", "")
	want := strconv.Itoa(3 + burst)
	waitFor(t, tab, "every cleared follow listed", `document.querySelectorAll("[data-testid=log-entry]").length`, 5*time.Second, equals(want))
	if top := eval(t, tab, text(`[data-testid=log-entry] [data-testid=log-outcome]`)); top != "cleared" {
		t.Fatalf("the newest entry's outcome is %q", top)
	}
	if n := len(state().Log); strconv.Itoa(n) != want {
		t.Fatalf("the record logs %d, the page lists %s", n, want)
	}
	reads := eval(t, tab, `performance.getEntriesByType("resource").filter((e) => e.name === `+recordURL+` && e.startTime >= window.__burstFrom).map((e) => Math.round(e.startTime)).join(",")`)
	var at []int
	for _, s := range strings.Split(reads, ",") {
		if n, err := strconv.Atoi(s); err == nil {
			at = append(at, n)
		}
	}
	if len(at) < 3 {
		t.Fatalf("over %v of changes the record was read at %v ms: the list did not follow", time.Since(start).Round(time.Millisecond), at)
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i] - at[i-1]; gap < 950 {
			t.Fatalf("the record was read %d ms apart (reads at %v ms): more than once a second", gap, at)
		}
	}
	t.Logf("%d changes in %v: %d reads of the record", burst+2, time.Since(start).Round(time.Millisecond), len(at))
}
