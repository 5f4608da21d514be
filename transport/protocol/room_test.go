package protocol

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func i64(v int64) *int64 { return &v }

func TestRoomGoldenExamples(t *testing.T) {
	const id = "5b1e7c1e-8a4e-4d1c-9a53-2f6f2d1f0c11"
	clients := map[string]RoomMessage{
		"room_client_subscribe.json": {Type: TypeRoomSubscribe, RoomID: id, RequestID: "s1"},
		"room_client_seek.json":      {Type: TypeRoomSeek, RoomID: id, PositionMs: i64(754250), RequestID: "c7"},
		"room_client_play.json":      {Type: TypeRoomPlay, RoomID: id, PositionMs: i64(754250)},
	}
	for name, want := range clients {
		m, ok, err := DecodeRoom(golden(t, name))
		if !ok || err != nil {
			t.Fatalf("%s: ok %v err %v", name, ok, err)
		}
		if m.Type != want.Type || m.RoomID != want.RoomID || m.RequestID != want.RequestID || (m.PositionMs == nil) != (want.PositionMs == nil) ||
			(m.PositionMs != nil && *m.PositionMs != *want.PositionMs) {
			t.Fatalf("%s decoded to %+v", name, m)
		}
	}
	var state struct{ Room json.RawMessage }
	_ = json.Unmarshal(golden(t, "room_server_state.json"), &state)
	servers := map[string]any{
		"room_server_state.json": RoomState{Type: TypeRoomState, RoomID: "r1", Playback: Playback{Playing: true, PositionMs: 754250, UpdatedTsMs: 1795550412500},
			ServerTsMs: 1795550413020, Version: 7, Seq: 1795550412500123, Room: state.Room, RequestID: "s1"},
		"room_server_presence.json": RoomPresence{Type: TypeRoomPresence, RoomID: "r1", UserID: "bob", Online: true, Seq: 1795550415000001, ServerTsMs: 1795550415001},
		"room_server_action_refused.json": RoomActionResponse{Type: TypeRoomActionResponse, RoomID: "r1", Action: "seek", Code: "forbidden",
			Error: "only the host and co-hosts control playback in this room", RequestID: "c7"},
		"room_server_removed.json": RoomRemoved{Type: TypeRoomRemoved, RoomID: "r1", Reason: "left"},
	}
	for name, msg := range servers {
		got, _ := json.Marshal(msg)
		sameJSON(t, got, golden(t, name))
	}
}

func TestDecodeRoomRefusesBadFrames(t *testing.T) {
	cases := []struct{ name, frame, want string }{
		{"no roomId", `{"type":"ROOM_SUBSCRIBE"}`, "needs a roomId"},
		{"bad roomId", `{"type":"ROOM_PLAY","roomId":"a/b"}`, "needs a roomId"},
		{"long roomId", `{"type":"ROOM_PLAY","roomId":"` + strings.Repeat("a", 65) + `"}`, "needs a roomId"},
		{"seek without position", `{"type":"ROOM_SEEK","roomId":"r1"}`, "needs position_ms"},
		{"negative position", `{"type":"ROOM_SEEK","roomId":"r1","position_ms":-5}`, "position_ms must be"},
		{"position past a week", `{"type":"ROOM_PAUSE","roomId":"r1","position_ms":604800001}`, "position_ms must be"},
		{"fractional position", `{"type":"ROOM_SEEK","roomId":"r1","position_ms":1.5}`, "wrong type"},
		{"position as a string", `{"type":"ROOM_SEEK","roomId":"r1","position_ms":"5"}`, "wrong type"},
		{"position on subscribe", `{"type":"ROOM_SUBSCRIBE","roomId":"r1","position_ms":5}`, "takes only"},
		{"unknown field", `{"type":"ROOM_PLAY","roomId":"r1","widgetId":"w"}`, "malformed"},
		{"token smuggled", `{"type":"ROOM_PLAY","roomId":"r1","token":"x"}`, "malformed"},
		{"two objects", `{"type":"ROOM_PLAY","roomId":"r1"}{}`, "one JSON object"},
		{"control char requestId", `{"type":"ROOM_PLAY","roomId":"r1","requestId":"a\u0001"}`, "requestId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ok, err := DecodeRoom([]byte(tc.frame))
			if !ok || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ok %v err %v, want a refusal mentioning %q", ok, err, tc.want)
			}
		})
	}
	// Not room frames: left to Decode.
	for _, f := range []string{`{"type":"AUTH","token":"ROOM_x"}`, `{"type":"WIDGET_SUBSCRIBE","widgetId":"ROOM_1"}`, `ROOM_`, `{"type":["ROOM_PLAY"]}`} {
		if _, ok, _ := DecodeRoom([]byte(f)); ok {
			t.Fatalf("%s taken as a room frame", f)
		}
	}
	// The requestId of a refused room frame is echoed.
	if _, _, err := DecodeRoom([]byte(`{"type":"ROOM_SEEK","roomId":"r1","requestId":"q9"}`)); err.(*DecodeError).RequestID != "q9" {
		t.Fatalf("requestId not echoed: %+v", err)
	}
}

// FuzzDecodeRoom: DecodeRoom never panics; what it accepts is a room type
// with a valid roomId and position, and survives a re-encode unchanged.
func FuzzDecodeRoom(f *testing.F) {
	for _, name := range []string{"room_client_subscribe.json", "room_client_seek.json", "room_client_play.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{`{"type":"ROOM_SEEK","roomId":"r","position_ms":0}`, `{"type":"ROOM_PAUSE","roomId":"r","position_ms":null}`, `{"type":"ROOM_`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, ok, err := DecodeRoom(frame)
		if !ok || err != nil {
			return
		}
		if !IsRoomType(m.Type) || !validWidgetID(m.RoomID) {
			t.Fatalf("accepted %+v", m)
		}
		if m.PositionMs != nil && (*m.PositionMs < 0 || *m.PositionMs > MaxPositionMs) {
			t.Fatalf("accepted position %d", *m.PositionMs)
		}
		if m.Type == TypeRoomSeek && m.PositionMs == nil {
			t.Fatal("seek without a position")
		}
		again, _ := json.Marshal(m)
		m2, ok, err := DecodeRoom(again)
		if !ok || err != nil || m2.Type != m.Type || m2.RoomID != m.RoomID || m2.RequestID != m.RequestID || (m2.PositionMs == nil) != (m.PositionMs == nil) {
			t.Fatalf("round trip: %+v -> %s -> %+v %v", m, again, m2, err)
		}
	})
}
