package app_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

func fastWS(c *app.Config) {
	c.WS.AuthTimeout = 400 * time.Millisecond
}

func subscribeTo(c *wsClient, id string) msg {
	c.t.Helper()
	c.send(msg{"type": "WIDGET_SUBSCRIBE", "widgetId": id, "requestId": "sub-" + id})
	m := c.next()
	if m.str("type") != "WIDGET_INITIAL_STATE" || m.str("requestId") != "sub-"+id {
		c.t.Fatalf("subscribe answered %v", m)
	}
	return m
}

func act(c *wsClient, id, action string, payload msg) msg {
	c.t.Helper()
	m := msg{"type": "WIDGET_ACTION", "widgetId": id, "action": action, "requestId": "act-" + action}
	if payload != nil {
		m["payload"] = payload
	}
	c.send(m)
	c.held = nil
	var passed []msg
	resp := c.await("action response", func(m msg) bool {
		if m.str("type") == "WIDGET_ACTION_RESPONSE" {
			return true
		}
		passed = append(passed, m)
		return false
	})
	c.held = passed // the updates that came first stay readable
	return resp
}

func stateOf(m msg) msg {
	if m.str("type") == "WIDGET_INITIAL_STATE" {
		return m.obj("widget").obj("state")
	}
	return m.obj("state")
}

func TestTwoManagerTabsConverge(t *testing.T) {
	// Sequential (no t.Parallel): a tab that reads late sees the next tick coalesced in.
	n := startNode(t, fastWS)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	a, b := n.session(alice), n.session(alice)
	subscribeTo(a, w.ID)
	subscribeTo(b, w.ID)
	for _, step := range []struct {
		action  string
		enabled bool
	}{{"start", true}, {"pause", false}, {"start", true}, {"reset", false}} {
		resp := act(a, w.ID, step.action, nil)
		if resp["success"] != true || resp.str("requestId") != "act-"+step.action {
			t.Fatalf("%s: %v", step.action, resp)
		}
		version := resp.num("version")
		var seen [2]msg
		for i, c := range []*wsClient{a, b} {
			seen[i] = c.await(step.action+" state", func(m msg) bool {
				return m.str("type") == "WIDGET_STATE_UPDATE" && m.num("version") == version
			})
			if stateOf(seen[i])["enabled"] != step.enabled {
				t.Fatalf("after %s tab %d sees enabled=%v", step.action, i, stateOf(seen[i])["enabled"])
			}
		}
		// Both tabs must agree on when the countdown ends: a tab that read
		// a second later may hold the next tick (same version, the time left
		// then), so the end is compared, not the time left.
		end := func(m msg) float64 {
			s := stateOf(m)
			at, err := time.Parse(time.RFC3339Nano, s.str("last_tick_timestamp"))
			if err != nil {
				t.Fatalf("last_tick_timestamp %q: %v", s.str("last_tick_timestamp"), err)
			}
			if s["enabled"] != true {
				return s.num("duration_left") // paused: nothing moves
			}
			return float64(at.UnixMilli())/1000 + s.num("duration_left")
		}
		if math.Abs(end(seen[0])-end(seen[1])) > 0.2 {
			t.Fatalf("tabs disagree after %s: %v vs %v", step.action, end(seen[0]), end(seen[1]))
		}
	}
}

func TestWidgetTokenIsReadOnlyAndScopedToItsWidget(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS)
	alice := n.token("alice")
	w, other := n.create(alice, countdownBody), n.create(alice, countdownBody)
	obs := n.dial("", 0)
	obs.send(msg{"type": "AUTH", "token": w.AccessToken, "requestId": "a1"})
	ok := obs.next()
	if ok.str("type") != "AUTH_OK" || ok.obj("session").str("mode") != "widget" || ok.obj("session")["read_only"] != true || ok.str("server_time") == "" || ok.str("requestId") != "a1" {
		t.Fatalf("widget-token AUTH: %v", ok)
	}
	initial := subscribeTo(obs, w.ID)
	if _, leaked := initial.obj("widget")["access_token"]; leaked {
		t.Fatal("a read-only session received the access token")
	}
	if r := act(obs, w.ID, "start", nil); r["success"] != false || r.str("code") != "forbidden" {
		t.Fatalf("read-only action: %v", r)
	}
	obs.send(msg{"type": "WIDGET_SUBSCRIBE", "widgetId": other.ID})
	if m := obs.next(); m.str("type") != "ERROR" || m.str("code") != "not_found" {
		t.Fatalf("widget token reached another widget: %v", m)
	}
	if r := act(obs, other.ID, "start", nil); r["success"] != false {
		t.Fatalf("widget token acted on another widget: %v", r)
	}
	got := n.do("GET", "/records/stream_widgets/"+w.ID, alice, nil).record(t)
	if strings.Contains(string(got.State), `"enabled":true`) {
		t.Fatal("a refused action changed the widget")
	}
}

func TestAnotherUsersSessionGetsNothing(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS)
	alice, mallory := n.token("alice"), n.token("mallory")
	w := n.create(alice, countdownBody)
	owner := n.session(alice)
	subscribeTo(owner, w.ID)
	evil := n.session(mallory)
	evil.send(msg{"type": "WIDGET_SUBSCRIBE", "widgetId": w.ID})
	if m := evil.next(); m.str("type") != "ERROR" || m.str("code") != "not_found" {
		t.Fatalf("another user subscribed: %v", m)
	}
	if r := act(evil, w.ID, "start", nil); r["success"] != false || r.str("code") != "not_found" {
		t.Fatalf("another user acted: %v", r)
	}
	evil.send(msg{"type": "WIDGET_UNSUBSCRIBE", "widgetId": w.ID})
	act(owner, w.ID, "start", nil)
	owner.awaitType("WIDGET_STATE_UPDATE")
	evil.quiet(500 * time.Millisecond) // no update of alice's widget ever reaches mallory
}

func TestSocketsWithoutTimelyAuthAreClosed(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS)
	silent := n.dial("", 0)
	code, seen := silent.expectClosed(3 * time.Second)
	if code != protocol.ClosePolicyViolation || len(seen) != 1 || seen[0].str("code") != "auth_required" {
		t.Fatalf("silent socket: close %d after %v", code, seen)
	}
	early := n.dial("", 0)
	early.send(msg{"type": "WIDGET_SUBSCRIBE", "widgetId": "w1"})
	if code, _ := early.expectClosed(3 * time.Second); code != protocol.ClosePolicyViolation {
		t.Fatalf("subscribe before AUTH: close %d", code)
	}
	late := n.dial("", 0)
	time.Sleep(600 * time.Millisecond)
	_ = late.conn.WriteJSON(msg{"type": "AUTH", "token": n.token("alice")})
	if code, _ := late.expectClosed(3 * time.Second); code != protocol.ClosePolicyViolation {
		t.Fatalf("late AUTH: close %d", code)
	}
}

func TestBadTokensAreRefused(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS)
	expired, err := n.app.Issuer.Mint("alice", -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"expired JWT": expired, "garbage JWT": "eyJhbGciOi.x.y", "unknown widget token": "no-such-token"} {
		t.Run(name, func(t *testing.T) {
			c := n.dial("", 0)
			c.send(msg{"type": "AUTH", "token": token})
			code, seen := c.expectClosed(3 * time.Second)
			if code != protocol.ClosePolicyViolation || len(seen) == 0 || seen[0].str("code") != "auth_failed" {
				t.Fatalf("close %d after %v", code, seen)
			}
		})
	}
}

func TestOversizeFramesClose(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS)
	c := n.session(n.token("alice"))
	_ = c.conn.WriteMessage(1, []byte(`{"type":"WIDGET_SUBSCRIBE","widgetId":"`+strings.Repeat("a", 20<<10)+`"}`))
	if code, _ := c.expectClosed(3 * time.Second); code != protocol.CloseMessageTooBig {
		t.Fatalf("oversize frame: close %d, want %d", code, protocol.CloseMessageTooBig)
	}
}

func TestFloodsAreLimitedThenClosed(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS, func(c *app.Config) {
		c.WS.MessagesPerSecond, c.WS.MessageBurst, c.WS.MaxViolations = 5, 5, 10
	})
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	c := n.session(alice)
	for i := 0; i < 40; i++ {
		_ = c.conn.WriteJSON(msg{"type": "WIDGET_SUBSCRIBE", "widgetId": w.ID})
	}
	code, seen := c.expectClosed(5 * time.Second)
	limited := 0
	for _, m := range seen {
		if m.str("code") == "rate_limited" {
			limited++
		}
	}
	if limited == 0 || code != protocol.ClosePolicyViolation {
		t.Fatalf("flood: %d rate_limited errors, close %d", limited, code)
	}
	// A well-behaved connection of the same user is unaffected.
	ok := n.session(alice)
	subscribeTo(ok, w.ID)
}

func TestRegeneratedTokenKicksTheOldOBSSocket(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	obs := n.session(w.AccessToken)
	subscribeTo(obs, w.ID)
	manager := n.session(alice)
	subscribeTo(manager, w.ID)
	fresh := n.do("POST", "/records/stream_widgets/"+w.ID+"/regenerate_token", alice, nil).record(t)
	code, seen := obs.expectClosed(3 * time.Second)
	if code != protocol.CloseTokenRevoked || len(seen) == 0 || seen[len(seen)-1].str("code") != "token_revoked" {
		t.Fatalf("old OBS socket: close %d after %v", code, seen)
	}
	again := n.dial("", 0)
	again.send(msg{"type": "AUTH", "token": w.AccessToken})
	if code, _ := again.expectClosed(3 * time.Second); code != protocol.ClosePolicyViolation {
		t.Fatalf("the old token still signs in: close %d", code)
	}
	newOBS := n.session(fresh.AccessToken)
	subscribeTo(newOBS, w.ID)
	act(manager, w.ID, "start", nil)
	newOBS.awaitType("WIDGET_STATE_UPDATE")
}

func TestRESTConfigChangesAndDeletesReachSubscribers(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	obs := n.session(w.AccessToken)
	subscribeTo(obs, w.ID)
	if r := n.do("PUT", "/records/stream_widgets/"+w.ID, alice, `{"title":"BRB","config":{"text":"back in 5"}}`); r.Status != 200 {
		t.Fatal(string(r.Body))
	}
	cfg := obs.awaitType("WIDGET_CONFIG_UPDATE")
	if cfg.str("title") != "BRB" || cfg.obj("config").str("text") != "back in 5" || cfg.num("version") != 2 {
		t.Fatalf("config update: %v", cfg)
	}
	if r := n.do("DELETE", "/records/stream_widgets/"+w.ID, alice, nil); r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if del := obs.awaitType("WIDGET_DELETED"); del.str("widgetId") != w.ID {
		t.Fatalf("delete: %v", del)
	}
}

func TestCountdownTicksReachViewersOncePerSecond(t *testing.T) {
	n := startNode(t, fastWS)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	obs := n.session(w.AccessToken)
	subscribeTo(obs, w.ID)
	act(n.session(alice), w.ID, "start", nil)
	start := time.Now()
	var lefts []float64
	for len(lefts) < 4 {
		m := obs.awaitType("WIDGET_STATE_UPDATE")
		lefts = append(lefts, stateOf(m).num("duration_left"))
	}
	took := time.Since(start)
	if took < 2*time.Second || took > 5*time.Second {
		t.Fatalf("4 updates took %v; ticks should come once per second", took)
	}
	for i := 1; i < len(lefts); i++ {
		if lefts[i] >= lefts[i-1] {
			t.Fatalf("time left does not go down: %v", lefts)
		}
	}
}

func TestStalledSubscriberDoesNotDelayOthers(t *testing.T) {
	n := startNode(t, fastWS, liftRESTLimits, func(c *app.Config) {
		c.WS.OutboxLimit = 16
		c.WS.SocketWriteBuffer = 8192
	})
	alice := n.token("alice")
	w := n.create(alice, `{"type":"countdown","config":{"duration":600}}`)
	stalled := n.dial("", 4096) // tiny receive buffer, and it never reads after subscribing
	stalled.send(msg{"type": "AUTH", "token": w.AccessToken})
	stalled.next()
	subscribeTo(stalled, w.ID)
	healthy := n.session(w.AccessToken)
	subscribeTo(healthy, w.ID)

	// Each lag is how long after the PUT's answer the healthy viewer still
	// waits for the update (the store's write time is not in it: on
	// DynamoDB Local under load it alone passed half a second). A fan-out
	// that waits on the stalled socket holds back every update after the
	// socket's buffers fill, so the 90th percentile shows it; one
	// scheduling hiccup on a busy machine does not fail the test.
	text := strings.Repeat("x", 480)
	lags := make([]time.Duration, 0, 300)
	for i := 0; i < 300; i++ {
		r := n.do("PUT", "/records/stream_widgets/"+w.ID, alice, fmt.Sprintf(`{"config":{"text":"%s%d"}}`, text, i))
		answered := time.Now()
		if r.Status != 200 {
			t.Fatalf("update %d: %d %s", i, r.Status, r.Body)
		}
		want := float64(i + 2)
		healthy.await("config update", func(m msg) bool { return m.str("type") == "WIDGET_CONFIG_UPDATE" && m.num("version") == want })
		lags = append(lags, time.Since(answered))
	}
	slices.Sort(lags)
	if p90 := lags[len(lags)*9/10]; p90 > 500*time.Millisecond {
		t.Fatalf("while another viewer stalled, a healthy viewer got 1 update in 10 more than %v after the write was answered (worst %v)", p90, lags[len(lags)-1])
	}
	t.Logf("healthy viewer's wait after each answer: median %v, p90 %v, worst %v", lags[len(lags)/2], lags[len(lags)*9/10], lags[len(lags)-1])
	// The stalled one was dropped: draining it ends in a close, not more data forever.
	if code, _ := stalled.expectClosed(10 * time.Second); code == 0 {
		t.Fatal("stalled socket still open")
	}
	if !strings.Contains(n.logs.String(), "slow consumer") {
		t.Fatal("the server never noticed the slow consumer")
	}
}

func TestOriginAllowList(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS, func(c *app.Config) { c.WS.AllowedOrigins = []string{"https://manager.example.com"} })
	n.dial("https://manager.example.com", 0)
	n.dial(n.base, 0) // the service's own pages
	n.dial("", 0)     // not a browser
	d := n.do("GET", "/ws", "", nil)
	if d.Status != 426 {
		t.Fatalf("plain GET /ws: %d", d.Status)
	}
	if code := dialStatus(t, n, "https://evil.example"); code != 403 {
		t.Fatalf("foreign origin: HTTP %d, want 403", code)
	}
}

func TestConnectionCapPerUser(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS, func(c *app.Config) { c.WS.MaxConnsPerUser = 2 })
	alice := n.token("alice")
	n.session(alice)
	n.session(alice)
	third := n.dial("", 0)
	third.send(msg{"type": "AUTH", "token": alice})
	if code, _ := third.expectClosed(3 * time.Second); code != protocol.CloseTooMany {
		t.Fatalf("third connection: close %d, want %d", code, protocol.CloseTooMany)
	}
	n.session(n.token("bob")) // other users are unaffected
}

func TestWebSocketLogsHoldNoSecretsOrBodies(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	c := n.session(alice)
	subscribeTo(c, w.ID)
	act(c, w.ID, "add_time", msg{"seconds": 424242})
	obs := n.session(w.AccessToken)
	subscribeTo(obs, w.ID)
	bad := n.dial("", 0)
	bad.send(msg{"type": "AUTH", "token": "eyJsecret-looking-but-bad"})
	bad.expectClosed(3 * time.Second)
	logs := n.logs.String()
	for _, secret := range []string{alice, w.AccessToken, "eyJsecret-looking-but-bad", "424242"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q", secret[:10])
		}
	}
}
