package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// unreachable lists the page's controls a user cannot reach: wider than the
// screen, without size, or covered by something else where a finger lands.
// Collapsed sections are opened first so their controls count too.
const unreachable = `((scope) => {
  const bad = [];
  const name = (el) => (el.dataset.testid || el.getAttribute("aria-label") || el.textContent.trim().slice(0, 30) || el.tagName) + "<" + el.tagName.toLowerCase() + ">";
  document.querySelectorAll("details").forEach((d) => (d.open = true));
  const controls = [...document.querySelectorAll(scope)]
    .filter((el) => !el.closest("[hidden]") && !el.closest("dialog:not([open])"));
  for (const el of controls) {
    el.scrollIntoView({ block: "center", inline: "nearest" });
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) { bad.push(name(el) + " has no size"); continue; }
    if (r.left < -0.5 || r.right > innerWidth + 0.5) { bad.push(name(el) + " is outside the screen: " + Math.round(r.left) + ".." + Math.round(r.right)); continue; }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    const ok = hit && (hit === el || el.contains(hit) || (hit.tagName === "LABEL" && hit.control === el));
    if (!ok) bad.push(name(el) + " is covered by " + (hit ? hit.tagName + "." + hit.className : "nothing"));
  }
  window.scrollTo(0, 0);
  return JSON.stringify({ count: controls.length, bad, overflow: document.scrollingElement.scrollWidth - innerWidth });
})`

// pageControls are the page's controls (a closed dialog's are skipped);
// dialogControls those of the open dialog.
const (
	pageControls   = "header button, main button, main input, main select, main textarea, main summary, section:not([hidden]) button, section:not([hidden]) input, section:not([hidden]) summary"
	dialogControls = "dialog[open] button, dialog[open] input, dialog[open] select, dialog[open] textarea"
)

type reach struct {
	Count    int      `json:"count"`
	Bad      []string `json:"bad"`
	Overflow int      `json:"overflow"`
}

func checkReachable(t *testing.T, tab context.Context, where string, atLeast int) {
	t.Helper()
	checkReachableIn(t, tab, where, pageControls, atLeast)
}

func checkReachableIn(t *testing.T, tab context.Context, where, scope string, atLeast int) {
	t.Helper()
	var r reach
	if err := json.Unmarshal([]byte(eval(t, tab, unreachable+"("+jsString(scope)+")")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Count < atLeast {
		t.Fatalf("%s: only %d controls found", where, r.Count)
	}
	if r.Overflow > 0 {
		t.Errorf("%s: the page scrolls sideways by %d px", where, r.Overflow)
	}
	for _, b := range r.Bad {
		t.Errorf("%s: %s", where, b)
	}
}

// docShot saves the visible part of the page as docs/<name>.png (the README shows them).
func docShot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	png := get(t, tab, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join("..", "..", "docs", name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleOnAPhone (issue 10): at 390 px wide the console is one column,
// nothing scrolls sideways and every control can be reached and tapped; at
// 1400 px the list sits beside the widget. Screenshots of both go to
// .artifacts/browser/ and docs/.
func TestConsoleOnAPhone(t *testing.T) {
	t.Parallel() // its own server and browser
	srv := startServer(t)
	tab := browser(t)
	cd := srv.widget("sam", `{"type":"countdown","title":"Starting soon (main scene)","config":{"text":"Grab a drink, we start in a moment","duration":600}}`)
	srv.widget("sam", `{"type":"goal","title":"Sub goal","config":{"target":50,"unit":"subs"}}`)
	obs := obsTab(t, tab)
	run(t, obs, chromedp.Navigate(srv.overlayURL(cd, "")))
	waitFor(t, obs, "the overlay", text(overlayTime), 5*time.Second, equals("10:00"))

	run(t, tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(srv.signInLink("sam")))
	run(t, tab, chromedp.Click(`[data-testid=widget-item][data-id="`+cd.ID+`"] button`))
	waitFor(t, tab, "the countdown", text(`[data-testid=detail-title]`), 5*time.Second, equals("Starting soon (main scene)"))
	run(t, tab, chromedp.Click(`[data-testid=action-start]`))
	waitFor(t, tab, "the preview", previewText(overlayTime), 5*time.Second, func(v string) bool { return strings.HasPrefix(v, "09:") })
	if cols := eval(t, tab, `getComputedStyle(document.getElementById("app")).gridTemplateColumns.split(" ").length + "|" + getComputedStyle(document.getElementById("detail")).gridTemplateColumns.split(" ").length`); cols != "1|1" {
		t.Fatalf("columns (app|detail) at 390 px: %s", cols)
	}
	checkReachable(t, tab, "widget at 390 px", 15)
	docShot(t, tab, "console-phone")
	screenshot(t, tab, "console-phone")

	// The create form, with its collapsed Appearance section open.
	run(t, tab, chromedp.Click(`[data-testid=new-widget]`), chromedp.WaitVisible(`[data-testid=config-form]`))
	checkReachable(t, tab, "create form at 390 px", 10)
	screenshot(t, tab, "console-phone-create")

	// The same console on a desktop: the list beside the widget.
	run(t, tab, chromedp.EmulateViewport(1400, 1000), chromedp.Reload())
	run(t, tab, chromedp.Click(`[data-testid=widget-item][data-id="`+cd.ID+`"] button`))
	waitFor(t, tab, "the countdown", text(`[data-testid=detail-title]`), 5*time.Second, equals("Starting soon (main scene)"))
	waitFor(t, tab, "the preview", previewText(overlayTime), 5*time.Second, func(v string) bool { return strings.HasPrefix(v, "09:") })
	if cols := eval(t, tab, `getComputedStyle(document.getElementById("app")).gridTemplateColumns.split(" ").length`); cols != "2" {
		t.Fatalf("columns at 1400 px: %s", cols)
	}
	checkReachable(t, tab, "widget at 1400 px", 15)
	run(t, tab, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("details").forEach((d) => (d.open = false))`))
	docShot(t, tab, "console")
	screenshot(t, tab, "console-desktop")
}

// TestConsoleSignInOnAPhone (issue 10): the sign-in command wraps instead of
// being cut off, and the header never says "offline" before the console has
// tried to connect (nor on the sign-in page, where it does not connect).
func TestConsoleSignInOnAPhone(t *testing.T) {
	t.Parallel() // its own server and browser
	srv := startServer(t)
	tab := browser(t)
	// Record every state of the connection badge from the first paint.
	const recorder = `window.__conn = [];
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("conn");
  const log = () => window.__conn.push(el.hidden ? "(hidden)" : el.textContent);
  log();
  new MutationObserver(log).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
});`
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recorder}); err != nil {
		t.Fatal(err)
	}
	run(t, tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(srv.base()+"/"))
	run(t, tab, chromedp.WaitVisible(`[data-testid=signin-command]`))
	if got := eval(t, tab, `(() => { const p = document.querySelector("[data-testid=signin-command]"); const r = p.getBoundingClientRect();
		return [p.scrollWidth <= p.clientWidth, r.left >= 0 && r.right <= innerWidth, document.scrollingElement.scrollWidth <= innerWidth].join("|") })()`); got != "true|true|true" {
		t.Fatalf("sign-in command (fits its box|on screen|no sideways scroll): %s", got)
	}
	if got := eval(t, tab, `window.__conn.join(",")`); strings.Contains(got, "offline") {
		t.Fatalf("the sign-in page's header says %q", got)
	}
	checkReachable(t, tab, "sign-in at 390 px", 3)
	screenshot(t, tab, "console-signin-phone")

	// The link pasted into the same tab (only the fragment changes).
	run(t, tab, chromedp.Navigate(srv.signInLink("sam")))
	waitFor(t, tab, "the live badge", text(`[data-testid=conn-status]`), 5*time.Second, equals("live"))
	if got := eval(t, tab, `window.__conn.join(",")`); strings.Contains(got, "offline") {
		t.Fatalf("before connecting the header said %q", got)
	}
}
