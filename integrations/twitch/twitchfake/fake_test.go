package twitchfake_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
)

// The fake is what the client tests trust, so its own behaviour is checked
// here with a raw WebSocket and raw HTTP, against the documented messages.

type message struct {
	Metadata struct {
		MessageID   string `json:"message_id"`
		MessageType string `json:"message_type"`
	} `json:"metadata"`
	Payload struct {
		Session struct {
			ID                      string  `json:"id"`
			Status                  string  `json:"status"`
			KeepaliveTimeoutSeconds *int    `json:"keepalive_timeout_seconds"`
			ReconnectURL            *string `json:"reconnect_url"`
		} `json:"session"`
	} `json:"payload"`
}

func dial(t *testing.T, u string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func read(t *testing.T, c *websocket.Conn) message {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m message
	if err := c.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			t.Fatalf("connection ended without a close code: %v", err)
		}
	}
}

func TestWelcomeThenClientFaultsAreClosedAndRecorded(t *testing.T) {
	fake := twitchfake.New(t, twitchfake.WithMinKeepalive(1))
	fake.AllowViolations()

	c := dial(t, fake.EventSubURL()+"?keepalive_timeout_seconds=1")
	w := read(t, c)
	if w.Metadata.MessageType != "session_welcome" || w.Payload.Session.Status != "connected" || w.Payload.Session.ID == "" ||
		w.Payload.Session.KeepaliveTimeoutSeconds == nil || *w.Payload.Session.KeepaliveTimeoutSeconds != 1 {
		t.Fatalf("welcome: %+v", w)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"hello":1}`)); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, c); code != twitchfake.CloseSentInbound {
		t.Fatalf("sending data: close %d, want 4001", code)
	}

	idle := dial(t, fake.EventSubURL()+"?keepalive_timeout_seconds=1")
	read(t, idle)
	if code := closeCode(t, idle); code != twitchfake.CloseConnectionUnused {
		t.Fatalf("no subscription: close %d, want 4003", code)
	}

	bad := dial(t, fake.InvalidReconnectURL())
	if code := closeCode(t, bad); code != twitchfake.CloseInvalidReconnect {
		t.Fatalf("bad reconnect URL: close %d, want 4007", code)
	}
	v := strings.Join(fake.Violations(), "\n")
	if !strings.Contains(v, "data frame") || !strings.Contains(v, "no subscription") {
		t.Fatalf("violations: %s", v)
	}
}

func TestSubscribeNotifyAndReconnectHandover(t *testing.T) {
	fake := twitchfake.New(t)
	fake.AddClient(twitchfake.Client{ID: "cid", Secret: "csecret"})
	b := twitchfake.User{ID: "100", Login: "streamer"}
	fake.AddUser(b)
	tok := fake.Grant("cid", b.ID, "moderator:read:followers")

	c := dial(t, fake.EventSubURL())
	session := read(t, c).Payload.Session.ID
	subscribe := func(typ, version string, cond map[string]string) int {
		body, _ := json.Marshal(map[string]any{"type": typ, "version": version, "condition": cond,
			"transport": map[string]any{"method": "websocket", "session_id": session}})
		req, _ := http.NewRequest("POST", fake.APIURL()+"/eventsub/subscriptions", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+tok.Access)
		req.Header.Set("Client-Id", "cid")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Ratelimit-Limit") != "800" || resp.Header.Get("Ratelimit-Remaining") == "" {
			t.Fatalf("rate-limit headers missing: %v", resp.Header)
		}
		return resp.StatusCode
	}
	if st := subscribe("channel.follow", "2", map[string]string{"broadcaster_user_id": "100", "moderator_user_id": "100"}); st != http.StatusAccepted {
		t.Fatalf("follow subscription: %d", st)
	}
	if st := subscribe("channel.cheer", "1", map[string]string{"broadcaster_user_id": "100"}); st != http.StatusForbidden {
		t.Fatalf("cheer without bits:read: %d, want 403", st)
	}
	if st := subscribe("channel.follow", "2", map[string]string{"broadcaster_user_id": "100", "moderator_user_id": "100"}); st != http.StatusConflict {
		t.Fatalf("duplicate subscription: %d, want 409", st)
	}

	id, err := fake.Notify("100", "channel.follow", twitchfake.FollowEvent(b, twitchfake.User{ID: "7", Login: "fan"}))
	if err != nil {
		t.Fatal(err)
	}
	if m := read(t, c); m.Metadata.MessageType != "notification" || m.Metadata.MessageID != id {
		t.Fatalf("notification: %+v", m)
	}

	reconnectURL, err := fake.Reconnect(session)
	if err != nil {
		t.Fatal(err)
	}
	if m := read(t, c); m.Metadata.MessageType != "session_reconnect" || m.Payload.Session.ReconnectURL == nil || *m.Payload.Session.ReconnectURL != reconnectURL {
		t.Fatalf("reconnect message: %+v", m)
	}
	// Before the new welcome, notifications still go to the old connection.
	before, _ := fake.Notify("100", "channel.follow", twitchfake.FollowEvent(b, twitchfake.User{ID: "8", Login: "fan2"}))
	if m := read(t, c); m.Metadata.MessageID != before {
		t.Fatalf("old connection got %+v, want %s", m, before)
	}
	n := dial(t, reconnectURL)
	if w := read(t, n); w.Metadata.MessageType != "session_welcome" || w.Payload.Session.ID != session {
		t.Fatalf("new welcome: %+v (the session id is kept)", w)
	}
	after, _ := fake.Notify("100", "channel.follow", twitchfake.FollowEvent(b, twitchfake.User{ID: "9", Login: "fan3"}))
	if m := read(t, n); m.Metadata.MessageID != after {
		t.Fatalf("new connection got %+v, want %s", m, after)
	}
	if subs := fake.Subscriptions("100"); len(subs) != 1 || subs[0].SessionID != session {
		t.Fatalf("subscriptions after the handover: %+v", subs)
	}
	_ = c.Close()
	time.Sleep(50 * time.Millisecond)
	if got := fake.OpenConnections(session); got != 1 {
		t.Fatalf("open connections after closing the old one: %d", got)
	}
}

func TestAuthorizationCodeWithPKCEAndRefresh(t *testing.T) {
	fake := twitchfake.New(t, twitchfake.WithRotatingRefreshTokens())
	fake.AddClient(twitchfake.Client{ID: "cid", Secret: "csecret", RedirectURIs: []string{"http://127.0.0.1/cb"}})
	fake.AddUser(twitchfake.User{ID: "100", Login: "streamer"})
	verifier := "a-verifier-of-enough-length-0123456789-abcdefghijkl"
	challenge := "lzE4v2I4p6E2hY0h1O4H9BZj9Vv1n6oXf5n7m4m3m2k" // wrong on purpose first
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func(ch string) string {
		q := url.Values{"client_id": {"cid"}, "redirect_uri": {"http://127.0.0.1/cb"}, "response_type": {"code"},
			"scope": {"moderator:read:followers bits:read"}, "state": {"s1"}, "code_challenge": {ch}, "code_challenge_method": {"S256"}}
		resp, err := noRedirect.Get(fake.AuthURL() + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Query().Get("state") != "s1" {
			t.Fatalf("state not returned: %s", loc)
		}
		return loc.Query().Get("code")
	}
	exchange := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(fake.AuthURL()+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code := authorize(challenge)
	if st, _ := exchange(url.Values{"client_id": {"cid"}, "client_secret": {"csecret"}, "code": {code}, "grant_type": {"authorization_code"},
		"redirect_uri": {"http://127.0.0.1/cb"}, "code_verifier": {verifier}}); st != http.StatusBadRequest {
		t.Fatalf("a verifier that does not match the challenge: %d", st)
	}
	code = authorize("RaMc9-2x_8GCu3QNBqISg1yjWTTrFU0yvRwVVas4Czc") // S256 of verifier
	st, tok := exchange(url.Values{"client_id": {"cid"}, "client_secret": {"csecret"}, "code": {code}, "grant_type": {"authorization_code"},
		"redirect_uri": {"http://127.0.0.1/cb"}, "code_verifier": {verifier}})
	if st != http.StatusOK || tok["access_token"] == "" || tok["refresh_token"] == "" {
		t.Fatalf("exchange: %d %v", st, tok)
	}
	refresh := tok["refresh_token"].(string)
	st, next := exchange(url.Values{"client_id": {"cid"}, "client_secret": {"csecret"}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if st != http.StatusOK || next["refresh_token"] == refresh {
		t.Fatalf("refresh: %d %v (a rotating fake issues a new refresh token)", st, next)
	}
	if st, _ := exchange(url.Values{"client_id": {"cid"}, "client_secret": {"csecret"}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}}); st != http.StatusBadRequest {
		t.Fatalf("the rotated-out refresh token still works: %d", st)
	}
}
