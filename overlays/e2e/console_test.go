package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
)

// TestConsoleValidatesEditsAndDeletes: the server's validation message shows
// next to the form; edits, the active switch and delete work and stick.
func TestConsoleValidatesEditsAndDeletes(t *testing.T) {
	t.Parallel() // its own server and browser
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
	// …and under the field it is about.
	if got := eval(t, tab, `document.querySelector("[data-testid=field-target]").closest(".field").querySelector(".field-error").textContent`); !strings.Contains(got, "target must be greater than 0") {
		t.Fatalf("the target field says %q", got)
	}
	if n := eval(t, tab, `document.querySelectorAll("[data-testid=widget-item]").length`); n != "0" {
		t.Fatalf("a refused create added %s widgets", n)
	}

	run(t, tab, chromedp.SetValue(`[data-testid=field-target]`, "50"), chromedp.SetValue(`[data-testid=field-unit]`, "subs"),
		chromedp.Click(`[data-testid=save]`), chromedp.WaitVisible(`[data-testid=action-increment]`))
	// Add 5 through the action's inline field: the preview shows it.
	run(t, tab, chromedp.SetValue(`[data-testid=payload-increment-by]`, "5"), chromedp.Click(`[data-testid=action-increment]`))
	waitFor(t, tab, "the preview", previewText(`[data-testid=goal-label]`), 5*time.Second, func(v string) bool { return v == "5 / 50 subs" })

	// Rename and deactivate; a reload shows both stuck.
	run(t, tab, chromedp.SetValue(`[data-testid=field-name]`, "Sub train"), chromedp.Click(`[data-testid=save]`))
	waitFor(t, tab, "the new name", text(`[data-testid=detail-title]`), 5*time.Second, func(v string) bool { return v == "Sub train" })
	run(t, tab, chromedp.Click(`[data-testid=active-toggle]`))
	waitFor(t, tab, "the off badge", text(`[data-testid=widget-list]`), 5*time.Second, func(v string) bool { return strings.Contains(v, "off") })
	// Off: the preview shows what the stream shows (nothing) and says so; the controls are disabled.
	waitFor(t, tab, "the preview's off label", `!document.querySelector("[data-testid=preview-off]").hidden`, 5*time.Second, func(v string) bool { return v == "true" })
	// The label is the console's; the preview's overlay hears of it on its
	// own socket, a moment later.
	waitFor(t, tab, "the preview showing nothing", previewText(`[data-testid=goal-label]`), 5*time.Second, equals(""))
	if got := eval(t, tab, `document.querySelector("[data-testid=action-increment]").disabled + "|" + !document.querySelector("[data-testid=actions-off]").hidden`); got != "true|true" {
		t.Fatalf("controls of an inactive widget (disabled|note shown): %s", got)
	}
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

// previewText reads an element's text inside the console's live preview.
func previewText(sel string) string {
	return fmt.Sprintf(`document.querySelector("[data-testid=preview]")?.contentDocument?.querySelector(%q)?.textContent`, sel)
}

// consoleFiles are the console's own sources (the overlay runtime and the
// kinds' render modules are shared with OBS pages and not checked here).
var consoleFiles = []string{"console.html", "console.css", "js/console.js", "js/detail.js", "js/form.js",
	"js/schema_form.js", "js/actions.js", "js/preview.js", "js/api.js", "js/dom.js", "js/duration.js",
	"js/control_token.js", "js/log_panel.js"}

// TestConsoleHasNoKindSpecificCode (issue 11): adding a kind needs no console
// change, so no console source names a kind's type as a string or imports a
// kind's render module.
func TestConsoleHasNoKindSpecificCode(t *testing.T) {
	t.Parallel()
	var types []string
	for _, info := range kinds.Default().Infos() {
		types = append(types, regexp.QuoteMeta(info.Type))
	}
	named := regexp.MustCompile("[\"'`](" + strings.Join(types, "|") + ")[\"'`]|render/[a-z_]+\\.js")
	for _, name := range consoleFiles {
		src, err := os.ReadFile(filepath.Join("..", "static", name))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if m := named.FindString(line); m != "" {
				t.Errorf("%s:%d names a kind (%s): %s", name, i+1, m, strings.TrimSpace(line))
			}
		}
	}
}
