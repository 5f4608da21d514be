// Package rooms is the watch-party model (seed 004): roles, member statuses,
// the authoritative playback clock, the password hash, and the pure
// transitions a room grain applies. Nothing here does I/O or keeps time:
// every transition takes the room and "now" and returns the next room, so
// the tests are tables over (room, request, time).
package rooms

import (
	"errors"
	"fmt"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// Roles.
const (
	RoleHost   = "host"
	RoleCoHost = "co_host"
	RoleViewer = "viewer"
)

// Member statuses.
const (
	StatusInvited  = "invited"
	StatusJoined   = "joined"
	StatusLeft     = "left"
	StatusDeclined = "declined"
)

// Policies: who may play, pause and seek.
const (
	// PolicyHostOnly lets the host and co-hosts control playback.
	PolicyHostOnly = "host_only"
	// PolicyEveryone lets every joined member control playback.
	PolicyEveryone = "everyone"
)

// End reasons.
const (
	EndedByHost = "host"
	EndedEmpty  = "empty"
)

// Error codes of refused room operations; they reach REST and WebSocket
// clients unchanged.
const (
	CodeNotFound       = "not_found"
	CodeForbidden      = "forbidden"     // a member whose role may not do this
	CodeNotMember      = "not_member"    // join the room first
	CodeInvalidField   = "invalid_field" // a field of the request is unusable
	CodeRoomEnded      = "room_ended"    // the room is over (kept for history)
	CodeRoomFull       = "room_full"     // MaxRoomMembers reached
	CodePasswordNeeded = "password_required"
	CodeWrongPassword  = "wrong_password"
)

// Error is a refused room operation with a stable, client-facing code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "room: " + e.Code + ": " + e.Message }

// Is matches by code, so errors.Is(err, &Error{Code: CodeForbidden}) works.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

func fail(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Limits on what a client may send.
const (
	MaxTitleRunes    = 200
	MaxMediaURLBytes = 2048
	MaxUserIDBytes   = 128
	// MaxPositionMs bounds a position: 7 days of media.
	MaxPositionMs = 7 * 24 * 3600 * 1000
)

// Find returns the index of userID's member entry, or -1.
func Find(r persistence.Room, userID string) int {
	for i, m := range r.Members {
		if m.UserID == userID {
			return i
		}
	}
	return -1
}

// Joined reports whether userID is a joined member of r.
func Joined(r persistence.Room, userID string) bool {
	i := Find(r, userID)
	return i >= 0 && r.Members[i].Status == StatusJoined
}

// Closed reports whether r is over at now: ended, or empty past its deadline.
func Closed(r persistence.Room, now time.Time) bool {
	return r.Ended || (!r.EmptyDeadline.IsZero() && !now.Before(r.EmptyDeadline))
}

// CanControl reports whether role may play, pause and seek under policy.
func CanControl(role, policy string) bool {
	switch role {
	case RoleHost, RoleCoHost:
		return true
	case RoleViewer:
		return policy == PolicyEveryone
	}
	return false
}
