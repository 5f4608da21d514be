package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// RoomFactory returns an empty room store; the suite closes it if it is an io.Closer.
type RoomFactory func(t *testing.T) persistence.RoomStore

// RunRooms runs the room conformance cases against stores made by newStore.
func RunRooms(t *testing.T, newStore RoomFactory) {
	cases := []struct {
		name string
		run  func(t *testing.T, s persistence.RoomStore)
	}{
		{"RoomRoundTripKeepsSecrets", testRoomRoundTrip},
		{"RoomCreateTwiceConflicts", testRoomCreateTwice},
		{"RoomStaleWriteConflicts", testRoomStaleWrite},
		{"RoomConcurrentWritersOneWins", testRoomConcurrentWriters},
		{"RoomMissingIsNotFound", testRoomMissing},
		{"RoomMembershipsFollowEveryWrite", testRoomMemberships},
		{"RoomMembershipsNewestFirstAndScoped", testRoomMembershipsOrder},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() {
				if c, ok := s.(interface{ Close() error }); ok {
					_ = c.Close()
				}
			})
			tc.run(t, s)
		})
	}
}

// NewRoom builds a valid room hosted by host with invitees, created n
// seconds after a fixed base.
func NewRoom(id, host string, n int, invitees ...string) persistence.Room {
	at := base.Add(time.Duration(n) * time.Second)
	members := []persistence.RoomMember{{UserID: host, Role: "host", Status: "joined", UpdatedAt: at}}
	for _, u := range invitees {
		members = append(members, persistence.RoomMember{UserID: u, Role: "viewer", Status: "invited", UpdatedAt: at})
	}
	return persistence.Room{
		ID: id, Title: "Room " + id, MediaURL: "/media/" + id + ".webm", HostID: host, Policy: "host_only",
		Members: members, Playback: persistence.Playback{UpdatedTsMs: at.UnixMilli()},
		EmptyDeadline: at.Add(30 * time.Minute), CreatedAt: at, UpdatedAt: at,
	}
}

func testRoomRoundTrip(t *testing.T, s persistence.RoomStore) {
	ctx := context.Background()
	in := NewRoom("r1", "alice", 0, "bob")
	in.PasswordHash, in.OBSTokenHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", persistence.TokenHash("obs")
	in.Playback = persistence.Playback{Playing: true, PositionMs: 61_500, UpdatedTsMs: 1_767_000_000_123}
	saved, err := s.PutRoom(ctx, in, 0)
	if err != nil || saved.Version != 1 {
		t.Fatalf("create: %+v %v", saved, err)
	}
	got, err := s.GetRoom(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.PasswordHash != in.PasswordHash || got.OBSTokenHash != in.OBSTokenHash {
		t.Fatalf("secrets not kept: %q %q", got.PasswordHash, got.OBSTokenHash)
	}
	if got.Playback != in.Playback || len(got.Members) != 2 || got.Members[1] != in.Members[1] || !got.CreatedAt.Equal(in.CreatedAt) {
		t.Fatalf("round trip changed the room: %+v", got)
	}
	// A Room marshalled for a client never carries the hashes.
	data, _ := json.Marshal(got)
	if strings.Contains(string(data), "argon2") || strings.Contains(string(data), in.OBSTokenHash) {
		t.Fatalf("a marshalled room leaks a secret: %s", data)
	}
}

func testRoomCreateTwice(t *testing.T, s persistence.RoomStore) {
	ctx := context.Background()
	if _, err := s.PutRoom(ctx, NewRoom("r1", "alice", 0), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutRoom(ctx, NewRoom("r1", "mallory", 1), 0); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("second create: %v, want ErrConflict", err)
	}
	got, _ := s.GetRoom(ctx, "r1")
	if got.HostID != "alice" {
		t.Fatalf("the second create overwrote the room: host %q", got.HostID)
	}
}

func testRoomStaleWrite(t *testing.T, s persistence.RoomStore) {
	ctx := context.Background()
	r, err := s.PutRoom(ctx, NewRoom("r1", "alice", 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	r.Playback.Playing = true
	if _, err := s.PutRoom(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	r.Playback.PositionMs = 5
	if _, err := s.PutRoom(ctx, r, 1); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("stale write: %v, want ErrConflict", err)
	}
	if _, err := s.PutRoom(ctx, NewRoom("missing", "alice", 0), 3); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("update of a missing room: %v, want ErrConflict", err)
	}
	got, _ := s.GetRoom(ctx, "r1")
	if got.Version != 2 || got.Playback.PositionMs != 0 || !got.Playback.Playing {
		t.Fatalf("after a refused stale write: %+v", got)
	}
}

func testRoomConcurrentWriters(t *testing.T, s persistence.RoomStore) {
	ctx := context.Background()
	r, err := s.PutRoom(ctx, NewRoom("r1", "alice", 0, "bob"), 0)
	if err != nil {
		t.Fatal(err)
	}
	const writers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := r
			next.Playback.PositionMs = int64(i + 1)
			next.Members = append([]persistence.RoomMember(nil), r.Members...)
			next.Members[1].Status = []string{"joined", "declined"}[i%2]
			if _, err := s.PutRoom(ctx, next, 1); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, persistence.ErrConflict) {
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d writers won, want exactly 1", won)
	}
	got, _ := s.GetRoom(ctx, "r1")
	list, err := s.ListRoomMemberships(ctx, "bob", 10)
	if err != nil || len(list) != 1 || list[0].Status != got.Members[1].Status {
		t.Fatalf("the index disagrees with the winner (%s): %+v %v", got.Members[1].Status, list, err)
	}
}

func testRoomMissing(t *testing.T, s persistence.RoomStore) {
	if _, err := s.GetRoom(context.Background(), "nope"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	list, err := s.ListRoomMemberships(context.Background(), "nobody", 10)
	if err != nil || len(list) != 0 {
		t.Fatalf("memberships of nobody: %v %v", list, err)
	}
}

func testRoomMemberships(t *testing.T, s persistence.RoomStore) {
	ctx := context.Background()
	r, err := s.PutRoom(ctx, NewRoom("r1", "alice", 0, "bob", "carol"), 0)
	if err != nil {
		t.Fatal(err)
	}
	expect := func(user, status string) {
		t.Helper()
		list, err := s.ListRoomMemberships(ctx, user, 10)
		if err != nil {
			t.Fatal(err)
		}
		if status == "" {
			if len(list) != 0 {
				t.Fatalf("%s: %+v, want none", user, list)
			}
			return
		}
		if len(list) != 1 || list[0].RoomID != "r1" || list[0].Status != status || list[0].UserID != user || list[0].Title != r.Title {
			t.Fatalf("%s: %+v, want r1 %s", user, list, status)
		}
	}
	expect("alice", "joined")
	expect("bob", "invited")
	expect("carol", "invited")
	expect("dave", "")

	// A playback-only write leaves the index as it was.
	r.Playback.Playing = true
	if r, err = s.PutRoom(ctx, r, r.Version); err != nil {
		t.Fatal(err)
	}
	expect("bob", "invited")

	// Membership, title and end changes reach the index in the same write.
	r.Members[1].Status, r.Members[2].Status = "joined", "declined"
	r.Members = append(r.Members, persistence.RoomMember{UserID: "dave", Role: "viewer", Status: "joined"})
	r.Title = "Renamed"
	if r, err = s.PutRoom(ctx, r, r.Version); err != nil {
		t.Fatal(err)
	}
	expect("bob", "joined")
	expect("carol", "declined")
	expect("dave", "joined")
	r.Ended, r.EndedAt = true, base.Add(time.Hour)
	if r, err = s.PutRoom(ctx, r, r.Version); err != nil {
		t.Fatal(err)
	}
	list, _ := s.ListRoomMemberships(ctx, "bob", 10)
	if len(list) != 1 || !list[0].Ended || !list[0].Closed(base) {
		t.Fatalf("the index does not show the end: %+v", list)
	}
	// A refused write changes no index entry either.
	stale := r
	stale.Members[1].Status = "left"
	if _, err := s.PutRoom(ctx, stale, r.Version-1); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("stale write: %v", err)
	}
	expect("bob", "joined")
}

func testRoomMembershipsOrder(t *testing.T, s persistence.RoomStore) {
	ctx := context.Background()
	for i := range 5 {
		if _, err := s.PutRoom(ctx, NewRoom(fmt.Sprintf("r%d", i), "host", i, "al"), 0); err != nil {
			t.Fatal(err)
		}
	}
	// "alice" starts with "al": her rooms must not show up as al's.
	if _, err := s.PutRoom(ctx, NewRoom("other", "alice", 9), 0); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListRoomMemberships(ctx, "al", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].RoomID != "r4" || list[1].RoomID != "r3" || list[2].RoomID != "r2" {
		t.Fatalf("want r4 r3 r2 (newest first, limit 3), got %+v", list)
	}
	all, _ := s.ListRoomMemberships(ctx, "al", 0)
	if len(all) != 5 {
		t.Fatalf("limit 0 (default) gave %d, want all 5", len(all))
	}
	for _, m := range all {
		if m.UserID != "al" || m.HostID != "host" {
			t.Fatalf("foreign entry in al's rooms: %+v", m)
		}
	}
}
