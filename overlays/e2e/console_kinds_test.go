package e2e

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
)

// TestConsoleWorksForEveryKind (issue 11): every shipped kind can be created
// from the console with its defaults, gets one button per action a person
// presses (none for hidden or viewer-only ones), a preview drawn by its render
// module, and a page whose every control is reachable on a 390 px phone.
func TestConsoleWorksForEveryKind(t *testing.T) {
	t.Parallel() // its own server and browser
	srv := startServer(t)
	tab := browser(t)
	run(t, tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(srv.signInLink("kim")), chromedp.WaitVisible(`[data-testid=config-form]`))
	for _, info := range kinds.Default().Infos() {
		t.Run(info.Type, func(t *testing.T) {
			run(t, tab, chromedp.Click(`[data-testid=new-widget]`), chromedp.WaitVisible(`[data-testid=kind-select]`),
				chromedp.SetValue(`[data-testid=kind-select]`, info.Type),
				chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-testid=kind-select]").dispatchEvent(new Event("change"))`),
				chromedp.SetValue(`[data-testid=field-name]`, "My "+info.Name), chromedp.Click(`[data-testid=save]`))
			waitFor(t, tab, "the new widget", text(`[data-testid=detail-title]`)+` + "|" + `+text(`[data-testid=form-error]`), 5*time.Second,
				func(v string) bool { return strings.HasPrefix(v, "My "+info.Name+"|") || !strings.HasSuffix(v, "|") })
			if msg := eval(t, tab, text(`[data-testid=form-error]`)); msg != "" && !strings.Contains(msg, "Saved") {
				t.Fatalf("creating a %s with its defaults: %s", info.Type, msg)
			}

			var want []string
			for _, a := range info.Actions {
				if !a.Hidden && a.Access != kinds.AccessViewer {
					want = append(want, "action-"+a.Name)
				}
			}
			sort.Strings(want)
			got := eval(t, tab, `[...document.querySelectorAll("button[data-testid^=action-]")].map((b) => b.dataset.testid).sort().join(",")`)
			if got != strings.Join(want, ",") {
				t.Fatalf("action buttons %q, want %q", got, strings.Join(want, ","))
			}
			waitFor(t, tab, "the preview's module", `document.querySelector("[data-testid=preview]").dataset.status`, 5*time.Second, equals("ready"))
			checkReachable(t, tab, info.Type+" at 390 px", 10)
			screenshot(t, tab, "console-kind-"+info.Type)
			// Actions with several fields ask in a dialog that fits the phone too.
			for _, name := range want {
				dialog := `document.querySelector("[data-testid=dialog-` + strings.TrimPrefix(name, "action-") + `]")`
				if eval(t, tab, `!!`+dialog) != "true" {
					continue
				}
				run(t, tab, chromedp.Click(`[data-testid=`+name+`]`))
				waitFor(t, tab, "the dialog", dialog+`.open`, 3*time.Second, equals("true"))
				checkReachableIn(t, tab, info.Type+" "+name+" dialog at 390 px", dialogControls, 2)
				screenshot(t, tab, "console-kind-"+info.Type+"-"+name)
				run(t, tab, chromedp.Evaluate[chromedp.Void](dialog+`.close()`))
			}
		})
	}
}
