package restapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/streamwidgets/streamwidgets/integrations/grain"
)

// spotifyConnect runs "Connect Spotify" in b through the fake's authorize
// page; it returns the callback URL Spotify sent the browser to.
func (e *env) spotifyAuthorize(t *testing.T, b *browser) string {
	t.Helper()
	status, body, _ := b.do("POST", e.srv.URL+"/integrations/spotify/connect", "")
	if status != http.StatusOK {
		t.Fatalf("connect: %d %s", status, body)
	}
	var r struct {
		Data struct {
			AuthorizeURL string `json:"authorize_url"`
			Scopes       []struct{ Name, Why string }
		} `json:"data"`
	}
	_ = json.Unmarshal([]byte(body), &r)
	if len(r.Data.Scopes) != 1 || r.Data.Scopes[0].Name != "user-read-currently-playing" || r.Data.Scopes[0].Why == "" {
		t.Fatalf("scopes shown: %+v", r.Data.Scopes)
	}
	status, _, h := b.do("GET", r.Data.AuthorizeURL, "")
	if status != http.StatusSeeOther {
		t.Fatalf("authorize: %d", status)
	}
	return h.Get("Location")
}

func (e *env) outcome(t *testing.T, b *browser, callback string) string {
	t.Helper()
	status, _, h := b.do("GET", callback, "")
	if status != http.StatusSeeOther {
		t.Fatalf("callback: %d", status)
	}
	loc, _ := url.QueryUnescape(h.Get("Location"))
	return strings.TrimPrefix(loc, "/#integrations=spotify:")
}

// TestSpotifyConnectIsTheUsersOwn: Connect Spotify stores the user's tokens
// (never shown in any answer) and starts their poller; the redirect works
// once, only in the browser that started it; another user neither sees
// nor disconnects it; disconnect deletes the tokens and says how to revoke
// them on Spotify.
func TestSpotifyConnectIsTheUsersOwn(t *testing.T) {
	e := newEnv(t, true)
	alice, bob := e.browser(t, "alice"), e.browser(t, "bob")
	callback := e.spotifyAuthorize(t, alice)

	// Bob's browser (no flow cookie) cannot finish Alice's flow.
	if got := e.outcome(t, bob, callback); got != "state_mismatch" {
		t.Fatalf("another browser's callback: %q", got)
	}
	if got := e.outcome(t, alice, callback); got != "connected" {
		t.Fatalf("callback: %q", got)
	}
	// Replayed: the flow's cookie is gone and its state claimed.
	if got := e.outcome(t, alice, callback); got != "state_mismatch" && got != "state_used" {
		t.Fatalf("replayed callback: %q", got)
	}
	creds, err := e.creds.GetCredentials(context.Background(), "alice", grain.ServiceSpotify)
	if err != nil || creds.AccountID != "alice" || creds.AccountName != "Ana on Spotify" || creds.RefreshToken == "" {
		t.Fatalf("stored: %+v %v", creds, err)
	}
	if !strings.Contains(e.conns.log(), "ensure alice spotify:alice") {
		t.Fatalf("poller not started: %s", e.conns.log())
	}
	access := e.sp.SpotifyAccessOf("ana-sp")
	for _, b := range []*browser{alice, bob} {
		for _, path := range []string{"/integrations", "/integrations/spotify"} {
			_, body, _ := b.do("GET", e.srv.URL+path, "")
			if strings.Contains(body, access) || strings.Contains(body, creds.RefreshToken.Reveal()) {
				t.Fatalf("%s GET %s shows a token: %s", b.user, path, body)
			}
			if b == bob && strings.Contains(body, "Ana on Spotify") {
				t.Fatalf("bob sees alice's Spotify: %s", body)
			}
		}
	}
	if _, body, _ := alice.do("GET", e.srv.URL+"/integrations/spotify", ""); !strings.Contains(body, `"connected":true`) {
		t.Fatalf("alice's status: %s", body)
	}

	// Bob's disconnect is his own (nothing); Alice's deletes hers.
	if status, _, _ := bob.do("DELETE", e.srv.URL+"/integrations/spotify", ""); status != http.StatusOK {
		t.Fatalf("bob's disconnect: %d", status)
	}
	if _, err := e.creds.GetCredentials(context.Background(), "alice", grain.ServiceSpotify); err != nil {
		t.Fatalf("bob's disconnect removed alice's Spotify: %v", err)
	}
	_, body, _ := alice.do("DELETE", e.srv.URL+"/integrations/spotify", "")
	if !strings.Contains(body, "Manage apps") {
		t.Fatalf("disconnect does not say how to revoke on Spotify: %s", body)
	}
	if _, err := e.creds.GetCredentials(context.Background(), "alice", grain.ServiceSpotify); err == nil {
		t.Fatal("tokens kept after disconnect")
	}
	if !strings.Contains(e.conns.log(), "stop alice spotify:alice") {
		t.Fatalf("poller not stopped: %s", e.conns.log())
	}
}

// TestSpotifyRefusals: without an application the route says what the
// operator sets; a denied consent and a code Spotify refuses store nothing.
func TestSpotifyRefusals(t *testing.T) {
	off := newEnv(t, false)
	status, body, _ := off.browser(t, "alice").do("POST", off.srv.URL+"/integrations/spotify/connect", "")
	if status != http.StatusConflict || !strings.Contains(body, `"not_configured"`) || !strings.Contains(body, "--spotify-client-id") {
		t.Fatalf("unconfigured connect: %d %s", status, body)
	}
	if status, _, _ := off.browser(t, "").do("POST", off.srv.URL+"/integrations/spotify/connect", ""); status != http.StatusUnauthorized {
		t.Fatalf("signed out: %d", status)
	}
	// An OBS view's read-only widget token is no sign-in.
	for _, r := range []struct{ method, path string }{{"GET", "/integrations/spotify"}, {"POST", "/integrations/spotify/connect"}, {"DELETE", "/integrations/spotify"}} {
		req, _ := http.NewRequest(r.method, off.srv.URL+r.path, nil)
		req.Header.Set("Authorization", "Bearer wt_readonly-widget-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s %s with a widget token: %d", r.method, r.path, resp.StatusCode)
		}
	}

	e := newEnv(t, true)
	alice := e.browser(t, "alice")
	denied := e.spotifyAuthorize(t, alice)
	u, _ := url.Parse(denied)
	q := u.Query()
	q.Del("code")
	q.Set("error", "access_denied")
	u.RawQuery = q.Encode()
	if got := e.outcome(t, alice, u.String()); got != "denied" {
		t.Fatalf("denied consent: %q", got)
	}
	forged := e.spotifyAuthorize(t, alice)
	u, _ = url.Parse(forged)
	q = u.Query()
	q.Set("code", "not-a-code")
	u.RawQuery = q.Encode()
	if got := e.outcome(t, alice, u.String()); got != "exchange_failed" {
		t.Fatalf("refused code: %q", got)
	}
	if _, err := e.creds.GetCredentials(context.Background(), "alice", grain.ServiceSpotify); err == nil {
		t.Fatal("tokens stored after a refused flow")
	}
}
