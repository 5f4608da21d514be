package clustered_test

import (
	"encoding/json"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/rooms"
	"github.com/streamwidgets/streamwidgets/cluster/roompb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

func createRoom(t *testing.T, n *roomNode, id, host, password string, invitees ...string) roomView {
	t.Helper()
	in := actors.RoomCreateInput{Title: "Movie night", MediaURL: "/media/movie.webm", Invitees: invitees}
	if password != "" {
		h, err := rooms.HashPassword(password)
		if err != nil {
			t.Fatal(err)
		}
		in.PasswordHash = h
	}
	data, err := n.rooms.Create(ctx, actors.RoomUserCaller(host), id, in)
	if err != nil {
		t.Fatalf("create room: %v", err)
	}
	return decodeView(t, data)
}

func stored(t *testing.T, n *roomNode, id string) persistence.Room {
	t.Helper()
	r, err := n.store.GetRoom(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRoomGrainRolesPasswordsAndInvites walks the seed's security checklist
// through the grain: what a stranger, an invitee, a viewer and the host may
// see and do, each refusal leaving the stored room as it was.
func TestRoomGrainRolesPasswordsAndInvites(t *testing.T) {
	t.Parallel()
	n := startRoomNode(t, t.TempDir())
	host, bob, mallory, carol := actors.RoomUserCaller("alice"), actors.RoomUserCaller("bob"), actors.RoomUserCaller("mallory"), actors.RoomUserCaller("carol")
	v := createRoom(t, n, "r1", "alice", "popcorn", "bob")
	if v.Me == nil || v.Me.Role != rooms.RoleHost || !v.PasswordRequired || len(v.Members) != 2 {
		t.Fatalf("host's view after create: %+v", v)
	}

	// A stranger learns only whether a password is needed.
	data, err := n.rooms.Get(ctx, mallory, "r1")
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	_ = json.Unmarshal(data, &keys)
	if len(keys) != 2 || keys["password_required"] != true || keys["id"] != "r1" {
		t.Fatalf("a stranger's view: %s", data)
	}
	// The invitee sees the room and its own pending entry.
	if v := decodeView(t, must(n.rooms.Get(ctx, bob, "r1"))); v.Me == nil || v.Me.Status != rooms.StatusInvited {
		t.Fatalf("invitee's view: %+v", v)
	}

	// Wrong, missing and right passwords; an invite is not a stranger's.
	_, err = n.rooms.Join(ctx, mallory, "r1", "Popcorn")
	wantRoomCode(t, err, rooms.CodeWrongPassword)
	_, err = n.rooms.Join(ctx, mallory, "r1", "")
	wantRoomCode(t, err, rooms.CodePasswordNeeded)
	_, err = n.rooms.Decline(ctx, mallory, "r1")
	wantRoomCode(t, err, rooms.CodeNotFound)
	if r := stored(t, n, "r1"); rooms.Find(r, "mallory") >= 0 || r.Members[1].Status != rooms.StatusInvited {
		t.Fatalf("refused attempts changed the room: %+v", r.Members)
	}
	if v := decodeView(t, must(n.rooms.Join(ctx, mallory, "r1", "popcorn"))); v.Me == nil || v.Me.Status != rooms.StatusJoined || v.Me.Role != rooms.RoleViewer {
		t.Fatalf("mallory with the password: %+v", v)
	}
	if v := decodeView(t, must(n.rooms.Join(ctx, bob, "r1", ""))); v.Me.Status != rooms.StatusJoined {
		t.Fatalf("the invitee joins without the password: %+v", v)
	}
	_, err = n.rooms.Decline(ctx, carol, "r1")
	wantRoomCode(t, err, rooms.CodeNotFound)

	// A viewer under host_only: no play, pause, seek, roles or end.
	before := stored(t, n, "r1")
	at := int64(5_000)
	for _, action := range []string{"play", "pause", "seek"} {
		_, err = n.rooms.Control(ctx, bob, "r1", action, &at)
		wantRoomCode(t, err, rooms.CodeForbidden)
	}
	_, err = n.rooms.SetRole(ctx, bob, "r1", "bob", rooms.RoleCoHost)
	wantRoomCode(t, err, rooms.CodeForbidden)
	_, err = n.rooms.End(ctx, bob, "r1")
	wantRoomCode(t, err, rooms.CodeForbidden)
	_, err = n.rooms.Control(ctx, carol, "r1", "play", nil)
	wantRoomCode(t, err, rooms.CodeNotMember)
	if after := stored(t, n, "r1"); after.Version != before.Version {
		t.Fatalf("refused operations wrote the room: version %d -> %d", before.Version, after.Version)
	}

	// The host plays: persisted before the reply.
	v = decodeView(t, must(n.rooms.Control(ctx, host, "r1", "play", &at)))
	if r := stored(t, n, "r1"); !r.Playback.Playing || r.Playback.PositionMs != 5_000 || r.Version != v.Version {
		t.Fatalf("the acknowledged play is not stored: %+v (reply version %d)", r, v.Version)
	}
	// A co-host controls playback.
	must(n.rooms.SetRole(ctx, host, "r1", "bob", rooms.RoleCoHost))
	if v := decodeView(t, must(n.rooms.Control(ctx, bob, "r1", "pause", nil))); v.Playback.Playing {
		t.Fatal("co-host pause")
	}

	// The host ends it; it is kept, read-only.
	v = decodeView(t, must(n.rooms.End(ctx, host, "r1")))
	if !v.Ended || v.EndReason != rooms.EndedByHost {
		t.Fatalf("ended: %+v", v)
	}
	_, err = n.rooms.Control(ctx, host, "r1", "play", nil)
	wantRoomCode(t, err, rooms.CodeRoomEnded)
	_, err = n.rooms.Join(ctx, carol, "r1", "popcorn")
	wantRoomCode(t, err, rooms.CodeRoomEnded)
	if r := stored(t, n, "r1"); !r.Ended || len(r.Members) != 3 {
		t.Fatalf("the ended room was not kept: %+v", r)
	}
}

func must(data json.RawMessage, err error) json.RawMessage {
	if err != nil {
		panic(err)
	}
	return data
}

// TestRoomJoinAttemptsAreLimitedPerRoom: password attempts on one room are
// capped whoever makes them (many accounts cannot brute-force together).
func TestRoomJoinAttemptsAreLimitedPerRoom(t *testing.T) {
	t.Parallel()
	n := startRoomNode(t, t.TempDir(), func(d *actors.RoomDeps) { d.JoinAttemptBurst, d.JoinAttemptsPerMinute = 3, 1 })
	createRoom(t, n, "r1", "alice", "popcorn")
	for i, u := range []string{"m1", "m2", "m3"} {
		_, err := n.rooms.Join(ctx, actors.RoomUserCaller(u), "r1", "guess")
		wantRoomCode(t, err, rooms.CodeWrongPassword)
		_ = i
	}
	_, err := n.rooms.Join(ctx, actors.RoomUserCaller("m4"), "r1", "popcorn")
	wantRoomCode(t, err, actors.CodeRateLimited)
	// Members are not slowed down: the host needs no password.
	if _, err := n.rooms.Join(ctx, actors.RoomUserCaller("alice"), "r1", ""); err != nil {
		t.Fatal(err)
	}
}

// TestRoomPasswordCheckDoesNotStallPlayback: a join's Argon2id check runs off
// the grain's mailbox, so the host's play is answered while it computes.
func TestRoomPasswordCheckDoesNotStallPlayback(t *testing.T) {
	n := startRoomNode(t, t.TempDir())
	slow, err := rooms.HashPasswordWith("popcorn", rooms.PasswordParams{MemoryKiB: 64 * 1024, Time: 4, Threads: 1}) // ~1 s per check here
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.rooms.Create(ctx, actors.RoomUserCaller("alice"), "r1", actors.RoomCreateInput{Title: "t", MediaURL: "/m.webm", PasswordHash: slow}); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	var joinTook time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		_, _ = n.rooms.Join(ctx, actors.RoomUserCaller("mallory"), "r1", "guess")
		joinTook = time.Since(start)
	}()
	time.Sleep(50 * time.Millisecond) // the check is running
	start := time.Now()
	if _, err := n.rooms.Control(ctx, actors.RoomUserCaller("alice"), "r1", "play", nil); err != nil {
		t.Fatal(err)
	}
	playTook := time.Since(start)
	wg.Wait()
	t.Logf("play answered in %v while a password check took %v", playTook, joinTook)
	if playTook >= joinTook/2 {
		t.Fatalf("play waited for the password check: %v (check %v)", playTook, joinTook)
	}
}

// TestRoomEndsAfterBeingEmpty: when the last member's socket goes, the
// deadline is stored; the room ends at it (timer while the grain is active,
// lazily on the next call once it passivated).
func TestRoomEndsAfterBeingEmpty(t *testing.T) {
	t.Parallel()
	n := startRoomNode(t, t.TempDir(), func(d *actors.RoomDeps) { d.EmptyAfter = 400 * time.Millisecond })
	createRoom(t, n, "open", "alice", "")
	createRoom(t, n, "never", "alice", "")

	c := n.connect(t)
	c.auth(t, "eyJ.alice.sig")
	c.send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": "open"})
	c.sock.await(t, "ROOM_STATE", typed("ROOM_STATE"))
	if r := stored(t, n, "open"); !r.EmptyDeadline.IsZero() {
		t.Fatalf("an occupied room has a deadline: %v", r.EmptyDeadline)
	}
	time.Sleep(600 * time.Millisecond) // occupied: nothing ends
	if r := stored(t, n, "open"); r.Ended {
		t.Fatal("an occupied room ended")
	}
	left := time.Now()
	_ = n.m.System.Root.StopFuture(c.pid).Wait() // the socket goes: the grain sees Terminated
	var r persistence.Room
	for time.Since(left) < 5*time.Second {
		if r = stored(t, n, "open"); r.Ended {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !r.Ended || r.EndReason != rooms.EndedEmpty {
		t.Fatalf("room still open %v after its last member left: %+v", time.Since(left), r)
	}
	t.Logf("ended %v after the last member left (EmptyAfter 400ms)", time.Since(left).Round(time.Millisecond))

	// "never" was created and never opened: the next call ends it.
	v := decodeView(t, must(n.rooms.Get(ctx, actors.RoomUserCaller("alice"), "never")))
	if !v.Ended || v.EndReason != rooms.EndedEmpty {
		t.Fatalf("a room empty past its deadline: %+v", v)
	}
	list, _ := n.store.ListRoomMemberships(ctx, "alice", 10)
	for _, m := range list {
		if !m.Ended {
			t.Fatalf("the index still shows %s open", m.RoomID)
		}
	}
}

// TestRoomGrainRefusesAnotherRoomsRequest: a request whose room_id is not
// the grain's identity changes nothing (defence against corrupted routing).
func TestRoomGrainRefusesAnotherRoomsRequest(t *testing.T) {
	t.Parallel()
	n := startRoomNode(t, t.TempDir())
	createRoom(t, n, "r-a", "alice", "")
	createRoom(t, n, "r-b", "alice", "")
	_, err := roompb.GetRoomGrainClient(n.m.Cluster, "r-a").Control(&roompb.ControlRequest{
		Caller: actors.RoomUserCaller("alice"), Action: "play", RoomId: "r-b"})
	if err == nil {
		t.Fatal("a request for r-b was served by r-a's grain")
	}
	for _, id := range []string{"r-a", "r-b"} {
		if r := stored(t, n, id); r.Playback.Playing || r.Version != 1 {
			t.Fatalf("%s changed: %+v", id, r)
		}
	}
}

// TestRoomStateSurvivesRestart: acknowledged playback is in the store, so a
// new node (as after a crash) carries on from it.
func TestRoomStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := startRoomNode(t, dir)
	createRoom(t, n, "r1", "alice", "", "bob")
	at := int64(90_000)
	must(n.rooms.Control(ctx, actors.RoomUserCaller("alice"), "r1", "play", &at))
	n.stop()

	n2 := startRoomNode(t, dir)
	v := decodeView(t, must(n2.rooms.Get(ctx, actors.RoomUserCaller("alice"), "r1")))
	pos := rooms.Position(persistence.Playback{Playing: v.Playback.Playing, PositionMs: v.Playback.PositionMs, UpdatedTsMs: v.Playback.UpdatedTsMs}, time.Now().UnixMilli())
	if !v.Playback.Playing || pos < 90_000 || pos > 120_000 {
		t.Fatalf("after restart: %+v (position now %d)", v.Playback, pos)
	}
	names := []string{}
	for _, m := range v.Members {
		names = append(names, m.UserID+":"+m.Status)
	}
	sort.Strings(names)
	if len(names) != 2 || names[0] != "alice:joined" || names[1] != "bob:invited" {
		t.Fatalf("members after restart: %v", names)
	}
}
