// Package e2e runs a real node with the Twitch integration against the
// fake Twitch and a real headless Chromium showing the OBS overlay. It
// starts a protoactor cluster in-process, so CI runs it without -race.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
	"github.com/streamwidgets/streamwidgets/overlays/browsertest"
)

type node struct {
	t    *testing.T
	app  *app.App
	base string
	jwt  string
	http *http.Client
}

func startNode(t *testing.T, fake *twitchfake.Server, tune ...func(*app.IntegrationsConfig)) *node {
	t.Helper()
	ln, err := newListenAddr()
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://" + ln + "/integrations/twitch/callback"
	fake.AddClient(twitchfake.Client{ID: "cid", Secret: "csecret", RedirectURIs: []string{redirect}})
	ic := app.IntegrationsConfig{
		Twitch: twitch.Config{ClientID: "cid", ClientSecret: "csecret", AuthURL: fake.AuthURL(), APIURL: fake.APIURL(),
			EventSubURL: fake.EventSubURL(), RedirectURL: redirect},
		EnsureEvery: time.Second,
	}
	for _, f := range tune {
		f(&ic)
	}
	a, err := app.New(app.Config{Addr: ln, DataDir: t.TempDir(), Integrations: ic}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	jwt, err := a.Issuer.Mint("ana", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	return &node{t: t, app: a, base: "http://" + a.Addr(), jwt: jwt,
		http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (n *node) do(method, u, body string) (int, string, http.Header) {
	n.t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if strings.HasPrefix(u, n.base) {
		req.Header.Set("Authorization", "Bearer "+n.jwt)
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := n.http.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

// connect presses "Connect Twitch" and follows the browser's redirects.
func (n *node) connect() {
	n.t.Helper()
	status, body, _ := n.do("POST", n.base+"/integrations/twitch/connect", "")
	var r struct {
		Data struct {
			AuthorizeURL string `json:"authorize_url"`
		} `json:"data"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &r) != nil {
		n.t.Fatalf("connect: %d %s", status, body)
	}
	_, _, h := n.do("GET", r.Data.AuthorizeURL, "")
	_, _, h = n.do("GET", h.Get("Location"), "")
	if loc, _ := url.QueryUnescape(h.Get("Location")); loc != "/#integrations=twitch:connected" {
		n.t.Fatalf("callback went to %q", loc)
	}
}

// TestFollowShowsInTheOBSOverlayWithinASecond: a streamer connects Twitch
// through the REST flow; a follow sent by the fake Twitch appears in a real
// browser's alert overlay within 1 s.
func TestFollowShowsInTheOBSOverlayWithinASecond(t *testing.T) {
	path, err := browsertest.Path()
	if err != nil {
		t.Fatal(err)
	}
	fake := twitchfake.New(t)
	b := twitchfake.User{ID: "100", Login: "anastreams", DisplayName: "AnaStreams"}
	fake.AddUser(b)
	n := startNode(t, fake)
	status, body, _ := n.do("POST", n.base+"/records/stream_widgets", `{"type":"alerts","title":"Alerts","active":true,"config":{"duration":5}}`)
	var w struct {
		Data struct {
			ID          string `json:"id"`
			AccessToken string `json:"access_token"`
		} `json:"data"`
	}
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &w) != nil {
		t.Fatalf("create alerts widget: %d %s", status, body)
	}
	n.connect()
	deadline := time.Now().Add(10 * time.Second)
	for len(fake.Subscriptions("100")) < len(twitch.Subscriptions) {
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions: %+v", fake.Subscriptions("100"))
		}
		time.Sleep(20 * time.Millisecond)
	}

	opts := append(browsertest.Options(path, t.TempDir(), 1280, 900), chromedp.Flag("disable-background-timer-throttling", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	tab, cancel := chromedp.NewContext(alloc)
	defer cancel()
	obs := n.base + "/widgets/" + url.PathEscape(w.Data.ID) + "#token=" + url.QueryEscape(w.Data.AccessToken)
	ctx, stop := context.WithTimeout(tab, 30*time.Second)
	defer stop()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(obs)); err != nil {
		t.Fatalf("overlay: %v", err)
	}
	eval := func(js string) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String((() => { try { return `+js+` } catch (e) { return "" } })() ?? "")`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for eval(`document.body.dataset.widget`) != "ready" {
		if ctx.Err() != nil {
			t.Fatal("the overlay never got ready")
		}
		time.Sleep(20 * time.Millisecond)
	}

	sent := time.Now()
	if _, err := fake.Notify("100", "channel.follow", twitchfake.FollowEvent(b, twitchfake.User{ID: "7", Login: "kimfan", DisplayName: "KimFan"})); err != nil {
		t.Fatal(err)
	}
	var shown string
	for {
		shown = eval(`document.querySelector("[data-testid=alert-text]")?.textContent`)
		if strings.Contains(shown, "KimFan") {
			break
		}
		if time.Since(sent) > 3*time.Second {
			t.Fatalf("no follow alert on the overlay after 3 s (text %q)", shown)
		}
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(sent)
	t.Logf("follow sent by Twitch -> shown in OBS: %s (%q)", took.Round(time.Millisecond), shown)
	if took > time.Second {
		t.Fatalf("the follow took %s to show, want under 1 s", took)
	}
	st := statusOf(t, n)
	if st != "connected" {
		t.Logf("connection state %s", st)
	}
}

func statusOf(t *testing.T, n *node) string {
	_, body, _ := n.do("GET", n.base+"/integrations/twitch", "")
	var r struct {
		Data struct {
			Status struct {
				State string `json:"state"`
			} `json:"status"`
		} `json:"data"`
	}
	_ = json.Unmarshal([]byte(body), &r)
	return r.Data.Status.State
}

func newListenAddr() (string, error) {
	l, err := listen()
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr, nil
}
