package clustered_test

import (
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/rooms"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// TestRoomSocketsSyncPresenceAndPolicy: connection actors subscribed to a
// room get its state on subscribe, every change with the server clock, the
// members' presence; a viewer's controls are refused under host_only, a
// stranger cannot subscribe, and a member who leaves stops receiving.
func TestRoomSocketsSyncPresenceAndPolicy(t *testing.T) {
	t.Parallel()
	n := startRoomNode(t, t.TempDir())
	createRoom(t, n, "r1", "alice", "", "bob")
	must(n.rooms.Join(ctx, actors.RoomUserCaller("bob"), "r1", ""))

	a := n.connect(t)
	a.auth(t, "eyJ.alice.sig")
	a.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "r1", "requestId": "s1"})
	st := a.sock.await(t, "ROOM_STATE s1", typed("ROOM_STATE", field("requestId", "s1")))
	if st["server_ts_ms"] == nil || st["playing"] != false || st["room"] == nil {
		t.Fatalf("subscribe answer: %v", st)
	}

	b := n.connect(t)
	b.auth(t, "eyJ.bob.sig")
	b.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "r1"})
	b.sock.await(t, "bob's ROOM_STATE", typed("ROOM_STATE"))
	a.sock.await(t, "bob online", typed("ROOM_PRESENCE", field("user_id", "bob"), field("online", true)))

	// A viewer's play, pause and seek are refused; nothing is broadcast.
	b.send(map[string]any{"type": "ROOM_PLAY", "roomId": "r1", "requestId": "p1"})
	b.send(map[string]any{"type": "ROOM_SEEK", "roomId": "r1", "position_ms": 1000, "requestId": "p2"})
	for _, id := range []string{"p1", "p2"} {
		b.sock.await(t, "refusal "+id, typed("ROOM_ACTION_RESPONSE", field("requestId", id), field("success", false), field("code", rooms.CodeForbidden)))
	}
	// The host seeks and plays: both sockets get the new state.
	a.send(map[string]any{"type": "ROOM_SEEK", "roomId": "r1", "position_ms": 42000, "requestId": "h1"})
	a.send(map[string]any{"type": "ROOM_PLAY", "roomId": "r1", "requestId": "h2"})
	a.sock.await(t, "ack h2", typed("ROOM_ACTION_RESPONSE", field("requestId", "h2"), field("success", true)))
	for _, c := range []*conn{a, b} {
		s := c.sock.await(t, "playing state", typed("ROOM_STATE", field("playing", true)))
		if s["position_ms"].(float64) != 42000 || s["updated_ts_ms"].(float64) <= 0 || s["server_ts_ms"].(float64) < s["updated_ts_ms"].(float64) {
			t.Fatalf("state after play: %v", s)
		}
	}

	// A stranger, and a widget-token session, cannot subscribe.
	m := n.connect(t)
	m.auth(t, "eyJ.mallory.sig")
	m.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "r1", "requestId": "x"})
	m.sock.await(t, "not_member", typed("ERROR", field("code", protocol.CodeNotMember), field("requestId", "x")))
	if m.sock.count(typed("ROOM_STATE")) != 0 {
		t.Fatal("a stranger got the room's state")
	}

	// Bob leaves: his socket is told and stops; alice sees him go.
	must(n.rooms.Leave(ctx, actors.RoomUserCaller("bob"), "r1"))
	b.sock.await(t, "ROOM_REMOVED", typed("ROOM_REMOVED", field("reason", "left")))
	a.sock.await(t, "bob left", func(f map[string]any) bool {
		if f["type"] != "ROOM_STATE" {
			return false
		}
		for _, m := range f["room"].(map[string]any)["members"].([]any) {
			mm := m.(map[string]any)
			if mm["user_id"] == "bob" {
				return mm["status"] == "left" && mm["online"] == false
			}
		}
		return false
	})
	before := b.sock.count(typed("ROOM_STATE"))
	a.send(map[string]any{"type": "ROOM_PAUSE", "roomId": "r1", "requestId": "h3"})
	a.sock.await(t, "paused", typed("ROOM_STATE", field("playing", false)))
	time.Sleep(100 * time.Millisecond)
	if b.sock.count(typed("ROOM_STATE")) != before {
		t.Fatal("a member who left still gets the room's state")
	}
}

// TestRoomOBSViewIsReadOnlyAndRevocable: a room's OBS token opens that room
// only, read-only; a new token closes the old views (4001).
func TestRoomOBSViewIsReadOnlyAndRevocable(t *testing.T) {
	t.Parallel()
	n := startRoomNode(t, t.TempDir())
	createRoom(t, n, "r1", "alice", "")
	createRoom(t, n, "r2", "alice", "")
	host := actors.RoomUserCaller("alice")
	token, _ := actors.NewRoomToken("r1")
	if _, err := n.rooms.SetObsToken(ctx, actors.RoomUserCaller("bob"), "r1", token); err == nil {
		t.Fatal("a non-host made an OBS link")
	}
	must(n.rooms.SetObsToken(ctx, host, "r1", token))

	obs := n.connect(t)
	ok := obs.auth(t, token)
	if s := ok["session"].(map[string]any); s["mode"] != "room" || s["roomId"] != "r1" || s["read_only"] != true {
		t.Fatalf("OBS session: %v", ok)
	}
	obs.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "r1"})
	obs.sock.await(t, "state", typed("ROOM_STATE"))
	obs.send(map[string]any{"type": "ROOM_PLAY", "roomId": "r1", "requestId": "p"})
	obs.sock.await(t, "refused", typed("ROOM_ACTION_RESPONSE", field("code", protocol.CodeForbidden)))
	obs.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "r2", "requestId": "o"})
	obs.sock.await(t, "other room", typed("ERROR", field("code", protocol.CodeNotFound), field("requestId", "o")))
	obs.send(map[string]any{"type": "WIDGET_SUBSCRIBE", "widgetId": "r2", "requestId": "w"})
	obs.sock.await(t, "widget", typed("ERROR", field("requestId", "w"), field("code", protocol.CodeNotFound)))

	// A forged token for the same room is refused at AUTH.
	forged := n.connect(t)
	forged.send(map[string]any{"type": "AUTH", "token": "room.r1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
	forged.sock.await(t, "auth_failed", typed("ERROR", field("code", protocol.CodeAuthFailed)))

	// The host makes a new link: the old view closes.
	token2, _ := actors.NewRoomToken("r1")
	must(n.rooms.SetObsToken(ctx, host, "r1", token2))
	obs.sock.await(t, "token_revoked", typed("ERROR", field("code", protocol.CodeTokenRevoked)))
	if obs.sock.closeCode() != protocol.CloseTokenRevoked {
		t.Fatalf("close code %d, want %d", obs.sock.closeCode(), protocol.CloseTokenRevoked)
	}
}

// TestRoomMessagesNeedAuth: a room message before AUTH closes the socket.
func TestRoomMessagesNeedAuth(t *testing.T) {
	t.Parallel()
	n := startRoomNode(t, t.TempDir())
	c := n.connect(t)
	c.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "r1"})
	c.sock.await(t, "auth_required", typed("ERROR", field("code", protocol.CodeAuthRequired)))
	if c.sock.closeCode() != protocol.ClosePolicyViolation {
		t.Fatalf("close code %d", c.sock.closeCode())
	}
}
