package restapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying/nowplayingfake"
	"github.com/streamwidgets/streamwidgets/integrations/restapi"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// conns records what the routes asked of the supervisors.
type conns struct {
	mu    sync.Mutex
	calls []string
	state integrations.State
}

func (c *conns) record(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, s)
}

func (c *conns) Ensure(owner, service, account string, restart bool) (integrations.Status, error) {
	c.record("ensure " + owner + " " + service + ":" + account)
	return integrations.Status{Service: service, State: integrations.StateConnecting}, nil
}

func (c *conns) Status(owner, service, account string) (integrations.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return integrations.Status{Service: service, State: c.state, Advice: integrations.Advice(c.state)}, nil
}

func (c *conns) Stop(owner, service, account string) (integrations.Status, error) {
	c.record("stop " + owner + " " + service + ":" + account)
	return integrations.Status{}, nil
}

func (c *conns) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.calls, "; ")
}

type env struct {
	fake  *twitchfake.Server
	sp    *nowplayingfake.Server
	srv   *httptest.Server
	creds persistence.CredentialStore
	conns *conns
}

func newEnv(t *testing.T, configured bool) *env {
	t.Helper()
	fake := twitchfake.New(t)
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	keys, _ := seal.ParseKeyring(storetest.NewCredentialKey("k1"))
	e := &env{fake: fake, creds: bolt.NewCredentials(st, keys), conns: &conns{state: integrations.StateConnected}}
	app := fiber.New(fiber.Config{Immutable: true})
	cfg := twitch.Config{AuthURL: fake.AuthURL(), APIURL: fake.APIURL(), EventSubURL: fake.EventSubURL()}
	if configured {
		cfg.ClientID, cfg.ClientSecret = "cid", "csecret"
	}
	e.srv = httptest.NewUnstartedServer(nil)
	cfg.RedirectURL = "http://" + e.srv.Listener.Addr().String() + "/integrations/twitch/callback"
	fake.AddClient(twitchfake.Client{ID: "cid", Secret: "csecret", RedirectURIs: []string{cfg.RedirectURL}})
	fake.AddUser(twitchfake.User{ID: "100", Login: "streamer"})
	fake.AddUser(twitchfake.User{ID: "200", Login: "other"})
	e.sp = nowplayingfake.New(t)
	spotify := nowplaying.SpotifyApp{AccountsURL: e.sp.URL(), APIBase: e.sp.URL() + "/v1",
		RedirectURL: "http://" + e.srv.Listener.Addr().String() + "/integrations/spotify/callback"}
	if configured {
		spotify.ClientID, spotify.ClientSecret = "sp-cid", "sp-secret"
		e.sp.SpotifyApp("sp-cid", "sp-secret", nowplayingfake.SpotifyUser{ID: "ana-sp", DisplayName: "Ana on Spotify"})
	}
	restapi.Register(app, restapi.Deps{
		Twitch: cfg, Spotify: spotify, Creds: e.creds, Once: st, Keys: keys, Connections: e.conns, LastfmEnabled: true,
		Verify: func(_ context.Context, tok string) (string, error) {
			if u, ok := strings.CutPrefix(tok, "jwt-"); ok {
				return u, nil
			}
			return "", errors.New("bad token")
		},
	})
	e.srv.Config.Handler = fiberHandler(app)
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// fiberHandler serves app from a net/http server (real redirects and cookies).
func fiberHandler(app *fiber.App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := app.Test(r, -1)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
}

// browser is one user's browser: a cookie jar, no automatic redirects.
type browser struct {
	t    *testing.T
	c    *http.Client
	user string
}

func (e *env) browser(t *testing.T, user string) *browser {
	jar := &jar{m: map[string][]*http.Cookie{}}
	return &browser{t: t, user: user, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type jar struct {
	mu sync.Mutex
	m  map[string][]*http.Cookie
}

func (j *jar) SetCookies(u *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs { // a cookie replaces the one of the same name and path, as in browsers
		kept := j.m[u.Host][:0]
		for _, old := range j.m[u.Host] {
			if old.Name != c.Name || old.Path != c.Path {
				kept = append(kept, old)
			}
		}
		j.m[u.Host] = append(kept, c)
	}
}

func (j *jar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.m[u.Host] {
		if strings.HasPrefix(u.Path, c.Path) && c.MaxAge >= 0 {
			out = append(out, c)
		}
	}
	return out
}

func (b *browser) do(method, u string, body string) (int, string, http.Header) {
	b.t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if b.user != "" {
		req.Header.Set("Authorization", "Bearer jwt-"+b.user)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

// connect runs "Connect Twitch" in b up to the console: the outcome.
func (e *env) connect(t *testing.T, b *browser) string {
	t.Helper()
	status, body, _ := b.do("POST", e.srv.URL+"/integrations/twitch/connect", "")
	if status != 200 {
		t.Fatalf("connect: %d %s", status, body)
	}
	var r struct {
		Data struct {
			AuthorizeURL string `json:"authorize_url"`
		} `json:"data"`
	}
	_ = json.Unmarshal([]byte(body), &r)
	status, _, h := b.do("GET", r.Data.AuthorizeURL, "")
	if status != http.StatusFound {
		t.Fatalf("authorize: %d", status)
	}
	status, _, h = b.do("GET", h.Get("Location"), "")
	if status != http.StatusSeeOther {
		t.Fatalf("callback: %d", status)
	}
	loc, _ := url.QueryUnescape(h.Get("Location"))
	return strings.TrimPrefix(loc, "/#integrations=twitch:")
}

func TestConnectStoresSealedTokensAndStartsTheIntegration(t *testing.T) {
	e := newEnv(t, true)
	alice := e.browser(t, "alice")
	if out := e.connect(t, alice); out != "connected" {
		t.Fatalf("outcome %q", out)
	}
	creds, err := e.creds.GetCredentials(context.Background(), "alice", twitch.Service)
	if err != nil || creds.AccountID != "100" || creds.AccountName != "streamer" || creds.RefreshToken != persistence.Secret(e.fake.LiveRefreshToken("cid", "100")) {
		t.Fatalf("stored: %+v %v", creds, err)
	}
	if got := e.conns.log(); got != "ensure alice twitch:100" {
		t.Fatalf("supervisor calls: %s", got)
	}
	// The status never carries a token.
	status, body, _ := alice.do("GET", e.srv.URL+"/integrations", "")
	if status != 200 || !strings.Contains(body, `"connected":true`) || strings.Contains(body, creds.AccessToken.Reveal()) || strings.Contains(body, creds.RefreshToken.Reveal()) {
		t.Fatalf("list: %d %s", status, body)
	}
	if !strings.Contains(body, "moderator:read:followers") || !strings.Contains(body, `"account":{"id":"100","name":"streamer"}`) {
		t.Fatalf("list lacks scopes or account: %s", body)
	}

	// Disconnect revokes on Twitch, stops and deletes.
	status, body, _ = alice.do("DELETE", e.srv.URL+"/integrations/twitch", "")
	if status != 200 || !strings.Contains(body, `"state":"disconnected"`) {
		t.Fatalf("disconnect: %d %s", status, body)
	}
	if !e.fake.Revoked(creds.RefreshToken.Reveal()) {
		t.Fatal("the refresh token was not revoked on Twitch")
	}
	if _, err := e.creds.GetCredentials(context.Background(), "alice", twitch.Service); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("after disconnect: %v", err)
	}
	if got := e.conns.log(); !strings.HasSuffix(got, "stop alice twitch:100") {
		t.Fatalf("supervisor calls: %s", got)
	}
}

func TestCallbackRefusesForgedReplayedAndForeignFlows(t *testing.T) {
	e := newEnv(t, true)
	alice := e.browser(t, "alice")
	status, body, _ := alice.do("POST", e.srv.URL+"/integrations/twitch/connect", "")
	var r struct {
		Data struct {
			AuthorizeURL string `json:"authorize_url"`
		} `json:"data"`
	}
	_ = json.Unmarshal([]byte(body), &r)
	au, _ := url.Parse(r.Data.AuthorizeURL)
	if status != 200 || au.Query().Get("code_challenge_method") != "S256" || au.Query().Get("code_challenge") == "" || strings.Contains(r.Data.AuthorizeURL, "csecret") {
		t.Fatalf("authorize URL: %s", r.Data.AuthorizeURL)
	}
	_, _, h := alice.do("GET", r.Data.AuthorizeURL, "")
	callback := h.Get("Location")

	// Another browser (no flow cookie) cannot finish alice's flow.
	mallory := e.browser(t, "")
	_, _, mh := mallory.do("GET", callback, "")
	if loc := mh.Get("Location"); !strings.Contains(loc, "state_mismatch") {
		t.Fatalf("foreign browser: %s", loc)
	}
	// A forged state.
	_, _, fh := alice.do("GET", e.srv.URL+"/integrations/twitch/callback?state=v1.k1.AAAA&code=x", "")
	if loc := fh.Get("Location"); !strings.Contains(loc, "invalid_state") {
		t.Fatalf("forged state: %s", loc)
	}
	// Alice's own callback works once, even replayed with her cookie.
	cu, _ := url.Parse(callback)
	cookies := alice.c.Jar.Cookies(cu)
	_, _, ah := alice.do("GET", callback, "")
	if loc := ah.Get("Location"); !strings.Contains(loc, "connected") {
		t.Fatalf("alice: %s", loc)
	}
	replay, _ := http.NewRequest("GET", callback, nil)
	for _, c := range cookies {
		replay.AddCookie(c)
	}
	resp, err := mallory.c.Do(replay)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "state_used") {
		t.Fatalf("replay: %s", loc)
	}
	// Denied on Twitch.
	e.fake.DenyNext()
	if out := e.connect(t, e.browser(t, "bob")); out != "denied" {
		t.Fatalf("denied flow: %q", out)
	}
	// Bob cannot connect the Twitch account alice connected.
	if out := e.connect(t, e.browser(t, "bob")); out != "account_in_use" {
		t.Fatalf("second owner of one account: %q", out)
	}
	if _, err := e.creds.GetCredentials(context.Background(), "bob", twitch.Service); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("bob got credentials: %v", err)
	}
}

func TestStatusesAndRefusals(t *testing.T) {
	e := newEnv(t, false)
	anon := e.browser(t, "")
	if status, body, _ := anon.do("GET", e.srv.URL+"/integrations", ""); status != 401 || !strings.Contains(body, `"code":"unauthorized"`) {
		t.Fatalf("anonymous: %d %s", status, body)
	}
	alice := e.browser(t, "alice")
	status, body, _ := alice.do("GET", e.srv.URL+"/integrations/twitch", "")
	if status != 200 || !strings.Contains(body, `"state":"not_configured"`) || !strings.Contains(body, "operator") {
		t.Fatalf("unconfigured: %d %s", status, body)
	}
	if status, body, _ := alice.do("POST", e.srv.URL+"/integrations/twitch/connect", ""); status != 409 || !strings.Contains(body, "not_configured") {
		t.Fatalf("connect without an application: %d %s", status, body)
	}
	for _, bad := range []string{`{"username":"x"}`, `{"username":"1abc"}`, `{"username":"a b"}`, `nope`} {
		if status, _, _ := alice.do("PUT", e.srv.URL+"/integrations/lastfm", bad); status != 400 {
			t.Fatalf("lastfm %s: %d", bad, status)
		}
	}
	if status, body, _ := alice.do("PUT", e.srv.URL+"/integrations/lastfm", `{"username":"dj_alice"}`); status != 200 {
		t.Fatalf("lastfm: %d %s", status, body)
	}
	e.conns.mu.Lock()
	e.conns.state = integrations.StateRevoked
	e.conns.mu.Unlock()
	_, body, _ = alice.do("GET", e.srv.URL+"/integrations", "")
	if !strings.Contains(body, `"state":"revoked"`) || !strings.Contains(body, "Connect again") {
		t.Fatalf("revoked connection's advice missing: %s", body)
	}
}
