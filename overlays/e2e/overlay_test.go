package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func equals(want string) func(string) bool { return func(v string) bool { return v == want } }

// showsOnly reports whether the visible text is exactly these lines (blank lines aside).
func showsOnly(visible string, lines ...string) bool {
	var got []string
	for _, l := range strings.Split(visible, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			got = append(got, l)
		}
	}
	return strings.Join(got, "|") == strings.Join(lines, "|")
}

// TestOverlayRendersKindsByConvention: each kind's overlay is its module
// render/<type>.js, found by name; its styles are added once; appearance
// config becomes the look on stream, live.
func TestOverlayRendersKindsByConvention(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	cd := srv.widget("ana", `{"type":"countdown","config":{"title":"Back soon","duration":90}}`)
	goal := srv.widget("ana", `{"type":"goal","config":{"title":"Subs","target":10,"unit":"subs",
		"font_family":"Georgia, serif","font_size":40,"text_color":"#ff0000","accent_color":"#00ff00","align":"left","outline":false}}`)

	run(t, tab, chromedp.Navigate(srv.overlayURL(cd, "")))
	waitFor(t, tab, "the countdown", text(overlayTime), 5*time.Second, equals("01:30"))
	if got := eval(t, tab, text(overlayTitle)); got != "Back soon" {
		t.Fatalf("title %q", got)
	}
	loaded := eval(t, tab, `performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => p.includes("/render/")).join(",")`)
	if loaded != "/assets/js/render/countdown.js" {
		t.Fatalf("render modules loaded: %q (want only the countdown's)", loaded)
	}
	if n := eval(t, tab, `document.adoptedStyleSheets.length`); n != "2" {
		t.Fatalf("%s style sheets adopted, want the base look and the countdown's", n)
	}
	// The default look: a transparent page, white outlined text, the kind's sizes.
	look := eval(t, tab, `(() => { const r = getComputedStyle(document.querySelector(".sw-root"));
		return [getComputedStyle(document.body).backgroundColor, r.color, r.textAlign, r.fontSize, r.textShadow !== "none",
			getComputedStyle(document.querySelector("[data-testid=countdown-time]")).fontSize].join("|") })()`)
	if look != "rgba(0, 0, 0, 0)|rgb(255, 255, 255)|center|32px|true|220px" {
		t.Fatalf("default look %q", look)
	}
	screenshot(t, tab, "overlay-countdown-default")

	// A week-long subathon timer shows days, not 168 hours (issue 10).
	week := srv.widget("ana", `{"type":"countdown","config":{"title":"Subathon","duration":604800}}`)
	run(t, tab, chromedp.Navigate(srv.overlayURL(week, "")))
	waitFor(t, tab, "the week countdown", text(overlayTime), 5*time.Second, equals("7d 00:00:00"))

	run(t, tab, chromedp.Navigate(srv.overlayURL(goal, "")))
	waitFor(t, tab, "the goal", text(`[data-testid=goal-label]`), 5*time.Second, equals("0 / 10 subs"))
	styled := `(() => { const r = getComputedStyle(document.querySelector(".sw-root"));
		return [r.color, r.textAlign, r.fontSize, r.textShadow, r.fontFamily.split(",")[0],
			getComputedStyle(document.querySelector("[data-testid=goal-fill]")).backgroundColor,
			document.querySelector(".goal-box").getBoundingClientRect().left].join("|") })()`
	if got := eval(t, tab, styled); got != "rgb(255, 0, 0)|left|40px|none|Georgia|rgb(0, 255, 0)|48" {
		t.Fatalf("appearance on stream %q", got)
	}
	screenshot(t, tab, "overlay-goal-appearance")

	// A config change restyles the overlay live, without a reload.
	srv.update("ana", goal, `{"config":{"accent_color":"#0000ff","align":"right","outline":true}}`)
	waitFor(t, tab, "the new accent and alignment", `getComputedStyle(document.querySelector("[data-testid=goal-fill]")).backgroundColor + "|" + getComputedStyle(document.querySelector(".sw-root")).textAlign`,
		5*time.Second, equals("rgb(0, 0, 255)|right"))
	if sh := eval(t, tab, `getComputedStyle(document.querySelector(".sw-root")).textShadow`); sh == "none" {
		t.Fatal("outline turned on but the text has no outline")
	}
}

// TestOverlayNoticesOnlyInDebug (issue 10): viewers never see "Connecting…",
// "reconnecting" or an error box; #…&debug=1 shows them; a wrong token never
// shows a stale "Connecting…" beside its error.
func TestOverlayNoticesOnlyInDebug(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	parent := browser(t)
	wrong, wrongDebug, live, liveDebug := obsTab(t, parent), obsTab(t, parent), obsTab(t, parent), obsTab(t, parent)

	bad := record{ID: "abc", AccessToken: "not-a-real-token"}
	run(t, wrong, chromedp.Navigate(srv.overlayURL(bad, "")))
	run(t, wrongDebug, chromedp.Navigate(srv.overlayURL(bad, "debug=1")))
	waitFor(t, wrong, "the refused token", `document.querySelector("[data-testid=notice]").dataset.kind`, 5*time.Second, equals("revoked"))
	if got := eval(t, wrong, visibleText); got != "" {
		t.Fatalf("a wrong token shows %q to viewers", got)
	}
	waitFor(t, wrongDebug, "the refused token in debug", text(`[data-testid=notice]`), 5*time.Second, func(v string) bool { return strings.Contains(v, "no longer works") })
	if got := eval(t, wrongDebug, visibleText); strings.Contains(got, "Connecting") || !strings.Contains(got, "no longer works") {
		t.Fatalf("debug view of a wrong token shows %q", got)
	}
	if d := eval(t, wrongDebug, display(`[data-testid=status]`)); d != "none" {
		t.Fatalf("the connection status is still drawn (display %q) beside the error", d)
	}
	screenshot(t, wrongDebug, "overlay-debug-wrong-token")

	// A working link while the server restarts: the widget stays, the note is for debug only.
	cd := srv.widget("ana", `{"type":"countdown","config":{"title":"Back soon","duration":90}}`)
	run(t, live, chromedp.Navigate(srv.overlayURL(cd, "")))
	run(t, liveDebug, chromedp.Navigate(srv.overlayURL(cd, "debug=1")))
	waitFor(t, live, "the countdown", text(overlayTime), 5*time.Second, equals("01:30"))
	waitFor(t, liveDebug, "the countdown in debug", text(overlayTime), 5*time.Second, equals("01:30"))
	srv.stop()
	waitFor(t, live, "the lost connection", `document.body.dataset.status`, 5*time.Second, equals("reconnecting"))
	waitFor(t, liveDebug, "the debug note", visibleText, 5*time.Second, func(v string) bool { return strings.Contains(v, "Connection lost — reconnecting…") })
	if got := eval(t, live, visibleText); !showsOnly(got, "Back soon", "01:30") {
		t.Fatalf("while reconnecting viewers see %q, want the widget as it was", got)
	}
	screenshot(t, liveDebug, "overlay-debug-reconnecting")
	srv.start()
	waitFor(t, liveDebug, "the reconnect", `document.body.dataset.status`, 20*time.Second, equals("open"))
	if d := eval(t, liveDebug, display(`[data-testid=status]`)); d != "none" {
		t.Fatalf("the reconnecting note stays after the reconnect (display %q)", d)
	}
}

// TestOverlayInactiveWidget (issue 10): an inactive widget shows nothing on
// stream and comes back, restyled once, when it is turned on again.
func TestOverlayInactiveWidget(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	parent := browser(t)
	obs, dbg := obsTab(t, parent), obsTab(t, parent)
	cd := srv.widget("ana", `{"type":"countdown","config":{"title":"Back soon","duration":90}}`)
	run(t, obs, chromedp.Navigate(srv.overlayURL(cd, "")))
	run(t, dbg, chromedp.Navigate(srv.overlayURL(cd, "debug=1")))
	waitFor(t, obs, "the countdown", text(overlayTime), 5*time.Second, equals("01:30"))

	srv.update("ana", cd, `{"active":false}`)
	waitFor(t, obs, "nothing on stream", visibleText, 5*time.Second, equals(""))
	if n := eval(t, obs, `document.querySelector(".sw-root").childElementCount`); n != "0" {
		t.Fatalf("an inactive widget keeps %s elements", n)
	}
	waitFor(t, dbg, "the inactive note in debug", visibleText, 5*time.Second, func(v string) bool { return strings.Contains(v, "This widget is off") })
	screenshot(t, obs, "overlay-inactive")

	srv.update("ana", cd, `{"active":true}`)
	waitFor(t, obs, "the countdown back", text(overlayTime), 5*time.Second, equals("01:30"))
	waitFor(t, dbg, "the note gone", visibleText, 5*time.Second, func(v string) bool { return showsOnly(v, "Back soon", "01:30") })
	if n := eval(t, obs, `document.adoptedStyleSheets.length`); n != "2" {
		t.Fatalf("after a remount %s style sheets are adopted, want 2 (each once)", n)
	}

	// A widget created inactive never appears.
	off := srv.widget("ana", `{"type":"goal","active":false,"config":{"title":"Hidden goal","target":5}}`)
	run(t, obs, chromedp.Navigate(srv.overlayURL(off, "")))
	waitFor(t, obs, "the subscription", `document.body.dataset.widget`, 5*time.Second, equals("inactive"))
	if got := eval(t, obs, visibleText); got != "" {
		t.Fatalf("an inactive widget shows %q", got)
	}
}

// TestOverlayKindWithoutModule: a kind the overlay has no module for shows
// nothing on stream and says so in debug; type names are checked before any
// import.
func TestOverlayKindWithoutModule(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	seen := intercept(t, tab, func(string) (int, string) { return http.StatusNotFound, "" }, "*/assets/js/render/goal.js*", "*/assets/js/render/Goal*")
	goal := srv.widget("ana", `{"type":"goal","config":{"title":"Subs","target":10}}`)

	run(t, tab, chromedp.Navigate(srv.overlayURL(goal, "")))
	waitFor(t, tab, "the unsupported kind", `document.body.dataset.widget`, 5*time.Second, equals("unsupported"))
	if got := eval(t, tab, visibleText); got != "" {
		t.Fatalf("a kind without a module shows %q on stream", got)
	}
	run(t, tab, chromedp.Navigate("about:blank"), chromedp.Navigate(srv.overlayURL(goal, "debug=1")))
	waitFor(t, tab, "the debug notice", visibleText, 5*time.Second, func(v string) bool { return strings.Contains(v, "Unsupported widget") })
	screenshot(t, tab, "overlay-debug-unsupported")

	got := get(t, tab, chromedp.Evaluate[string](`import("/assets/js/mount.js").then(async (m) =>
		JSON.stringify([await m.loadKind("Goal"), await m.loadKind("../runtime"), await m.loadKind("a".repeat(33))]))`,
		chromedp.EvalAwaitPromise))
	if got != `[{"missing":true},{"missing":true},{"missing":true}]` {
		t.Fatalf("bad type names load %s", got)
	}
	for _, u := range seen.urls() {
		if strings.Contains(u, "/Goal") {
			t.Fatalf("a bad type name was requested: %s", u)
		}
	}
	if n := eval(t, tab, `performance.getEntriesByType("resource").filter((e) => e.name.includes("runtime.js")).length`); n != "1" {
		t.Fatalf("runtime.js fetched %s times: a type name escaped render/", n)
	}
}

// stubModule is a render module that logs what the runtime hands it.
const stubModule = `
export const css = ".kind-countdown .stub { color: rgb(1, 2, 3); }";
export function mount(root, ctx) {
  const log = (window.__log = window.__log || []);
  log.push(["mount", typeof ctx.action, typeof ctx.now, ctx.preview, Math.abs(ctx.now() - Date.now()) < 60000]);
  const p = document.createElement("p");
  p.className = "stub";
  root.append(p);
  return {
    render(w) { p.textContent = w.config.title; },
    async event(name, data, w) {
      log.push(["event", name, data, w.version]);
      if (name === "press") {
        const r = await ctx.action("start");
        log.push(["answer", r.success, r.code]);
      }
    },
  };
}`

// TestOverlayDispatchesWidgetEvents: WIDGET_EVENT messages reach the kind's
// view.event with the widget; ctx.action travels the page's socket (and the
// server refuses an owner action from a widget token); the preview never acts.
func TestOverlayDispatchesWidgetEvents(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	intercept(t, tab, func(string) (int, string) { return http.StatusOK, stubModule }, "*/assets/js/render/countdown.js*")
	withSocketShim(t, tab)
	cd := srv.widget("ana", `{"type":"countdown","config":{"title":"Stubbed","duration":90}}`)

	run(t, tab, chromedp.Navigate(srv.overlayURL(cd, "")))
	waitFor(t, tab, "the stub module", text(`.stub`), 5*time.Second, equals("Stubbed"))
	if c := eval(t, tab, `getComputedStyle(document.querySelector(".stub")).color`); c != "rgb(1, 2, 3)" {
		t.Fatalf("the module's css is not applied: %q", c)
	}
	send := func(msg string) {
		t.Helper()
		if ok := eval(t, tab, `window.__serverSends(`+msg+`)`); ok != "true" {
			t.Fatal("no open socket to deliver to")
		}
	}
	send(fmt.Sprintf(`{type:"WIDGET_EVENT", widgetId:"someone-else", event:"wrong", data:{}, version:1}`))
	send(fmt.Sprintf(`{type:"WIDGET_EVENT", widgetId:%q, event:"alert_started", data:{name:"Kim"}, version:%d}`, cd.ID, cd.Version))
	send(fmt.Sprintf(`{type:"WIDGET_EVENT", widgetId:%q, event:"press", data:null, version:%d}`, cd.ID, cd.Version))
	want := fmt.Sprintf(`[["mount","function","function",false,true],["event","alert_started",{"name":"Kim"},%d],["event","press",null,%d],["answer",false,"forbidden"]]`, cd.Version, cd.Version)
	waitFor(t, tab, "the events and the action's answer", `JSON.stringify(window.__log)`, 5*time.Second, equals(want))

	// The manager's preview: ctx.preview is true and actions never leave the page.
	run(t, tab, chromedp.Navigate("about:blank"), chromedp.Navigate(srv.overlayURL(cd, "preview=1")))
	waitFor(t, tab, "the stub in preview", text(`.stub`), 5*time.Second, equals("Stubbed"))
	send(fmt.Sprintf(`{type:"WIDGET_EVENT", widgetId:%q, event:"press", data:null, version:%d}`, cd.ID, cd.Version))
	want = fmt.Sprintf(`[["mount","function","function",true,true],["event","press",null,%d],["answer",false,"preview"]]`, cd.Version)
	waitFor(t, tab, "the preview's refusal to act", `JSON.stringify(window.__log)`, 5*time.Second, equals(want))

	// WIDGET_VIEWERS reaches a subscription's listener (the console shows it).
	tok, _ := srv.app.Issuer.Mint("ana", time.Hour)
	got := get(t, tab, chromedp.Evaluate[string](fmt.Sprintf(`import("/assets/js/runtime.js").then((m) => new Promise((resolve) => {
		const c = new m.Connection(%q);
		c.subscribe(%q, (msg, w) => {
			if (msg.type === "WIDGET_INITIAL_STATE") window.__serverSends({type: "WIDGET_VIEWERS", widgetId: %q, obs: 2, managers: 1});
			if (msg.type === "WIDGET_VIEWERS") { resolve([msg.obs, msg.managers, w.config.title].join("|")); c.stop(); }
		});
		c.start();
	}))`, tok, cd.ID, cd.ID), chromedp.EvalAwaitPromise))
	if got != "2|1|Stubbed" {
		t.Fatalf("the listener got WIDGET_VIEWERS as %q", got)
	}
}

// TestOverlayReceivesServerEvents: a kind's event published by the grain
// (now playing's track_started after a set_track) reaches the OBS page's
// view.event once, with the widget whose state it belongs to.
func TestOverlayReceivesServerEvents(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	tab := obsTab(t, browser(t))
	logger := strings.Replace(stubModule, `log.push(["event", name, data, w.version]);`,
		`log.push(["event", name, data && data.title, w.state && w.state.track && w.state.track.title]);`, 1)
	intercept(t, tab, func(string) (int, string) { return http.StatusOK, logger }, "*/assets/js/render/now_playing.js*")
	np := srv.widget("ana", `{"type":"now_playing","config":{"title":"Now playing"}}`)

	run(t, tab, chromedp.Navigate(srv.overlayURL(np, "")))
	waitFor(t, tab, "the stub module", text(`.stub`), 5*time.Second, equals("Now playing"))
	// The streamer's console (a user session) reports a track.
	tok, _ := srv.app.Issuer.Mint("ana", time.Hour)
	answer := get(t, tab, chromedp.Evaluate[string](fmt.Sprintf(`import("/assets/js/runtime.js").then((m) => new Promise((resolve) => {
		const c = new m.Connection(%q);
		c.addEventListener("status", async (ev) => {
			if (ev.detail.status !== "open") return;
			const r = await c.action(%q, "set_track", {title: "Blue Monday", artist: "New Order", source: "manual"});
			resolve(String(r.success) + (r.error || ""));
		});
		c.start();
	}))`, tok, np.ID), chromedp.EvalAwaitPromise))
	if answer != "true" {
		t.Fatalf("set_track answered %q", answer)
	}
	waitFor(t, tab, "track_started in view.event", `JSON.stringify(window.__log.filter((e) => e[0] === "event"))`, 5*time.Second,
		equals(`[["event","track_started","Blue Monday","Blue Monday"]]`))
	time.Sleep(500 * time.Millisecond) // and only once
	if got := eval(t, tab, `window.__log.filter((e) => e[0] === "event").length`); got != "1" {
		t.Fatalf("track_started reached the view %s times", got)
	}
}

// TestOverlayDeletedWidgetAfterReload (issue 10): a link whose widget was
// deleted says so in debug after a reload too (not "token regenerated"),
// and shows nothing on stream.
func TestOverlayDeletedWidgetAfterReload(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	parent := browser(t)
	obs, dbg := obsTab(t, parent), obsTab(t, parent)
	goal := srv.widget("ana", `{"type":"goal","config":{"title":"Subs","target":10}}`)
	run(t, obs, chromedp.Navigate(srv.overlayURL(goal, "")))
	run(t, dbg, chromedp.Navigate(srv.overlayURL(goal, "debug=1")))
	waitFor(t, dbg, "the goal", text(`[data-testid=goal-label]`), 5*time.Second, equals("0 / 10"))
	if code, out := srv.rest("ana", "DELETE", "/records/stream_widgets/"+goal.ID, ""); code/100 != 2 {
		t.Fatalf("delete: %d %s", code, out)
	}
	waitFor(t, dbg, "the deleted notice", visibleText, 5*time.Second, func(v string) bool { return strings.Contains(v, "This widget was deleted") })

	run(t, dbg, chromedp.Reload())
	waitFor(t, dbg, "the deleted notice after a reload", `document.querySelector("[data-testid=notice]").dataset.kind`, 5*time.Second, equals("deleted"))
	if got := eval(t, dbg, visibleText); !strings.Contains(got, "This widget was deleted") || strings.Contains(got, "Connecting") {
		t.Fatalf("after a reload the debug view shows %q", got)
	}
	screenshot(t, dbg, "overlay-debug-deleted")
	run(t, obs, chromedp.Reload())
	waitFor(t, obs, "the refused link", `document.body.dataset.status`, 5*time.Second, equals("revoked"))
	if got := eval(t, obs, visibleText); got != "" {
		t.Fatalf("a deleted widget's link shows %q on stream", got)
	}
}
