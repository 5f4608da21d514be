package clustertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/clustertest"
)

// TestRoomSurvivesItsMembersCrash: the member hosting a playing room is
// killed; the room comes back on a survivor from the store with its
// playback clock intact, and a viewer's socket on another member is
// re-subscribed by the server and sees the host's next seek.
func TestRoomSurvivesItsMembersCrash(t *testing.T) {
	// Sequential (no t.Parallel): its first calls must answer within 2 s.
	c := clustertest.New(t, 3, clustertest.WithRequestTimeout(2*time.Second))
	ctx := context.Background()
	rooms := c.Nodes()[0].Widgets.Rooms()
	host, bob := actors.RoomUserCaller("alice"), actors.RoomUserCaller("bob")
	const id = "room-failover"
	if _, err := rooms.Create(ctx, host, id, actors.RoomCreateInput{Title: "Movie night", MediaURL: "/m.webm", Invitees: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := rooms.Join(ctx, bob, id, ""); err != nil {
		t.Fatal(err)
	}
	at := int64(30_000)
	played, err := rooms.Control(ctx, host, id, "play", &at)
	if err != nil {
		t.Fatal(err)
	}
	var before struct {
		Playback struct {
			Playing     bool  `json:"playing"`
			PositionMs  int64 `json:"position_ms"`
			UpdatedTsMs int64 `json:"updated_ts_ms"`
		} `json:"playback"`
	}
	_ = json.Unmarshal(played, &before)

	grainHost := c.HostOf(actors.RoomKind, id)
	viewerNode := c.Other(grainHost)
	sock := &frames{}
	deps := &actors.ConnDeps{
		Widgets: viewerNode.Widgets, Logger: zap.NewNop(), CallTimeout: 2 * time.Second,
		VerifyUser: func(context.Context, string) (string, time.Time, error) {
			return "bob", time.Now().Add(time.Hour), nil
		},
		AcquireUser: func(context.Context, string, *actor.PID) bool { return true }, ReleaseUser: func(string, *actor.PID) {},
	}
	conn := viewerNode.System.Root.Spawn(actors.NewConnectionProps(deps, sock, "bob"))
	send := func(m map[string]any) {
		data, _ := json.Marshal(m)
		viewerNode.System.Root.Send(conn, actors.Frame{Data: data})
	}
	send(map[string]any{"type": "AUTH", "token": "eyJ.test.token"})
	send(map[string]any{"type": "ROOM_SUBSCRIBE", "roomId": id, "requestId": "s1"})
	if err := clustertest.Eventually(5*time.Second, func() error {
		if sock.last("ROOM_STATE") == nil {
			return fmt.Errorf("no room state; frames %v", sock.sent)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	killed := time.Now()
	c.RemoveNode(grainHost, false)
	// The first answer after the crash is the stored room, unchanged.
	survivor := c.Other(grainHost).Widgets.Rooms()
	var view json.RawMessage
	if err := clustertest.Eventually(20*time.Second, func() error {
		var err error
		view, err = survivor.Get(ctx, host, id)
		return err
	}); err != nil {
		t.Fatalf("the room is gone after its member died: %v", err)
	}
	var after struct {
		Playback struct {
			Playing     bool  `json:"playing"`
			PositionMs  int64 `json:"position_ms"`
			UpdatedTsMs int64 `json:"updated_ts_ms"`
		} `json:"playback"`
	}
	_ = json.Unmarshal(view, &after)
	if after.Playback != before.Playback {
		t.Fatalf("playback after the crash %+v, before %+v", after.Playback, before.Playback)
	}
	// The host seeks; bob's socket, re-subscribed by the server, sees it.
	to := int64(90_000)
	if err := clustertest.Eventually(20*time.Second, func() error {
		_, err := survivor.Control(ctx, host, id, "seek", &to)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := clustertest.Eventually(20*time.Second, func() error {
		if s := sock.last("ROOM_STATE"); s != nil && s["position_ms"] == float64(90_000) {
			return nil
		}
		return fmt.Errorf("bob never saw the seek")
	}); err != nil {
		t.Fatal(err)
	}
	if e := sock.last("ERROR"); e != nil {
		t.Fatalf("the viewer was told about the failover instead of being re-subscribed: %v", e)
	}
	t.Logf("viewer saw the host's seek %v after the kill", time.Since(killed).Round(time.Millisecond))
}
