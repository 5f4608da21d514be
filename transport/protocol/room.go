package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Watch-party rooms (seed 004) on the same socket: after AUTH (a user JWT,
// or a room's OBS token for a read-only view), a client subscribes to rooms
// and, if its role allows, plays, pauses and seeks. docs/protocol.md,
// "Watch-party rooms", is the contract.

// Client → server room message types.
const (
	TypeRoomSubscribe   = "ROOM_SUBSCRIBE"
	TypeRoomUnsubscribe = "ROOM_UNSUBSCRIBE"
	TypeRoomPlay        = "ROOM_PLAY"
	TypeRoomPause       = "ROOM_PAUSE"
	TypeRoomSeek        = "ROOM_SEEK"
)

// Server → client room message types.
const (
	TypeRoomState          = "ROOM_STATE"
	TypeRoomPresence       = "ROOM_PRESENCE"
	TypeRoomRemoved        = "ROOM_REMOVED"
	TypeRoomActionResponse = "ROOM_ACTION_RESPONSE"
)

// Room error codes, besides the shared ones (not_found, forbidden, rate_limited…).
const (
	CodeNotMember = "not_member" // join the room (REST) before subscribing or controlling
	CodeRoomEnded = "room_ended"
)

// SessionModeRoom is the session of a room's OBS token: one room, read-only.
const SessionModeRoom = "room"

// MaxPositionMs bounds position_ms: 7 days of media.
const MaxPositionMs = 7 * 24 * 3600 * 1000

// RoomMessage is a client room frame after DecodeRoom checked it.
type RoomMessage struct {
	Type   string `json:"type"`
	RoomID string `json:"roomId"`
	// PositionMs is required by ROOM_SEEK, optional on ROOM_PLAY and
	// ROOM_PAUSE (where the sender's video is), absent otherwise.
	PositionMs *int64 `json:"position_ms,omitempty"`
	RequestID  string `json:"requestId,omitempty"`
}

// Playback is the authoritative playback clock: while playing, the
// position at server time t is position_ms + (t - updated_ts_ms).
type Playback struct {
	Playing     bool  `json:"playing"`
	PositionMs  int64 `json:"position_ms"`
	UpdatedTsMs int64 `json:"updated_ts_ms"`
}

// RoomState is the whole room: sent on subscribe (with the requestId) and
// after every change. The playback fields are repeated at the top with
// server_ts_ms, the server's clock when the message left, for clock
// correction. A message with a seq below the last one applied is stale.
type RoomState struct {
	Type   string `json:"type"`
	RoomID string `json:"roomId"`
	Playback
	ServerTsMs int64           `json:"server_ts_ms"`
	Version    int64           `json:"version"`
	Seq        int64           `json:"seq"`
	Room       json.RawMessage `json:"room"`
	RequestID  string          `json:"requestId,omitempty"`
}

// RoomPresence says a member came (online) or went.
type RoomPresence struct {
	Type       string `json:"type"`
	RoomID     string `json:"roomId"`
	UserID     string `json:"user_id"`
	Online     bool   `json:"online"`
	Seq        int64  `json:"seq"`
	ServerTsMs int64  `json:"server_ts_ms"`
}

// RoomRemoved ends this socket's subscription: reason "left" (you left the
// room) or "ended" (it ended before you subscribed).
type RoomRemoved struct {
	Type   string `json:"type"`
	RoomID string `json:"roomId"`
	Reason string `json:"reason"`
}

// RoomActionResponse answers ROOM_PLAY, ROOM_PAUSE and ROOM_SEEK to their sender.
type RoomActionResponse struct {
	Type      string `json:"type"`
	RoomID    string `json:"roomId"`
	Action    string `json:"action"`
	Success   bool   `json:"success"`
	Code      string `json:"code,omitempty"`
	Error     string `json:"error,omitempty"`
	Version   int64  `json:"version,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// RoomError is an ERROR about a room.
type RoomError struct {
	Type      string `json:"type"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	RoomID    string `json:"roomId,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// RoomSession is what AUTH with a room's OBS token granted.
type RoomSession struct {
	Mode     string `json:"mode"`
	RoomID   string `json:"roomId"`
	ReadOnly bool   `json:"read_only"`
}

// RoomAuthOK answers AUTH with a room's OBS token.
type RoomAuthOK struct {
	Type       string      `json:"type"`
	ServerTime string      `json:"server_time"`
	Session    RoomSession `json:"session"`
	RequestID  string      `json:"requestId,omitempty"`
}

var roomMarker = []byte(`ROOM_`)

// IsRoomType reports whether t is a client room message type.
func IsRoomType(t string) bool {
	switch t {
	case TypeRoomSubscribe, TypeRoomUnsubscribe, TypeRoomPlay, TypeRoomPause, TypeRoomSeek:
		return true
	}
	return false
}

// DecodeRoom parses and checks a client room frame. ok is false when the
// frame is not a room message (Decode handles it then); a room message that
// is malformed comes back with ok and a *DecodeError. It never panics.
func DecodeRoom(frame []byte) (m RoomMessage, ok bool, err error) {
	if !bytes.Contains(frame, roomMarker) { // cheap: most frames are widget frames
		return m, false, nil
	}
	var head struct {
		Type any `json:"type"`
	}
	// The first JSON value decides (a trailing second one is refused below).
	if json.NewDecoder(bytes.NewReader(frame)).Decode(&head) != nil {
		return m, false, nil
	}
	if t, _ := head.Type.(string); !IsRoomType(t) {
		return m, false, nil
	}
	frame = bytes.TrimSpace(frame)
	dec := json.NewDecoder(bytes.NewReader(frame))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		requestID, _ := Peek(frame)
		return RoomMessage{}, true, &DecodeError{Message: "malformed message: " + describe(err), RequestID: requestID}
	}
	if dec.More() {
		return RoomMessage{}, true, &DecodeError{Message: "one JSON object per message"}
	}
	if len(m.RequestID) > maxRequestIDLen || !printable(m.RequestID) {
		return RoomMessage{}, true, &DecodeError{Message: "requestId must be at most 64 printable characters"}
	}
	fail := func(format string, args ...any) (RoomMessage, bool, error) {
		return RoomMessage{}, true, &DecodeError{Message: fmt.Sprintf(format, args...), RequestID: m.RequestID}
	}
	if !validWidgetID(m.RoomID) {
		return fail("%s needs a roomId", m.Type)
	}
	switch {
	case m.PositionMs == nil && m.Type == TypeRoomSeek:
		return fail("ROOM_SEEK needs position_ms")
	case m.PositionMs != nil && (m.Type == TypeRoomSubscribe || m.Type == TypeRoomUnsubscribe):
		return fail("%s takes only roomId and requestId", m.Type)
	case m.PositionMs != nil && (*m.PositionMs < 0 || *m.PositionMs > MaxPositionMs):
		return fail("position_ms must be a whole number of milliseconds from 0 to %d", int64(MaxPositionMs))
	}
	return m, true, nil
}
