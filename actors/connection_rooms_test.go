package actors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/roompb"
)

// The room half of the connection actor on a plain actor system (under
// -race): fake room grains, the member's relay, a fake socket.

type fakeRooms struct {
	mu    sync.Mutex
	grain *actor.PID
	seq   int64
	calls []string
	gates map[string]chan struct{} // room id -> its subscribe waits until closed
}

var _ actors.RoomCalls = (*fakeRooms)(nil)

func (r *fakeRooms) record(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

func (r *fakeRooms) view(id string) json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return json.RawMessage(fmt.Sprintf(`{"id":%q,"playback":{"playing":false,"position_ms":0,"updated_ts_ms":1},"version":1,"seq":%d,"members":[]}`, id, r.seq))
}

func (r *fakeRooms) Get(_ context.Context, c *roompb.Caller, id string) (json.RawMessage, error) {
	if c.GetTokenHash() == "" || id != "r1" {
		return nil, &actors.Error{Code: actors.CodeNotFound, Message: "room not found"}
	}
	return r.view(id), nil
}

func (r *fakeRooms) Subscribe(ctx context.Context, c *roompb.Caller, id string, _ *actor.PID) (json.RawMessage, *actor.PID, error) {
	r.record("subscribe " + id)
	r.mu.Lock()
	gate := r.gates[id]
	r.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	return r.view(id), r.grain, nil
}

func (r *fakeRooms) Unsubscribe(context.Context, string, *actor.PID) error { return nil }

func (r *fakeRooms) Control(_ context.Context, _ *roompb.Caller, id, action string, at *int64) (json.RawMessage, error) {
	pos := int64(-1)
	if at != nil {
		pos = *at
	}
	r.record(fmt.Sprintf("%s %s %d", action, id, pos))
	return r.view(id), nil
}

func startRoomConn(t *testing.T) (*connHarness, *fakeRooms) {
	t.Helper()
	rooms := &fakeRooms{gates: map[string]chan struct{}{}}
	h := startConn(t, func(d *actors.ConnDeps) { d.Rooms = rooms })
	// A live actor stands for the grain: the connection watches it.
	rooms.grain = h.system.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	return h, rooms
}

func roomEvent(kind roompb.RoomEvent_Kind, seq int64, user string) *roompb.RoomEvent {
	ev := &roompb.RoomEvent{RoomId: "r1", Kind: kind, Seq: seq, UserId: user, Online: true, Version: 1}
	if kind == roompb.RoomEvent_STATE || kind == roompb.RoomEvent_ENDED {
		ev.ViewJson = []byte(fmt.Sprintf(`{"id":"r1","playback":{"playing":true,"position_ms":%d,"updated_ts_ms":5},"version":1,"seq":%d}`, seq, seq))
	}
	return ev
}

// TestRoomCallsKeepOrderAndNeverBlockWidgets: while a room's subscribe is
// held, the session's widgets are served; the room's controls wait behind
// the subscribe and run in the order sent; events published meanwhile are
// held and then checked against the subscribe's seq.
func TestRoomCallsKeepOrderAndNeverBlockWidgets(t *testing.T) {
	h, rooms := startRoomConn(t)
	h.auth(userToken)
	gate := make(chan struct{})
	rooms.mu.Lock()
	rooms.gates["r1"], rooms.seq = gate, 10
	rooms.mu.Unlock()
	h.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "r1", "requestId": "s"})
	for i := range 3 {
		h.send(map[string]any{"type": "ROOM_SEEK", "roomId": "r1", "position_ms": i * 1000, "requestId": fmt.Sprint("c", i)})
	}
	h.subscribe("w1") // a widget, while the room's call is held
	// Events published while subscribing: one older than the snapshot, one newer.
	// The connection sends its join to the relay before it calls Subscribe,
	// so once the call is seen the join is ahead of these events in the
	// relay's mailbox (a fixed sleep here was too short under -race at load).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		rooms.mu.Lock()
		called := len(rooms.calls) > 0
		rooms.mu.Unlock()
		if called {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the room's subscribe was never called")
		}
	}
	relay := actors.LocalRelay(h.system)
	h.system.Root.Send(relay, roomEvent(roompb.RoomEvent_STATE, 9, ""))
	h.system.Root.Send(relay, roomEvent(roompb.RoomEvent_PRESENCE, 11, "bob"))
	close(gate)
	h.sock.awaitFrame(t, byRequest("c2"), "the last control's answer")
	frames, _ := h.sock.snapshot()
	var order []string
	for _, f := range frames {
		switch {
		case strings.Contains(f.Raw, `"ROOM_STATE"`):
			order = append(order, "state:"+f.RequestID)
		case strings.Contains(f.Raw, `"ROOM_PRESENCE"`):
			order = append(order, "presence")
		}
	}
	if strings.Join(order, ",") != "state:s,presence" {
		t.Fatalf("room frames %v: want the snapshot, then only the newer presence", order)
	}
	rooms.mu.Lock()
	calls := strings.Join(rooms.calls, ",")
	rooms.mu.Unlock()
	if calls != "subscribe r1,seek r1 0,seek r1 1000,seek r1 2000" {
		t.Fatalf("room calls %q", calls)
	}
}

// TestRoomDeliveriesBySeqAndUser: stale states are dropped, a REMOVED for
// another user is ignored, one for this user ends the subscription.
func TestRoomDeliveriesBySeqAndUser(t *testing.T) {
	h, rooms := startRoomConn(t)
	rooms.seq = 5
	h.auth(userToken)
	h.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "r1", "requestId": "s"})
	h.sock.awaitFrame(t, byRequest("s"), "the room's state")
	relay := actors.LocalRelay(h.system)
	h.system.Root.Send(relay, roomEvent(roompb.RoomEvent_STATE, 4, ""))        // stale
	h.system.Root.Send(relay, roomEvent(roompb.RoomEvent_STATE, 8, ""))        // new
	h.system.Root.Send(relay, roomEvent(roompb.RoomEvent_REMOVED, 9, "bob"))   // someone else
	h.system.Root.Send(relay, roomEvent(roompb.RoomEvent_REMOVED, 9, "alice")) // us
	h.system.Root.Send(relay, roomEvent(roompb.RoomEvent_STATE, 12, ""))       // after we left
	h.sock.awaitFrame(t, func(f frame) bool { return f.Type == "ROOM_REMOVED" }, "ROOM_REMOVED")
	time.Sleep(100 * time.Millisecond)
	frames, _ := h.sock.snapshot()
	var states []string
	removed := 0
	for _, f := range frames {
		if f.Type == "ROOM_STATE" {
			states = append(states, fmt.Sprint(strings.Contains(f.Raw, `"seq":8`), f.RequestID))
		}
		if f.Type == "ROOM_REMOVED" {
			removed++
		}
	}
	if len(states) != 2 || states[1] != "true" || removed != 1 {
		t.Fatalf("states %v removed %d: want the snapshot and seq 8 only, one ROOM_REMOVED", states, removed)
	}
}

// TestRoomSessionsAndRefusals: a room OBS token's session is read-only and
// limited to its room; a forged one is refused at AUTH; room frames
// before AUTH close the socket; a bad room frame is refused, not fatal.
func TestRoomSessionsAndRefusals(t *testing.T) {
	h, _ := startRoomConn(t)
	h.send(map[string]any{"type": "ROOM_PLAY", "roomId": "r1"})
	h.sock.await(t, "close", func(_ []frame, code int) bool { return code == 1008 })

	obs, _ := startRoomConn(t)
	token := "room.r1." + strings.Repeat("A", 43)
	obs.send(map[string]any{"type": "AUTH", "token": token})
	at := obs.sock.awaitFrame(t, byType("AUTH_OK", ""), "AUTH_OK")
	frames, _ := obs.sock.snapshot()
	if !strings.Contains(frames[at].Raw, `"mode":"room"`) || !strings.Contains(frames[at].Raw, `"roomId":"r1"`) {
		t.Fatalf("room session: %s", frames[at].Raw)
	}
	obs.send(map[string]any{"type": "ROOM_SEEK", "roomId": "r1", "position_ms": 5, "requestId": "p"})
	obs.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "r2", "requestId": "o"})
	obs.send(map[string]any{"type": "ROOM_SEEK", "roomId": "r1", "requestId": "bad"})
	obs.sock.awaitFrame(t, func(f frame) bool { return f.RequestID == "p" && f.Code == "forbidden" }, "forbidden control")
	obs.sock.awaitFrame(t, func(f frame) bool { return f.RequestID == "o" && f.Code == "not_found" }, "other room")
	obs.sock.awaitFrame(t, func(f frame) bool { return f.RequestID == "bad" && f.Code == "bad_message" }, "bad frame")

	forged, _ := startRoomConn(t)
	forged.send(map[string]any{"type": "AUTH", "token": "room.r9." + strings.Repeat("A", 43)})
	forged.sock.await(t, "auth_failed close", func(_ []frame, code int) bool { return code == 1008 })
}
