package rooms

import (
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// View is a room as its members and OBS views see it. It never holds the
// password hash or the OBS token (persistence.Room does, the view has no
// field for them).
type View struct {
	ID               string               `json:"id"`
	Title            string               `json:"title"`
	MediaURL         string               `json:"media_url"`
	HostID           string               `json:"host_id"`
	Policy           string               `json:"policy"`
	PasswordRequired bool                 `json:"password_required"`
	Playback         persistence.Playback `json:"playback"`
	Members          []MemberView         `json:"members"`
	Ended            bool                 `json:"ended"`
	EndedAt          *time.Time           `json:"ended_at,omitempty"`
	EndReason        string               `json:"end_reason,omitempty"`
	CreatedAt        time.Time            `json:"created_at"`
	Version          int64                `json:"version"`
	// Seq orders every event of the room, presence included (which has no
	// version): a client drops a message with a seq below the last it applied.
	Seq int64 `json:"seq"`
	// Me is the caller's own entry (REST answers to a member); absent in
	// broadcasts, which every member shares.
	Me *MemberView `json:"me,omitempty"`
}

// MemberView is a member with presence.
type MemberView struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
	Status string `json:"status"`
	// Online: the member has the room open (a subscribed socket) now.
	Online bool `json:"online"`
}

// PublicView is all a non-member learns of a room: whether joining needs a password.
type PublicView struct {
	ID               string `json:"id"`
	PasswordRequired bool   `json:"password_required"`
}

// Full is the view every member shares; online says who is present.
func Full(r persistence.Room, online func(userID string) bool, seq int64) View {
	v := View{
		ID: r.ID, Title: r.Title, MediaURL: r.MediaURL, HostID: r.HostID, Policy: r.Policy,
		PasswordRequired: r.PasswordHash != "", Playback: r.Playback, Ended: r.Ended, EndReason: r.EndReason,
		CreatedAt: r.CreatedAt, Version: r.Version, Seq: seq, Members: make([]MemberView, 0, len(r.Members)),
	}
	if r.Ended {
		at := r.EndedAt
		v.EndedAt = &at
	}
	for _, m := range r.Members {
		v.Members = append(v.Members, MemberView{UserID: m.UserID, Role: m.Role, Status: m.Status, Online: online(m.UserID)})
	}
	return v
}

// SeesDetails reports whether userID may see the full view: a joined member
// or a pending invitee. Anyone else (left, declined, a stranger with the
// link) sees only PublicView.
func SeesDetails(r persistence.Room, userID string) bool {
	i := Find(r, userID)
	return i >= 0 && (r.Members[i].Status == StatusJoined || r.Members[i].Status == StatusInvited)
}

// For is the view of r for userID: full for a member (with Me), public otherwise.
func For(r persistence.Room, userID string, online func(string) bool, seq int64) any {
	if !SeesDetails(r, userID) {
		return PublicView{ID: r.ID, PasswordRequired: r.PasswordHash != ""}
	}
	v := Full(r, online, seq)
	m := v.Members[Find(r, userID)]
	v.Me = &m
	return v
}
