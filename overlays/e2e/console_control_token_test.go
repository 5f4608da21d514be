package e2e

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleControlToken (issue 10, Stream Deck / bots): the widget page
// makes a control token, shows it once with a ready example that works as
// pasted, then only says one exists; Replace stops the old one, Revoke stops
// it. The token is never kept by the page: not in storage, not in the
// address, not in the document once its dialog is closed.
func TestConsoleControlToken(t *testing.T) {
	t.Parallel() // its own server and browser
	srv := startServer(t)
	tab := browser(t)
	cd := srv.widget("nia", `{"type":"countdown","title":"BRB","config":{"duration":300}}`)
	run(t, tab, chromedp.Navigate(srv.signInLink("nia")))
	status := text(`[data-testid=control-token-status]`)
	waitFor(t, tab, "no token yet", status, 5*time.Second, func(v string) bool { return strings.Contains(v, "No control token") })

	token, example := createToken(t, tab, `[data-testid=control-token-create]`)
	wantURL := srv.base() + "/records/stream_widgets/" + cd.ID + "/actions/start"
	if !strings.HasPrefix(token, "swc_") || example != `curl -X POST -H "Authorization: Bearer `+token+`" `+wantURL {
		t.Fatalf("token %q, example %q", token, example)
	}
	if warn := eval(t, tab, text(`[data-testid=control-token-dialog] [role=alert]`)); !strings.Contains(warn, "Shown once") {
		t.Fatalf("the dialog does not warn the token is shown once: %q", warn)
	}
	screenshot(t, tab, "console-control-token")
	notKept(t, tab, token, true)

	// The example works as pasted into a shell: the timer starts.
	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command("sh", "-c", example+" -sS -w ' %{http_code}'").CombinedOutput()
		if err != nil || !strings.HasSuffix(string(out), " 200") {
			t.Fatalf("the example as pasted: %v %s", err, out)
		}
	} else if code := act(t, wantURL, token); code != http.StatusOK {
		t.Fatalf("the control token could not start the timer: %d", code)
	}
	waitFor(t, tab, "the timer running in the preview", previewText(overlayTime), 5*time.Second, func(v string) bool { return v != "" && seconds(v) < 300 })

	// Closed: the token is gone from the page; it says a token exists.
	run(t, tab, chromedp.Click(`[data-testid=control-token-done]`))
	waitFor(t, tab, "the dialog gone", `!!document.querySelector("[data-testid=control-token-dialog]")`, 3*time.Second, equals("false"))
	notKept(t, tab, token, false)
	if got := eval(t, tab, status); !strings.Contains(got, "A control token exists") {
		t.Fatalf("after closing, the page says %q", got)
	}
	run(t, tab, chromedp.Reload())
	waitFor(t, tab, "the token's existence after a reload", status, 5*time.Second, func(v string) bool { return strings.Contains(v, "A control token exists") })
	notKept(t, tab, token, false)
	if got := eval(t, tab, `[...document.querySelectorAll("[data-testid^=control-token-]")].filter((b) => b.tagName === "BUTTON" && !b.hidden).map((b) => b.textContent).join(",")`); got != "Replace,Revoke" {
		t.Fatalf("with a token, the buttons are %q", got)
	}

	// Replace: the old token is refused at once, the new one works.
	pause := srv.base() + "/records/stream_widgets/" + cd.ID + "/actions/pause"
	run(t, tab, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`))
	fresh, _ := createToken(t, tab, `[data-testid=control-token-replace]`)
	if fresh == token || !strings.HasPrefix(fresh, "swc_") {
		t.Fatalf("replace gave %q (old %q)", fresh, token)
	}
	if code := act(t, pause, token); code != http.StatusNotFound && code != http.StatusUnauthorized {
		t.Fatalf("the replaced token still works: %d", code)
	}
	if code := act(t, pause, fresh); code != http.StatusOK {
		t.Fatalf("the new token: %d", code)
	}
	run(t, tab, chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-testid=control-token-dialog]").close()`)) // Esc or Done
	notKept(t, tab, fresh, false)

	// Revoke: refused; the page offers to create one again.
	run(t, tab, chromedp.Click(`[data-testid=control-token-revoke]`))
	waitFor(t, tab, "no token after revoking", status, 5*time.Second, func(v string) bool { return strings.Contains(v, "No control token") })
	if code := act(t, pause, fresh); code != http.StatusNotFound && code != http.StatusUnauthorized {
		t.Fatalf("the revoked token still works: %d", code)
	}
	if vis := eval(t, tab, `!document.querySelector("[data-testid=control-token-create]").hidden`); vis != "true" {
		t.Fatal("after revoking, Create is not offered")
	}
}

// createToken presses a button that issues a token and reads the dialog.
func createToken(t *testing.T, tab context.Context, button string) (token, example string) {
	t.Helper()
	run(t, tab, chromedp.Click(button))
	waitFor(t, tab, "the token dialog", `document.querySelector("[data-testid=control-token-dialog]")?.open`, 5*time.Second, equals("true"))
	token = eval(t, tab, `document.querySelector("[data-testid=control-token-value]").value`)
	example = eval(t, tab, `document.querySelector("[data-testid=control-token-example]").value`)
	return token, example
}

// notKept fails if the page keeps token anywhere but the open dialog.
func notKept(t *testing.T, tab context.Context, token string, dialogOpen bool) {
	t.Helper()
	js := `(() => {
	  const tok = ` + jsString(token) + `;
	  const where = [];
	  for (const [name, s] of [["localStorage", localStorage], ["sessionStorage", sessionStorage]])
	    for (let i = 0; i < s.length; i++) if ((s.key(i) + s.getItem(s.key(i))).includes(tok)) where.push(name);
	  if ((location.href + document.cookie).includes(tok)) where.push("the address or a cookie");
	  const dlg = document.querySelector("[data-testid=control-token-dialog]");
	  const outside = (el) => !dlg || !dlg.contains(el);
	  if (document.documentElement.outerHTML.includes(tok)) where.push("the document's markup");
	  for (const el of document.querySelectorAll("input, textarea")) if (outside(el) && el.value.includes(tok)) where.push("a field outside the dialog");
	  if (!dlg && document.body.innerText.includes(tok)) where.push("the page's text");
	  return where.join(", ");
	})()`
	if where := eval(t, tab, js); where != "" {
		t.Fatalf("the control token is kept in %s (dialog open: %v)", where, dialogOpen)
	}
}

// act POSTs an action with a bearer token, as a Stream Deck does.
func act(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
