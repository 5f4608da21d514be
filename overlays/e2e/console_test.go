package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleValidatesEditsAndDeletes: the server's validation message shows
// next to the form; edits, the active switch and delete work and stick.
func TestConsoleValidatesEditsAndDeletes(t *testing.T) {
	srv := startServer(t)
	tab := browser(t)
	run(t, tab, chromedp.Navigate(srv.signInLink("dana")), chromedp.WaitVisible(`[data-testid=config-form]`))

	// A goal with target 0 is refused with the server's message; nothing is created.
	run(t, tab, chromedp.SetValue(`[data-testid=kind-select]`, "goal"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-testid=kind-select]").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(`[data-testid=field-target]`),
		chromedp.SetValue(`[data-testid=field-target]`, "0"), chromedp.Click(`[data-testid=save]`))
	waitFor(t, tab, "the validation message", text(`[data-testid=form-error]`), 5*time.Second, func(v string) bool {
		return strings.Contains(v, "target must be greater than 0")
	})
	if n := eval(t, tab, `document.querySelectorAll("[data-testid=widget-item]").length`); n != "0" {
		t.Fatalf("a refused create added %s widgets", n)
	}

	run(t, tab, chromedp.SetValue(`[data-testid=field-target]`, "50"), chromedp.SetValue(`[data-testid=field-unit]`, "subs"),
		chromedp.Click(`[data-testid=save]`), chromedp.WaitVisible(`[data-testid=action-increment]`))
	// Add 5 through the action button: the live state shows it.
	run(t, tab, chromedp.SetValue(`[data-testid=payload-increment]`, "5"), chromedp.Click(`[data-testid=action-increment]`))
	waitFor(t, tab, "the live state", text(`[data-testid=live-state]`), 5*time.Second, func(v string) bool { return v == "5 / 50 subs" })
	waitFor(t, tab, "the preview", `document.querySelector("[data-testid=preview]")?.contentDocument?.querySelector("[data-testid=goal-label]")?.textContent`,
		5*time.Second, func(v string) bool { return v == "5 / 50 subs" })

	// Rename and deactivate; a reload shows both stuck.
	run(t, tab, chromedp.SetValue(`[data-testid=field-name]`, "Sub train"), chromedp.Click(`[data-testid=save]`))
	waitFor(t, tab, "the new name", text(`[data-testid=detail-title]`), 5*time.Second, func(v string) bool { return v == "Sub train" })
	run(t, tab, chromedp.Click(`[data-testid=active-toggle]`))
	waitFor(t, tab, "the off badge", text(`[data-testid=widget-list]`), 5*time.Second, func(v string) bool { return strings.Contains(v, "off") })
	run(t, tab, chromedp.Reload(), chromedp.WaitVisible(`[data-testid=detail-title]`))
	if got := eval(t, tab, text(`[data-testid=widget-list]`)); !strings.Contains(got, "Sub train") || !strings.Contains(got, "off") {
		t.Fatalf("after a reload the list shows %q", got)
	}

	// Delete, confirmed: the list is empty and the create form is back.
	run(t, tab, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), chromedp.Click(`[data-testid=delete]`))
	waitFor(t, tab, "the empty list", `document.querySelectorAll("[data-testid=widget-item]").length`, 5*time.Second, func(v string) bool { return v == "0" })
	run(t, tab, chromedp.WaitVisible(`[data-testid=config-form]`))
	screenshot(t, tab, "console-after-delete")
}
