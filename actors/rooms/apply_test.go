package rooms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

var t0 = time.Date(2026, 2, 21, 20, 0, 0, 0, time.UTC)

func newRoom(t *testing.T, in CreateInput) persistence.Room {
	t.Helper()
	if in.Title == "" {
		in.Title = "Movie night"
	}
	if in.MediaURL == "" {
		in.MediaURL = "/media/movie.webm"
	}
	r, err := New("r1", "host", in, t0, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func must(t *testing.T) func(persistence.Room, error) persistence.Room {
	return func(r persistence.Room, err error) persistence.Room {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if !errors.Is(err, &Error{Code: code}) {
		t.Fatalf("err %v, want code %s", err, code)
	}
}

func TestNewRoom(t *testing.T) {
	r := newRoom(t, CreateInput{Invitees: []string{"bob", " carol ", "bob", "host"}})
	if r.Policy != PolicyHostOnly || r.HostID != "host" || r.EmptyDeadline != t0.Add(30*time.Minute) {
		t.Fatalf("defaults: %+v", r)
	}
	if len(r.Members) != 3 || r.Members[0] != (persistence.RoomMember{UserID: "host", Role: RoleHost, Status: StatusJoined, UpdatedAt: t0}) ||
		r.Members[1].UserID != "bob" || r.Members[1].Status != StatusInvited || r.Members[2].UserID != "carol" {
		t.Fatalf("members (dedup, trimmed, host not invited): %+v", r.Members)
	}
	bad := []struct {
		name string
		in   CreateInput
	}{
		{"empty title", CreateInput{Title: "  ", MediaURL: "/m.webm"}},
		{"control char in title", CreateInput{Title: "a\x00b", MediaURL: "/m.webm"}},
		{"long title", CreateInput{Title: strings.Repeat("é", MaxTitleRunes+1), MediaURL: "/m.webm"}},
		{"javascript url", CreateInput{Title: "t", MediaURL: "javascript:alert(1)"}},
		{"data url", CreateInput{Title: "t", MediaURL: "data:video/webm;base64,AAAA"}},
		{"protocol-relative url", CreateInput{Title: "t", MediaURL: "//evil.example/x.webm"}},
		{"url with credentials", CreateInput{Title: "t", MediaURL: "https://u:p@cdn.example/x.webm"}},
		{"space in url", CreateInput{Title: "t", MediaURL: "/a b.webm"}},
		{"unknown policy", CreateInput{Title: "t", MediaURL: "/m.webm", Policy: "anarchy"}},
		{"bad invitee", CreateInput{Title: "t", MediaURL: "/m.webm", Invitees: []string{"has space"}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New("r1", "host", tc.in, t0, time.Minute)
			wantCode(t, err, CodeInvalidField)
		})
	}
	many := make([]string, persistence.MaxRoomMembers)
	for i := range many {
		many[i] = "u" + strings.Repeat("x", i+1)
	}
	_, err := New("r1", "host", CreateInput{Title: "t", MediaURL: "https://cdn.example/x.webm", Invitees: many}, t0, time.Minute)
	wantCode(t, err, CodeRoomFull)
}

func TestJoinLeaveDecline(t *testing.T) {
	m := must(t)
	r := newRoom(t, CreateInput{Invitees: []string{"bob", "carol"}, PasswordHash: "$argon2id$x"})
	if NeedsPassword(r, "bob") || NeedsPassword(r, "host") || !NeedsPassword(r, "mallory") {
		t.Fatal("an invitee needs no password, a stranger does")
	}
	// An invite is the invitee's alone: declining works on one's own entry only.
	_, err := Decline(r, "mallory", t0)
	wantCode(t, err, CodeNotFound)
	r = m(Join(r, "bob", t0.Add(time.Second)))
	if i := Find(r, "bob"); r.Members[i].Status != StatusJoined || r.Members[i].Role != RoleViewer {
		t.Fatalf("bob after join: %+v", r.Members[i])
	}
	if Find(r, "carol") < 0 || r.Members[Find(r, "carol")].Status != StatusInvited {
		t.Fatal("bob's join touched carol's invite")
	}
	r = m(Decline(r, "carol", t0))
	_, err = Decline(r, "carol", t0)
	wantCode(t, err, CodeNotFound) // no pending invite any more
	_, err = Decline(r, "bob", t0)
	wantCode(t, err, CodeNotFound) // joined, not invited
	r = m(Leave(r, "bob", t0))
	_, err = Leave(r, "bob", t0)
	wantCode(t, err, CodeNotMember)
	if NeedsPassword(r, "bob") {
		t.Fatal("a member who left comes back without the password")
	}
	r = m(Join(r, "mallory", t0)) // the grain checked her password
	if !Joined(r, "mallory") || r.Members[Find(r, "mallory")].Role != RoleViewer {
		t.Fatal("a stranger with the password joins as a viewer")
	}
	ended := m(End(r, "host", t0))
	_, err = Join(ended, "bob", t0)
	wantCode(t, err, CodeRoomEnded)
}

func TestRolesAndPolicy(t *testing.T) {
	m := must(t)
	r := newRoom(t, CreateInput{Invitees: []string{"bob", "carol"}})
	r = m(Join(r, "bob", t0))
	r = m(Join(r, "carol", t0))
	at := ptr(5_000)

	// Host only: the viewer is refused, the host and a co-host are not.
	_, err := Control(r, "bob", ActionPlay, nil, t0)
	wantCode(t, err, CodeForbidden)
	_, err = Control(r, "bob", ActionSeek, at, t0)
	wantCode(t, err, CodeForbidden)
	r = m(Control(r, "host", ActionPlay, nil, t0))
	if !r.Playback.Playing {
		t.Fatal("host play")
	}
	// Only the host changes roles and ends the room.
	_, err = SetRole(r, "bob", "carol", RoleCoHost, t0)
	wantCode(t, err, CodeForbidden)
	_, err = End(r, "bob", t0)
	wantCode(t, err, CodeForbidden)
	_, err = SetRole(r, "host", "host", RoleViewer, t0)
	wantCode(t, err, CodeForbidden)
	_, err = SetRole(r, "host", "carol", RoleHost, t0)
	wantCode(t, err, CodeInvalidField)
	_, err = SetRole(r, "host", "nobody", RoleCoHost, t0)
	wantCode(t, err, CodeNotFound)
	r = m(SetRole(r, "host", "carol", RoleCoHost, t0))
	r = m(Control(r, "carol", ActionPause, at, t0.Add(time.Second)))
	if r.Playback.Playing || r.Playback.PositionMs != 5_000 {
		t.Fatalf("co-host pause: %+v", r.Playback)
	}
	// A co-host invites; a viewer does not.
	r = m(Invite(r, "carol", []string{"dave"}, t0))
	_, err = Invite(r, "bob", []string{"erin"}, t0)
	wantCode(t, err, CodeForbidden)
	// An invitee who has not joined controls nothing, even under "everyone".
	r.Policy = PolicyEveryone
	_, err = Control(r, "dave", ActionPlay, nil, t0)
	wantCode(t, err, CodeNotMember)
	_, err = Control(r, "mallory", ActionPlay, nil, t0)
	wantCode(t, err, CodeNotMember)
	r = m(Control(r, "bob", ActionPlay, nil, t0))
	if !r.Playback.Playing {
		t.Fatal("viewer play under everyone")
	}
}

func TestEndAndEmptyExpiry(t *testing.T) {
	m := must(t)
	r := newRoom(t, CreateInput{})
	r = m(Control(r, "host", ActionPlay, nil, t0))
	r = Occupied(r, true, t0, time.Minute)
	if !r.EmptyDeadline.IsZero() {
		t.Fatal("an occupied room has no deadline")
	}
	r = Occupied(r, false, t0.Add(10*time.Second), time.Minute)
	if r.EmptyDeadline != t0.Add(70*time.Second) {
		t.Fatalf("deadline %v", r.EmptyDeadline)
	}
	if _, ok := Expire(r, t0.Add(69*time.Second)); ok {
		t.Fatal("expired early")
	}
	e, ok := Expire(r, t0.Add(5*time.Minute))
	if !ok || !e.Ended || e.EndReason != EndedEmpty || e.EndedAt != r.EmptyDeadline || e.Playback.Playing || e.Playback.PositionMs != 70_000 {
		t.Fatalf("expired room: %+v", e)
	}
	_, err := Control(e, "host", ActionPlay, nil, t0)
	wantCode(t, err, CodeRoomEnded)
	_, err = End(e, "host", t0)
	wantCode(t, err, CodeRoomEnded)
	h := m(End(r, "host", t0.Add(2*time.Second)))
	if h.EndReason != EndedByHost || h.Playback.PositionMs != 2_000 || !Closed(h, t0) {
		t.Fatalf("ended by host: %+v", h)
	}
}

func TestViews(t *testing.T) {
	m := must(t)
	r := newRoom(t, CreateInput{Invitees: []string{"bob"}, PasswordHash: "$argon2id$secret"})
	r.OBSTokenHash = "obs-hash"
	online := func(u string) bool { return u == "host" }
	if v, ok := For(r, "mallory", online, 1).(PublicView); !ok || !v.PasswordRequired || v.ID != "r1" {
		t.Fatalf("a stranger's view: %#v", For(r, "mallory", online, 1))
	}
	v, ok := For(r, "bob", online, 7).(View)
	if !ok || v.Me == nil || v.Me.Status != StatusInvited || v.Seq != 7 || !v.Members[0].Online || v.Members[1].Online {
		t.Fatalf("an invitee's view: %#v", v)
	}
	r = m(Decline(r, "bob", t0))
	if _, ok := For(r, "bob", online, 1).(PublicView); !ok {
		t.Fatal("after declining, bob sees only the public view")
	}
}
