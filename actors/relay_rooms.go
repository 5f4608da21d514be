package actors

import (
	"encoding/json"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/roompb"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// Room events go through the same per-member relay as widget events: a
// room grain sends one RoomEvent per member with subscribers, the relay
// encodes the frame once and hands it to the member's sockets of that room.
// Rooms are kept under "room:"+id in the relay's tables, apart from widgets.

// RoomDelivery is a room event as the relay hands it to a local connection.
type RoomDelivery struct {
	RoomID string
	Kind   roompb.RoomEvent_Kind
	Seq    int64
	// UserID is whose sockets a REMOVED event stops.
	UserID string
	// Frame is the encoded wire message, shared by every socket (never changed).
	Frame []byte
}

func roomRelayKey(roomID string) string { return "room:" + roomID }

// deliverRoom encodes ev once and hands it to every local socket of its room.
func (r *relay) deliverRoom(ctx actor.Context, ev *roompb.RoomEvent) {
	l := r.subs[roomRelayKey(ev.GetRoomId())]
	if l == nil {
		return
	}
	frame, err := encodeRoomEvent(ev, time.Now().UnixMilli())
	if err != nil {
		r.log.Error("encode room event", zap.String("room_id", ev.GetRoomId()), zap.Error(err))
		return
	}
	d := &RoomDelivery{RoomID: ev.GetRoomId(), Kind: ev.GetKind(), Seq: ev.GetSeq(), UserID: ev.GetUserId(), Frame: frame}
	for _, s := range l.items { // rooms decide per connection: always as messages
		ctx.Send(s.pid, d)
	}
}

// encodeRoomEvent is the wire frame of a room event, stamped with this
// member's clock (server_ts_ms) once for all its sockets.
func encodeRoomEvent(ev *roompb.RoomEvent, nowMs int64) ([]byte, error) {
	switch ev.GetKind() {
	case roompb.RoomEvent_STATE, roompb.RoomEvent_ENDED:
		return RoomStateFrame(ev.GetRoomId(), ev.GetViewJson(), nowMs, "")
	case roompb.RoomEvent_PRESENCE:
		return json.Marshal(protocol.RoomPresence{Type: protocol.TypeRoomPresence, RoomID: ev.GetRoomId(), UserID: ev.GetUserId(),
			Online: ev.GetOnline(), Seq: ev.GetSeq(), ServerTsMs: nowMs})
	case roompb.RoomEvent_REMOVED:
		return json.Marshal(protocol.RoomRemoved{Type: protocol.TypeRoomRemoved, RoomID: ev.GetRoomId(), Reason: "left"})
	default:
		return nil, nil // REVOKED closes the socket instead
	}
}

// roomViewHead is what a frame needs from a room view.
type roomViewHead struct {
	Playback protocol.Playback `json:"playback"`
	Version  int64             `json:"version"`
	Seq      int64             `json:"seq"`
}

// RoomStateFrame is a ROOM_STATE message for the room view viewJSON.
func RoomStateFrame(roomID string, viewJSON []byte, nowMs int64, requestID string) ([]byte, error) {
	var head roomViewHead
	if err := json.Unmarshal(viewJSON, &head); err != nil {
		return nil, err
	}
	return json.Marshal(protocol.RoomState{Type: protocol.TypeRoomState, RoomID: roomID, Playback: head.Playback,
		ServerTsMs: nowMs, Version: head.Version, Seq: head.Seq, Room: viewJSON, RequestID: requestID})
}

// JoinRoomRelay makes pid, a local actor, receive *RoomDelivery for roomID
// from this member's relay (tests and tools standing in for a connection).
func JoinRoomRelay(system *actor.ActorSystem, roomID string, pid *actor.PID) {
	system.Root.Send(LocalRelay(system), relayJoin{widgetID: roomRelayKey(roomID), pid: pid})
}
