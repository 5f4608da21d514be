package bolt_test

import (
	"context"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

func TestRoomConformance(t *testing.T) {
	storetest.RunRooms(t, func(t *testing.T) persistence.RoomStore {
		s, err := bolt.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestRoomsSurviveReopen: rooms and the inbox index are in the file.
func TestRoomsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutRoom(context.Background(), storetest.NewRoom("r1", "alice", 0, "bob"), 0); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, err = bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetRoom(context.Background(), "r1")
	if err != nil || got.Version != 1 {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	list, err := s.ListRoomMemberships(context.Background(), "bob", 10)
	if err != nil || len(list) != 1 || list[0].Status != "invited" {
		t.Fatalf("bob's inbox after reopen: %+v %v", list, err)
	}
}
