package persistence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// RoomStore keeps watch-party rooms (seed 004). A room is one record (its
// members inside it, so a versioned write covers them all) plus one index
// entry per member, kept in step by every write, that lists a user's rooms
// (the invites inbox). Like widgets, every write is conditional on a version.
type RoomStore interface {
	// GetRoom returns the room with that id or ErrNotFound.
	GetRoom(ctx context.Context, id string) (Room, error)
	// PutRoom writes room if the stored version equals expectedVersion (0:
	// it must not exist yet), returns it with Version expectedVersion+1, and
	// updates its members' index entries in the same atomic write.
	PutRoom(ctx context.Context, room Room, expectedVersion int64) (Room, error)
	// ListRoomMemberships returns a user's index entries (any status),
	// newest room first, at most limit (capped at MaxPageSize).
	ListRoomMemberships(ctx context.Context, userID string, limit int) ([]RoomMembership, error)
}

// MaxRoomMembers bounds a room's member list (host included). It keeps a
// room and its index entries inside one DynamoDB transaction (100 items).
const MaxRoomMembers = 50

// Room is a watch-party room as stored. The password and OBS-token hashes
// have no JSON name: marshalling a Room can never leak them (stores use
// EncodeRoom, which keeps them).
type Room struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	MediaURL string `json:"media_url"`
	HostID   string `json:"host_id"`
	// Policy says who may play, pause and seek: "host_only" (host and
	// co-hosts) or "everyone" (every joined member).
	Policy string `json:"policy"`
	// PasswordHash is an Argon2id PHC string; empty: no password.
	PasswordHash string `json:"-"`
	// OBSTokenHash is TokenHash of the room's read-only OBS token; empty: none.
	OBSTokenHash string       `json:"-"`
	Members      []RoomMember `json:"members"`
	Playback     Playback     `json:"playback"`
	Ended        bool         `json:"ended"`
	EndedAt      time.Time    `json:"ended_at"`
	// EndReason is "host" (the host ended it) or "empty" (nobody was there
	// until EmptyDeadline).
	EndReason string `json:"end_reason,omitempty"`
	// EmptyDeadline is when the room ends if nobody comes back; zero while
	// someone is in it. Stored, not a timer, so it survives any restart.
	EmptyDeadline time.Time `json:"empty_deadline"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	Version       int64     `json:"version"`
}

// RoomMember is one user's place in a room.
type RoomMember struct {
	UserID string `json:"user_id"`
	// Role is "host", "co_host" or "viewer".
	Role string `json:"role"`
	// Status is "invited", "joined", "left" or "declined".
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Playback is the authoritative playback clock: while Playing, the position
// at server time t (ms) is PositionMs + (t - UpdatedTsMs).
type Playback struct {
	Playing     bool  `json:"playing"`
	PositionMs  int64 `json:"position_ms"`
	UpdatedTsMs int64 `json:"updated_ts_ms"`
}

// RoomMembership is a member's index entry: what a user's room list and
// invites inbox show without loading every room.
type RoomMembership struct {
	UserID        string    `json:"user_id"`
	RoomID        string    `json:"room_id"`
	Title         string    `json:"title"`
	HostID        string    `json:"host_id"`
	Role          string    `json:"role"`
	Status        string    `json:"status"`
	Ended         bool      `json:"ended"`
	EmptyDeadline time.Time `json:"empty_deadline"`
	CreatedAt     time.Time `json:"created_at"`
}

// Closed reports whether the room behind m is over at now: ended, or empty
// past its deadline (a room nobody touched since is ended lazily).
func (m RoomMembership) Closed(now time.Time) bool {
	return m.Ended || (!m.EmptyDeadline.IsZero() && !now.Before(m.EmptyDeadline))
}

// Memberships are the index entries of room, one per member.
func (r Room) Memberships() []RoomMembership {
	out := make([]RoomMembership, 0, len(r.Members))
	for _, m := range r.Members {
		out = append(out, RoomMembership{UserID: m.UserID, RoomID: r.ID, Title: r.Title, HostID: r.HostID, Role: m.Role, Status: m.Status,
			Ended: r.Ended, EmptyDeadline: r.EmptyDeadline, CreatedAt: r.CreatedAt})
	}
	return out
}

// IndexDigest summarises what the member index holds, so a store can tell
// a write that leaves the index as it was (play, pause, seek) from one that
// must rewrite it.
func (r Room) IndexDigest() string {
	data, _ := json.Marshal(r.Memberships())
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// storedRoom is a Room with its secrets, as stores keep it.
type storedRoom struct {
	Room
	PasswordHash string `json:"password_hash,omitempty"`
	OBSTokenHash string `json:"obs_token_hash,omitempty"`
}

// EncodeRoom is a room's stored form, hashes included.
func EncodeRoom(r Room) ([]byte, error) {
	data, err := json.Marshal(storedRoom{Room: r, PasswordHash: r.PasswordHash, OBSTokenHash: r.OBSTokenHash})
	if err != nil {
		return nil, fmt.Errorf("persistence: encode room %s: %w", r.ID, err)
	}
	return data, nil
}

// DecodeRoom reads what EncodeRoom wrote.
func DecodeRoom(data []byte) (Room, error) {
	var s storedRoom
	if err := json.Unmarshal(data, &s); err != nil {
		return Room{}, fmt.Errorf("persistence: decode room: %w", err)
	}
	r := s.Room
	r.PasswordHash, r.OBSTokenHash = s.PasswordHash, s.OBSTokenHash
	return r, nil
}
