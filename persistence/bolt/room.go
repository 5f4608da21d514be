package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// Watch-party rooms: rooms maps a room id to its stored form; room_members
// maps (user, room creation time, room id) to that member's index entry, so a
// user's rooms come newest first from one reverse cursor scan. Both buckets
// are created by the first room write (files from before rooms have neither).
var (
	bucketRooms       = []byte("rooms")
	bucketRoomMembers = []byte("room_members")
)

var _ persistence.RoomStore = (*Store)(nil)

// GetRoom implements persistence.RoomStore.
func (s *Store) GetRoom(_ context.Context, id string) (persistence.Room, error) {
	var room persistence.Room
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		room, err = getRoom(tx, id)
		return err
	})
	return room, wrap("get room "+id, err)
}

// PutRoom implements persistence.RoomStore: the version check, the room and
// its members' index entries are one bbolt write transaction.
func (s *Store) PutRoom(_ context.Context, room persistence.Room, expectedVersion int64) (persistence.Room, error) {
	if room.ID == "" {
		return persistence.Room{}, errors.New("bolt: put room: empty id")
	}
	room.Version = expectedVersion + 1
	err := s.db.Update(func(tx *bbolt.Tx) error {
		rooms, err := tx.CreateBucketIfNotExists(bucketRooms)
		if err != nil {
			return err
		}
		index, err := tx.CreateBucketIfNotExists(bucketRoomMembers)
		if err != nil {
			return err
		}
		old, err := getRoom(tx, room.ID)
		switch {
		case errors.Is(err, persistence.ErrNotFound):
			if expectedVersion != 0 {
				return persistence.ErrConflict
			}
		case err != nil:
			return err
		case old.Version != expectedVersion:
			return persistence.ErrConflict
		default:
			for _, m := range old.Memberships() {
				if err := index.Delete(membershipKey(m)); err != nil {
					return err
				}
			}
		}
		for _, m := range room.Memberships() {
			data, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if err := index.Put(membershipKey(m), data); err != nil {
				return err
			}
		}
		data, err := persistence.EncodeRoom(room)
		if err != nil {
			return err
		}
		return rooms.Put([]byte(room.ID), data)
	})
	if err != nil {
		return persistence.Room{}, wrap("put room "+room.ID, err)
	}
	return room, nil
}

// ListRoomMemberships implements persistence.RoomStore.
func (s *Store) ListRoomMemberships(_ context.Context, userID string, limit int) ([]persistence.RoomMembership, error) {
	if limit <= 0 || limit > persistence.MaxPageSize {
		limit = persistence.MaxPageSize
	}
	var out []persistence.RoomMembership
	err := s.db.View(func(tx *bbolt.Tx) error {
		index := tx.Bucket(bucketRoomMembers)
		if index == nil {
			return nil
		}
		prefix := ownerPrefix(userID)
		c := index.Cursor()
		k, v := c.Seek(append(append([]byte{}, prefix...), bytes.Repeat([]byte{0xff}, 9)...))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Prev() {
			var m persistence.RoomMembership
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode membership: %w", err)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("list rooms of "+userID, err)
	}
	return out, nil
}

func getRoom(tx *bbolt.Tx, id string) (persistence.Room, error) {
	rooms := tx.Bucket(bucketRooms)
	if rooms == nil {
		return persistence.Room{}, persistence.ErrNotFound
	}
	data := rooms.Get([]byte(id))
	if data == nil {
		return persistence.Room{}, persistence.ErrNotFound
	}
	return persistence.DecodeRoom(data)
}

// membershipKey orders a user's rooms by creation time, then id; the user
// prefix is length-prefixed (ownerPrefix) so no user is another's prefix.
func membershipKey(m persistence.RoomMembership) []byte {
	k := ownerPrefix(m.UserID)
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(m.CreatedAt.UnixNano()))
	k = append(k, ts[:]...)
	k = append(k, 0)
	return append(k, m.RoomID...)
}
