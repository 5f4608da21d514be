package clustertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/clustertest"
)

// frames is a fake socket: it keeps what a connection actor writes.
type frames struct {
	mu   sync.Mutex
	sent []map[string]any
}

func (f *frames) Send(frame []byte, _ string) bool {
	var m map[string]any
	_ = json.Unmarshal(frame, &m)
	f.mu.Lock()
	f.sent = append(f.sent, m)
	f.mu.Unlock()
	return true
}
func (f *frames) Close(int, string) {}
func (f *frames) Abort(int, string) {}

// last returns the newest frame of type typ.
func (f *frames) last(typ string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.sent) - 1; i >= 0; i-- {
		if f.sent[i]["type"] == typ {
			return f.sent[i]
		}
	}
	return nil
}

// TestConnectionsResubscribeByThemselvesAfterTheHostCrashes: an OBS-style
// session on a surviving member keeps its subscription when the grain's
// member dies, and sees the next update without doing anything.
func TestConnectionsResubscribeByThemselvesAfterTheHostCrashes(t *testing.T) {
	// Sequential (no t.Parallel): its first calls must answer within 2 s.
	c := clustertest.New(t, 3, clustertest.WithRequestTimeout(2*time.Second))
	createGoal(t, c.Nodes()[0], "w-failover")
	host := c.HostOf(clustertest.WidgetKind, "w-failover")
	viewerNode := c.Other(host)
	sock := &frames{}
	deps := &actors.ConnDeps{
		Widgets: viewerNode.Widgets, Logger: zap.NewNop(), CallTimeout: 2 * time.Second,
		VerifyUser: func(context.Context, string) (string, time.Time, error) {
			return "alice", time.Now().Add(time.Hour), nil
		},
		AcquireUser: func(context.Context, string, *actor.PID) bool { return true }, ReleaseUser: func(string, *actor.PID) {},
	}
	conn := viewerNode.System.Root.Spawn(actors.NewConnectionProps(deps, sock, "viewer"))
	send := func(m map[string]any) {
		data, _ := json.Marshal(m)
		viewerNode.System.Root.Send(conn, actors.Frame{Data: data})
	}
	send(map[string]any{"type": "AUTH", "token": "eyJ.test.token"})
	send(map[string]any{"type": "WIDGET_SUBSCRIBE", "widgetId": "w-failover", "requestId": "s1"})
	if err := clustertest.Eventually(5*time.Second, func() error {
		if sock.last("WIDGET_INITIAL_STATE") == nil {
			return fmt.Errorf("no initial state; frames %v", sock.sent)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	killed := time.Now()
	c.RemoveNode(host, false)
	var version float64
	err := clustertest.Eventually(20*time.Second, func() error {
		rec, err := increment(viewerNode, "w-failover")
		if err != nil {
			return err
		}
		version = float64(rec.Version)
		return nil
	})
	if err != nil {
		t.Fatalf("no acknowledged action after the host died: %v", err)
	}
	if err := clustertest.Eventually(20*time.Second, func() error {
		if u := sock.last("WIDGET_STATE_UPDATE"); u != nil && u["version"].(float64) >= version {
			return nil
		}
		if s := sock.last("WIDGET_INITIAL_STATE"); s != nil && s["version"].(float64) >= version {
			return nil
		}
		return fmt.Errorf("the session never saw version %v", version)
	}); err != nil {
		t.Fatal(err)
	}
	if e := sock.last("ERROR"); e != nil {
		t.Fatalf("the client was told about the failover instead of being re-subscribed: %v", e)
	}
	t.Logf("session converged %v after the kill", time.Since(killed).Round(time.Millisecond))
}
