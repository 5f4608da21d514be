package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// record is the part of a REST widget record the overlay tests use.
type record struct {
	ID          string `json:"id"`
	AccessToken string `json:"access_token"`
	Active      bool   `json:"active"`
	Version     int64  `json:"version"`
}

// rest sends a REST request as user and returns the status and body.
func (s *server) rest(user, method, path, body string) (int, []byte) {
	s.t.Helper()
	tok, err := s.app.Issuer.Mint(user, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequest(method, s.base()+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// widget creates a widget as user (body: the REST create body).
func (s *server) widget(user, body string) record {
	s.t.Helper()
	code, out := s.rest(user, "POST", "/records/stream_widgets", body)
	if code != http.StatusCreated && code != http.StatusOK {
		s.t.Fatalf("create %s: %d %s", body, code, out)
	}
	return s.decodeRecord(out)
}

// update PUTs body to the widget and returns the new record.
func (s *server) update(user string, w record, body string) record {
	s.t.Helper()
	code, out := s.rest(user, "PUT", "/records/stream_widgets/"+w.ID, body)
	if code != http.StatusOK {
		s.t.Fatalf("update %s: %d %s", body, code, out)
	}
	return s.decodeRecord(out)
}

func (s *server) decodeRecord(out []byte) record {
	s.t.Helper()
	var r struct{ Data record }
	if err := json.Unmarshal(out, &r); err != nil || r.Data.ID == "" {
		s.t.Fatalf("record %s: %v", out, err)
	}
	return r.Data
}

// overlayURL is the OBS URL of w; flags are extra fragment parameters ("debug=1").
func (s *server) overlayURL(w record, flags string) string {
	u := s.base() + "/widgets/" + url.PathEscape(w.ID) + "#token=" + url.QueryEscape(w.AccessToken)
	if flags != "" {
		u += "&" + flags
	}
	return u
}

// obsTab opens a tab the size of an OBS browser source in its own browser context.
func obsTab(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	tab := newContext(t, parent)
	run(t, tab, chromedp.EmulateViewport(1920, 1080))
	return tab
}

// interceptor answers a tab's requests matching URL patterns itself (a stub
// render module, a missing one) and records every URL it saw.
type interceptor struct {
	mu   sync.Mutex
	seen []string
}

func (i *interceptor) urls() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]string(nil), i.seen...)
}

// intercept makes the tab answer requests matching patterns with answer's
// status and JavaScript body. Call it before navigating.
func intercept(t *testing.T, tab context.Context, answer func(url string) (int, string), patterns ...string) *interceptor {
	t.Helper()
	in := &interceptor{}
	paused := make(chan *fetch.EventRequestPaused, 64)
	if err := chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e // Listen's func must not run commands: answer on another goroutine
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for e := range paused {
			in.mu.Lock()
			in.seen = append(in.seen, e.Request.URL)
			in.mu.Unlock()
			code, body := answer(e.Request.URL)
			_, _ = chromedp.Call(tab, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID: e.RequestID, ResponseCode: int64(code), Body: []byte(body),
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/javascript; charset=utf-8"}},
			})
		}
	}()
	var ps []*fetch.RequestPattern
	for _, p := range patterns {
		ps = append(ps, &fetch.RequestPattern{URLPattern: p})
	}
	if _, err := chromedp.Call(tab, fetch.Enable, fetch.EnableParams{Patterns: ps}); err != nil {
		t.Fatal(err)
	}
	return in
}

// socketShim lets a test hand the page's newest WebSocket a server message,
// for message types the server does not send yet in this scenario.
const socketShim = `(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
  window.__serverSends = (msg) => {
    const ws = window.__sockets.filter((s) => s.readyState === Native.OPEN).pop();
    if (!ws) return false;
    ws.onmessage({ data: JSON.stringify(msg) });
    return true;
  };
})();`

// withSocketShim installs socketShim in every document the tab loads next.
func withSocketShim(t *testing.T, tab context.Context) {
	t.Helper()
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: socketShim}); err != nil {
		t.Fatal(err)
	}
}

// visibleText is what a viewer can read on the page (innerText skips what CSS hides).
const visibleText = `document.body.innerText.trim()`

// display is an element's computed display ("" when it is absent).
func display(sel string) string {
	return `(document.querySelector(` + jsString(sel) + `) ? getComputedStyle(document.querySelector(` + jsString(sel) + `)).display : "")`
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
