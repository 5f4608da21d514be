package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// Watch-party rooms end to end on a real node (REST + WebSocket): the
// seed's security checklist, one refusal per test step.

type roomDoc struct {
	ID               string `json:"id"`
	PasswordRequired bool   `json:"password_required"`
	Ended            bool   `json:"ended"`
	Members          []struct {
		UserID string `json:"user_id"`
		Role   string `json:"role"`
		Status string `json:"status"`
	} `json:"members"`
	Me *struct {
		Role   string `json:"role"`
		Status string `json:"status"`
	} `json:"me"`
}

func (r response) room(t *testing.T) roomDoc {
	t.Helper()
	var env struct{ Data roomDoc }
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatalf("decode room from %s: %v", r.Body, err)
	}
	return env.Data
}

func (n *node) createRoom(token string, body any) string {
	n.t.Helper()
	r := n.do("POST", "/watch-party/rooms", token, body)
	if r.Status != http.StatusCreated {
		n.t.Fatalf("create room: %d %s", r.Status, r.Body)
	}
	id := r.room(n.t).ID
	if r.Header.Get("Location") != "/watch-party/rooms/"+id {
		n.t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	return id
}

func expectStatus(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status || r.code() != code {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
}

func refusedJoins(t *testing.T, n *node, reason string) float64 {
	t.Helper()
	body := string(n.do("GET", "/metrics", "", nil).Body)
	m := regexp.MustCompile(`streamwidgets_room_joins_refused_total\{reason="` + reason + `"\} (\d+)`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	var v float64
	fmt.Sscan(m[1], &v)
	return v
}

// TestRoomRESTSecurityChecklist: details, join, invites, roles and end
// as the host, an invitee, a stranger and a read-only token see them.
func TestRoomRESTSecurityChecklist(t *testing.T) {
	// Sequential (no t.Parallel): its Argon2id checks must answer within the call timeout.
	n := startNode(t)
	alice, bob, mallory, carol := n.token("alice"), n.token("bob"), n.token("mallory"), n.token("carol")
	create := n.do("POST", "/watch-party/rooms", alice, map[string]any{"title": "Movie night", "media_url": "/assets/test.webm",
		"invitees": []string{"bob"}, "password": "popcorn"})
	if create.Status != http.StatusCreated || strings.Contains(string(create.Body), "popcorn") || strings.Contains(string(create.Body), "argon2") {
		t.Fatalf("create: %d %s", create.Status, create.Body)
	}
	id := create.room(t).ID
	path := "/watch-party/rooms/" + id

	// Signed out, or with a room's OBS token: no REST at all.
	expectStatus(t, n.do("GET", path, "", nil), http.StatusUnauthorized, "unauthorized")
	obs := n.do("POST", path+"/obs_token", alice, nil)
	var tok struct {
		Data struct {
			Token  string `json:"token"`
			ObsURL string `json:"obs_url"`
		}
	}
	_ = json.Unmarshal(obs.Body, &tok)
	if obs.Status != http.StatusOK || !strings.HasPrefix(tok.Data.Token, "room."+id+".") || !strings.Contains(tok.Data.ObsURL, "#token=") {
		t.Fatalf("obs token: %d %s", obs.Status, obs.Body)
	}
	expectStatus(t, n.do("GET", path, tok.Data.Token, nil), http.StatusUnauthorized, "unauthorized")

	// A non-member reads only password_required.
	r := n.do("GET", path, mallory, nil)
	var public map[string]map[string]any
	_ = json.Unmarshal(r.Body, &public)
	if r.Status != http.StatusOK || len(public["data"]) != 2 || public["data"]["password_required"] != true {
		t.Fatalf("a stranger's details: %d %s", r.Status, r.Body)
	}
	expectStatus(t, n.do("GET", "/watch-party/rooms/no-such-room", mallory, nil), http.StatusNotFound, "not_found")

	// A wrong password is refused and counted; a missing one too.
	before := refusedJoins(t, n, "wrong_password")
	expectStatus(t, n.do("POST", path+"/join", mallory, map[string]any{"password": "Popcorn"}), http.StatusForbidden, "wrong_password")
	expectStatus(t, n.do("POST", path+"/join", mallory, nil), http.StatusForbidden, "password_required")
	if got := refusedJoins(t, n, "wrong_password"); got != before+1 {
		t.Fatalf("wrong passwords counted %v, want %v", got, before+1)
	}
	if logs := n.logs.String(); strings.Contains(logs, "Popcorn") || strings.Contains(logs, "popcorn") {
		t.Fatal("a password reached the logs")
	}
	expectStatus(t, n.do("POST", path+"/join", mallory, `{"password":"popcorn","admin":true}`), http.StatusBadRequest, "unknown_field")
	if d := n.do("POST", path+"/join", mallory, map[string]any{"password": "popcorn"}).room(t); d.Me == nil || d.Me.Role != "viewer" || d.Me.Status != "joined" {
		t.Fatalf("mallory with the password: %+v", d)
	}

	// Bob's invite is his: nobody else declines or accepts it.
	expectStatus(t, n.do("POST", "/watch-party/invites/"+id+"/decline", carol, nil), http.StatusNotFound, "not_found")
	expectStatus(t, n.do("POST", "/watch-party/invites/"+id+"/decline", mallory, nil), http.StatusNotFound, "not_found")
	var inbox struct {
		Data []struct{ RoomID, Status string }
	}
	_ = json.Unmarshal(n.do("GET", "/watch-party/invites", bob, nil).Body, &inbox)
	if len(inbox.Data) != 1 || inbox.Data[0].Status != "invited" {
		t.Fatalf("bob's inbox: %+v", inbox)
	}
	_ = json.Unmarshal(n.do("GET", "/watch-party/invites", mallory, nil).Body, &inbox)
	if len(inbox.Data) != 0 {
		t.Fatalf("mallory's inbox shows another user's invite: %+v", inbox)
	}
	if d := n.do("POST", "/watch-party/invites/"+id+"/decline", bob, nil); d.Status != http.StatusOK {
		t.Fatalf("bob declines: %d %s", d.Status, d.Body)
	}
	_ = json.Unmarshal(n.do("GET", "/watch-party/invites", bob, nil).Body, &inbox)
	if len(inbox.Data) != 0 {
		t.Fatalf("a declined invite is still in the inbox: %+v", inbox)
	}

	// A viewer can't end the room, change roles or make OBS links.
	expectStatus(t, n.do("POST", path+"/end", mallory, nil), http.StatusForbidden, "forbidden")
	expectStatus(t, n.do("PUT", path+"/members/mallory", mallory, map[string]any{"role": "co_host"}), http.StatusForbidden, "forbidden")
	expectStatus(t, n.do("POST", path+"/obs_token", mallory, nil), http.StatusForbidden, "forbidden")
	expectStatus(t, n.do("POST", path+"/invite", mallory, map[string]any{"user_ids": []string{"eve"}}), http.StatusForbidden, "forbidden")
	expectStatus(t, n.do("POST", path+"/end", carol, nil), http.StatusForbidden, "not_member")
	if d := n.do("GET", path, alice, nil).room(t); d.Ended || len(d.Members) != 3 {
		t.Fatalf("refusals changed the room: %+v", d)
	}

	// The host changes a role and ends the room, which is kept.
	expectStatus(t, n.do("PUT", path+"/members/mallory", alice, map[string]any{"role": "host"}), http.StatusBadRequest, "invalid_field")
	if d := n.do("PUT", path+"/members/mallory", alice, map[string]any{"role": "co_host"}).room(t); d.Members[2].Role != "co_host" {
		t.Fatalf("role change: %+v", d)
	}
	if d := n.do("POST", path+"/end", alice, nil).room(t); !d.Ended {
		t.Fatalf("end: %+v", d)
	}
	expectStatus(t, n.do("POST", path+"/join", carol, map[string]any{"password": "popcorn"}), http.StatusConflict, "room_ended")
	var mine struct {
		Data []struct {
			RoomID string `json:"room_id"`
			Closed bool
		}
	}
	_ = json.Unmarshal(n.do("GET", "/watch-party/rooms", alice, nil).Body, &mine)
	if len(mine.Data) != 1 || mine.Data[0].RoomID != id || !mine.Data[0].Closed {
		t.Fatalf("alice's rooms after the end: %+v", mine)
	}
}

// TestRoomJoinAttemptsAreLimited: per user on this node, and per room for
// every user together (the grain), each answering 429 with Retry-After. The
// attempts arrive together, as a brute-force script sends them.
func TestRoomJoinAttemptsAreLimited(t *testing.T) {
	// Sequential (no t.Parallel): 32 Argon2id checks must answer within the call timeout.
	n := startNode(t)
	alice := n.token("alice")
	attempt := func(room string, tokens []string) (limited int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := n.do("POST", "/watch-party/rooms/"+room+"/join", tok, map[string]any{"password": "guess"})
				if r.Status == http.StatusTooManyRequests {
					if r.Header.Get("Retry-After") == "" || r.code() != "rate_limited" {
						t.Errorf("429 without Retry-After or code: %v %s", r.Header, r.Body)
					}
					mu.Lock()
					limited++
					mu.Unlock()
				} else if r.code() != "wrong_password" {
					t.Errorf("attempt answered %d %s", r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		return limited
	}
	one := n.createRoom(alice, map[string]any{"title": "A", "media_url": "/a.webm", "password": "popcorn"})
	brute := n.token("brute")
	if limited := attempt(one, slices.Repeat([]string{brute}, 16)); limited < 5 {
		t.Fatalf("one user, 16 attempts at once (budget 10): %d refused as rate_limited", limited)
	}
	// Many accounts against one room: the room's own budget (10 at once).
	two := n.createRoom(alice, map[string]any{"title": "B", "media_url": "/b.webm", "password": "popcorn"})
	var accounts []string
	for i := range 16 {
		accounts = append(accounts, n.token(fmt.Sprintf("sock%d", i)))
	}
	if limited := attempt(two, accounts); limited < 5 {
		t.Fatalf("16 accounts against one room at once (budget 10): %d refused as rate_limited", limited)
	}
	if refusedJoins(t, n, "rate_limited") < 10 {
		t.Fatal("rate-limited joins are not counted")
	}
}

// TestRoomSocketsEnforceRolesMembershipAndLimits: the same socket as
// widgets, with the same hardening, and the room's policy on every message.
func TestRoomSocketsEnforceRolesMembershipAndLimits(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS, func(c *app.Config) { c.WS.MessagesPerSecond, c.WS.MessageBurst, c.WS.MaxViolations = 20, 10, 10 })
	alice, bob := n.token("alice"), n.token("bob")
	id := n.createRoom(alice, map[string]any{"title": "Movie night", "media_url": "/m.webm", "invitees": []string{"bob"}})
	if r := n.do("POST", "/watch-party/rooms/"+id+"/join", bob, nil); r.Status != http.StatusOK {
		t.Fatalf("bob joins: %d %s", r.Status, r.Body)
	}

	// Unauthenticated: the first room message closes the socket.
	c := n.dial("", 0)
	c.send(msg{"type": "ROOM_SUBSCRIBE", "roomId": id})
	if code, seen := c.expectClosed(3 * time.Second); code != protocol.ClosePolicyViolation || len(seen) == 0 || seen[0].str("code") != "auth_required" {
		t.Fatalf("unauthenticated room message: close %d %v", code, seen)
	}
	// A non-member cannot subscribe.
	m := n.session(n.token("mallory"))
	m.send(msg{"type": "ROOM_SUBSCRIBE", "roomId": id, "requestId": "x"})
	if e := m.awaitType("ERROR"); e.str("code") != "not_member" || e.str("requestId") != "x" {
		t.Fatalf("stranger subscribe: %v", e)
	}
	// Host and viewer: the viewer's play, pause and seek are refused.
	h := n.session(alice)
	h.send(msg{"type": "ROOM_SUBSCRIBE", "roomId": id})
	h.awaitType("ROOM_STATE")
	v := n.session(bob)
	v.send(msg{"type": "ROOM_SUBSCRIBE", "roomId": id})
	v.awaitType("ROOM_STATE")
	for i, typ := range []string{"ROOM_PLAY", "ROOM_PAUSE", "ROOM_SEEK"} {
		v.send(msg{"type": typ, "roomId": id, "position_ms": 1000, "requestId": fmt.Sprint(i)})
		if r := v.awaitType("ROOM_ACTION_RESPONSE"); r["success"] != false || r.str("code") != "forbidden" {
			t.Fatalf("viewer %s: %v", typ, r)
		}
	}
	h.send(msg{"type": "ROOM_SEEK", "roomId": id, "position_ms": 61000})
	if s := v.await("seek state", func(m msg) bool { return m.str("type") == "ROOM_STATE" && m.num("position_ms") == 61000 }); s.num("server_ts_ms") == 0 {
		t.Fatalf("state without server_ts_ms: %v", s)
	}
	// A malformed room message is refused, the socket stays.
	v.send(msg{"type": "ROOM_SEEK", "roomId": id, "position_ms": -1, "requestId": "bad"})
	if e := v.awaitType("ERROR"); e.str("code") != "bad_message" || e.str("requestId") != "bad" {
		t.Fatalf("bad seek: %v", e)
	}
	// Oversize: closed with 1009.
	_ = v.conn.WriteMessage(1, []byte(`{"type":"ROOM_SUBSCRIBE","roomId":"`+strings.Repeat("a", 20<<10)+`"}`))
	if code, _ := v.expectClosed(3 * time.Second); code != protocol.CloseMessageTooBig {
		t.Fatalf("oversize room frame: close %d", code)
	}
	// A flood of room messages: refused, then closed with 1008.
	f := n.session(bob)
	for range 40 {
		_ = f.conn.WriteJSON(msg{"type": "ROOM_PAUSE", "roomId": id})
	}
	code, seen := f.expectClosed(5 * time.Second)
	limited := 0
	for _, m := range seen {
		if m.str("code") == "rate_limited" {
			limited++
		}
	}
	if limited == 0 || code != protocol.ClosePolicyViolation {
		t.Fatalf("room flood: %d rate_limited, close %d", limited, code)
	}
	// The host's socket was never disturbed.
	h.send(msg{"type": "ROOM_PLAY", "roomId": id, "requestId": "ok"})
	if r := h.awaitType("ROOM_ACTION_RESPONSE"); r["success"] != true {
		t.Fatalf("host play after the others' trouble: %v", r)
	}
}

// TestRoomOBSTokenOverTheSocket: the room's OBS link opens that room,
// read-only; a new link closes the old view with 4001.
func TestRoomOBSTokenOverTheSocket(t *testing.T) {
	t.Parallel()
	n := startNode(t, fastWS)
	alice := n.token("alice")
	id := n.createRoom(alice, map[string]any{"title": "On stream", "media_url": "/m.webm"})
	var tok struct{ Data struct{ Token string } }
	_ = json.Unmarshal(n.do("POST", "/watch-party/rooms/"+id+"/obs_token", alice, nil).Body, &tok)
	c := n.dial("", 0)
	c.send(msg{"type": "AUTH", "token": tok.Data.Token})
	if ok := c.next(); ok.str("type") != "AUTH_OK" || ok.obj("session").str("mode") != "room" || ok.obj("session")["read_only"] != true {
		t.Fatalf("AUTH with the room token: %v", ok)
	}
	c.send(msg{"type": "ROOM_SUBSCRIBE", "roomId": id})
	c.awaitType("ROOM_STATE")
	c.send(msg{"type": "ROOM_PLAY", "roomId": id})
	if r := c.awaitType("ROOM_ACTION_RESPONSE"); r.str("code") != "forbidden" {
		t.Fatalf("OBS play: %v", r)
	}
	n.do("POST", "/watch-party/rooms/"+id+"/obs_token", alice, nil)
	if code, _ := c.expectClosed(3 * time.Second); code != protocol.CloseTokenRevoked {
		t.Fatalf("old OBS view after a new link: close %d", code)
	}
	if strings.Contains(n.logs.String(), tok.Data.Token) {
		t.Fatal("a room token reached the logs")
	}
}
