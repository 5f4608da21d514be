package rooms

import (
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// CreateInput is what a host chooses for a new room.
type CreateInput struct {
	Title    string
	MediaURL string
	Invitees []string
	// Policy is PolicyHostOnly (default) or PolicyEveryone.
	Policy string
	// PasswordHash is HashPassword's result; empty: no password.
	PasswordHash string
}

// New builds room id hosted by host. The room ends if nobody is in it by
// now+emptyAfter (the host usually opens it at once).
func New(id, host string, in CreateInput, now time.Time, emptyAfter time.Duration) (persistence.Room, error) {
	title, err := cleanTitle(in.Title)
	if err != nil {
		return persistence.Room{}, err
	}
	if err := CheckMediaURL(in.MediaURL); err != nil {
		return persistence.Room{}, err
	}
	policy := in.Policy
	switch policy {
	case "":
		policy = PolicyHostOnly
	case PolicyHostOnly, PolicyEveryone:
	default:
		return persistence.Room{}, fail(CodeInvalidField, "policy must be %q or %q", PolicyHostOnly, PolicyEveryone)
	}
	if err := CheckUserID(host); err != nil {
		return persistence.Room{}, err
	}
	r := persistence.Room{
		ID: id, Title: title, MediaURL: in.MediaURL, HostID: host, Policy: policy, PasswordHash: in.PasswordHash,
		Members:       []persistence.RoomMember{{UserID: host, Role: RoleHost, Status: StatusJoined, UpdatedAt: now}},
		Playback:      persistence.Playback{UpdatedTsMs: now.UnixMilli()},
		EmptyDeadline: now.Add(emptyAfter), CreatedAt: now, UpdatedAt: now,
	}
	return invite(r, in.Invitees, now)
}

// NeedsPassword reports whether userID must give the password to join: a
// room with a password asks it of everyone the host did not invite. A user
// with an entry (invited, joined before, declined) was let in by the host.
func NeedsPassword(r persistence.Room, userID string) bool {
	return r.PasswordHash != "" && Find(r, userID) < 0
}

// Join makes userID a joined member (a viewer if new; an invitee keeps the
// role the host gave). The caller has checked the password (NeedsPassword).
func Join(r persistence.Room, userID string, now time.Time) (persistence.Room, error) {
	if Closed(r, now) {
		return r, fail(CodeRoomEnded, "this room has ended")
	}
	if err := CheckUserID(userID); err != nil {
		return r, err
	}
	r.Members = clone(r.Members)
	if i := Find(r, userID); i >= 0 {
		if r.Members[i].Status != StatusJoined {
			r.Members[i].Status, r.Members[i].UpdatedAt = StatusJoined, now
		}
		return r, nil
	}
	if len(r.Members) >= persistence.MaxRoomMembers {
		return r, fail(CodeRoomFull, "this room has %d members already", persistence.MaxRoomMembers)
	}
	r.Members = append(r.Members, persistence.RoomMember{UserID: userID, Role: RoleViewer, Status: StatusJoined, UpdatedAt: now})
	return r, nil
}

// Leave marks a joined member as left. They may come back (Join) without
// the password while the room lasts.
func Leave(r persistence.Room, userID string, now time.Time) (persistence.Room, error) {
	i := Find(r, userID)
	if i < 0 || r.Members[i].Status != StatusJoined {
		return r, fail(CodeNotMember, "you are not in this room")
	}
	r.Members = clone(r.Members)
	r.Members[i].Status, r.Members[i].UpdatedAt = StatusLeft, now
	return r, nil
}

// Decline turns down userID's own pending invite. Nobody can decline (or
// accept) an invite for someone else: the entry is found by the caller's id.
func Decline(r persistence.Room, userID string, now time.Time) (persistence.Room, error) {
	i := Find(r, userID)
	if i < 0 || r.Members[i].Status != StatusInvited {
		return r, fail(CodeNotFound, "no pending invite to this room")
	}
	r.Members = clone(r.Members)
	r.Members[i].Status, r.Members[i].UpdatedAt = StatusDeclined, now
	return r, nil
}

// Invite adds users as invited viewers (or invites again those who left or
// declined). Only a joined host or co-host invites.
func Invite(r persistence.Room, by string, users []string, now time.Time) (persistence.Room, error) {
	if err := mayManage(r, by, now, RoleHost, RoleCoHost); err != nil {
		return r, err
	}
	return invite(r, users, now)
}

func invite(r persistence.Room, users []string, now time.Time) (persistence.Room, error) {
	r.Members = clone(r.Members)
	for _, u := range users {
		u = strings.TrimSpace(u)
		if err := CheckUserID(u); err != nil {
			return r, err
		}
		i := Find(r, u)
		switch {
		case i < 0:
			if len(r.Members) >= persistence.MaxRoomMembers {
				return r, fail(CodeRoomFull, "a room has at most %d members", persistence.MaxRoomMembers)
			}
			r.Members = append(r.Members, persistence.RoomMember{UserID: u, Role: RoleViewer, Status: StatusInvited, UpdatedAt: now})
		case r.Members[i].Status == StatusLeft || r.Members[i].Status == StatusDeclined:
			r.Members[i].Status, r.Members[i].UpdatedAt = StatusInvited, now
		}
	}
	return r, nil
}

// SetRole makes target a co-host or a viewer. Only the host does; the host
// role itself is not handed over.
func SetRole(r persistence.Room, by, target, role string, now time.Time) (persistence.Room, error) {
	if err := mayManage(r, by, now, RoleHost); err != nil {
		return r, err
	}
	if role != RoleCoHost && role != RoleViewer {
		return r, fail(CodeInvalidField, "role must be %q or %q", RoleCoHost, RoleViewer)
	}
	i := Find(r, target)
	if i < 0 {
		return r, fail(CodeNotFound, "no member %q in this room", truncate(target))
	}
	if r.Members[i].Role == RoleHost {
		return r, fail(CodeForbidden, "the host's role cannot be changed")
	}
	r.Members = clone(r.Members)
	if r.Members[i].Role != role {
		r.Members[i].Role, r.Members[i].UpdatedAt = role, now
	}
	return r, nil
}

// End ends the room for everyone; only the host does. Playback stops where
// it is and the room is kept, read-only, for history.
func End(r persistence.Room, by string, now time.Time) (persistence.Room, error) {
	if err := mayManage(r, by, now, RoleHost); err != nil {
		return r, err
	}
	return end(r, EndedByHost, now), nil
}

// Expire ends a room that stayed empty past its deadline; it reports
// whether it did.
func Expire(r persistence.Room, now time.Time) (persistence.Room, bool) {
	if r.Ended || r.EmptyDeadline.IsZero() || now.Before(r.EmptyDeadline) {
		return r, false
	}
	return end(r, EndedEmpty, r.EmptyDeadline), true
}

func end(r persistence.Room, reason string, at time.Time) persistence.Room {
	r.Playback = persistence.Playback{PositionMs: Position(r.Playback, at.UnixMilli()), UpdatedTsMs: at.UnixMilli()}
	r.Ended, r.EndedAt, r.EndReason, r.EmptyDeadline = true, at, reason, time.Time{}
	return r
}

// Occupied records whether anyone is in the room now: an occupied room has
// no deadline, an empty one ends at now+emptyAfter unless someone comes.
func Occupied(r persistence.Room, occupied bool, now time.Time, emptyAfter time.Duration) persistence.Room {
	switch {
	case r.Ended:
	case occupied:
		r.EmptyDeadline = time.Time{}
	case r.EmptyDeadline.IsZero():
		r.EmptyDeadline = now.Add(emptyAfter)
	}
	return r
}

// Control applies a playback action by member by, under the room's policy.
func Control(r persistence.Room, by, action string, at *int64, now time.Time) (persistence.Room, error) {
	if Closed(r, now) {
		return r, fail(CodeRoomEnded, "this room has ended")
	}
	i := Find(r, by)
	if i < 0 || r.Members[i].Status != StatusJoined {
		return r, fail(CodeNotMember, "join the room first")
	}
	if !CanControl(r.Members[i].Role, r.Policy) {
		return r, fail(CodeForbidden, "only the host and co-hosts control playback in this room")
	}
	p, err := Apply(r.Playback, action, at, now.UnixMilli())
	if err != nil {
		return r, err
	}
	r.Playback = p
	return r, nil
}

// mayManage checks that by is a joined member with one of roles and that
// the room is still open.
func mayManage(r persistence.Room, by string, now time.Time, roles ...string) error {
	if Closed(r, now) {
		return fail(CodeRoomEnded, "this room has ended")
	}
	i := Find(r, by)
	if i < 0 || r.Members[i].Status != StatusJoined {
		return fail(CodeNotMember, "join the room first")
	}
	for _, role := range roles {
		if r.Members[i].Role == role {
			return nil
		}
	}
	return fail(CodeForbidden, "only the host may do this")
}

// CheckMediaURL accepts an http(s) URL or a path on this server ("/…").
func CheckMediaURL(s string) error {
	if s == "" || len(s) > MaxMediaURLBytes || !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fail(CodeInvalidField, "media_url must be an http(s) URL or a path on this server, at most %d bytes, without spaces", MaxMediaURLBytes)
	}
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fail(CodeInvalidField, "media_url must be an http(s) URL or a path on this server")
	}
	return nil
}

// CheckUserID accepts what a user id may be: 1-128 printable bytes.
func CheckUserID(s string) error {
	if s == "" || len(s) > MaxUserIDBytes || !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fail(CodeInvalidField, "a user id is 1-%d characters without spaces", MaxUserIDBytes)
	}
	return nil
}

func cleanTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	switch {
	case t == "":
		return "", fail(CodeInvalidField, "title must not be empty")
	case !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxTitleRunes:
		return "", fail(CodeInvalidField, "title must be at most %d characters", MaxTitleRunes)
	case strings.IndexFunc(t, unicode.IsControl) >= 0:
		return "", fail(CodeInvalidField, "title must not contain control characters")
	}
	return t, nil
}

func clone(m []persistence.RoomMember) []persistence.RoomMember {
	return append([]persistence.RoomMember(nil), m...)
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
