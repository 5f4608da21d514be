package clustered_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/clustertest"
	"github.com/streamwidgets/streamwidgets/cluster/member"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
)

// roomNode is one member hosting room grains on a bolt store.
type roomNode struct {
	m     *clustertest.Node
	rooms *actors.RoomClient
	store *bolt.Store
	deps  actors.RoomDeps
	once  sync.Once
}

func startRoomNode(t *testing.T, dir string, mutate ...func(*actors.RoomDeps)) *roomNode {
	t.Helper()
	store, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := clustertest.StartMember(member.Config{}, actors.Deps{Store: store}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	deps := actors.RoomDeps{Store: store}
	for _, f := range mutate {
		f(&deps)
	}
	actors.InstallRooms(m.System, deps) // before any room grain starts
	n := &roomNode{m: m, rooms: m.Widgets.Rooms(), store: store, deps: deps}
	t.Cleanup(n.stop)
	return n
}

func (n *roomNode) stop() {
	n.once.Do(func() {
		n.m.Stop()
		_ = n.store.Close()
	})
}

// view decodes a room view.
type roomView struct {
	ID               string `json:"id"`
	Title            string `json:"title"`
	PasswordRequired bool   `json:"password_required"`
	Policy           string `json:"policy"`
	Ended            bool   `json:"ended"`
	EndReason        string `json:"end_reason"`
	Version          int64  `json:"version"`
	Seq              int64  `json:"seq"`
	Playback         struct {
		Playing     bool  `json:"playing"`
		PositionMs  int64 `json:"position_ms"`
		UpdatedTsMs int64 `json:"updated_ts_ms"`
	} `json:"playback"`
	Members []struct {
		UserID string `json:"user_id"`
		Role   string `json:"role"`
		Status string `json:"status"`
		Online bool   `json:"online"`
	} `json:"members"`
	Me *struct {
		Role   string `json:"role"`
		Status string `json:"status"`
	} `json:"me"`
}

func decodeView(t *testing.T, data json.RawMessage) roomView {
	t.Helper()
	var v roomView
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decode view %s: %v", data, err)
	}
	if strings.Contains(string(data), "argon2") || strings.Contains(string(data), "hash") {
		t.Fatalf("a room view carries a secret: %s", data)
	}
	return v
}

func wantRoomCode(t *testing.T, err error, code string) {
	t.Helper()
	var we *actors.Error
	if err == nil || !asError(err, &we) || we.Code != code {
		t.Fatalf("err %v, want code %s", err, code)
	}
}

func asError(err error, target **actors.Error) bool {
	e, ok := err.(*actors.Error)
	if ok {
		*target = e
	}
	return ok
}

// sock is a fake socket: it keeps what a connection actor writes and how it closed.
type sock struct {
	mu     sync.Mutex
	frames []map[string]any
	closed int
}

func (s *sock) Send(frame []byte, _ string) bool {
	var m map[string]any
	_ = json.Unmarshal(frame, &m)
	s.mu.Lock()
	s.frames = append(s.frames, m)
	s.mu.Unlock()
	return true
}
func (s *sock) Close(code int, _ string) { s.mu.Lock(); s.closed = code; s.mu.Unlock() }
func (s *sock) Abort(code int, _ string) { s.mu.Lock(); s.closed = code; s.mu.Unlock() }

func (s *sock) closeCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// await waits for a frame matching ok (looking at every frame so far).
func (s *sock) await(t *testing.T, what string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	err := clustertest.Eventually(5*time.Second, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, f := range s.frames {
			if ok(f) {
				found = f
				return nil
			}
		}
		return fmt.Errorf("no %s in %v", what, s.frames)
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func (s *sock) count(ok func(map[string]any) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.frames {
		if ok(f) {
			n++
		}
	}
	return n
}

func typed(typ string, also ...func(map[string]any) bool) func(map[string]any) bool {
	return func(m map[string]any) bool {
		if m["type"] != typ {
			return false
		}
		for _, f := range also {
			if !f(m) {
				return false
			}
		}
		return true
	}
}

func field(k string, v any) func(map[string]any) bool {
	return func(m map[string]any) bool { return fmt.Sprint(m[k]) == fmt.Sprint(v) }
}

// conn is a connection actor on n with a fake socket; tokens "eyJ.<user>.sig" (shaped as JWTs) sign in as <user>.
type conn struct {
	n    *roomNode
	pid  *actor.PID
	sock *sock
}

func (n *roomNode) connect(t *testing.T) *conn {
	t.Helper()
	s := &sock{}
	deps := &actors.ConnDeps{
		Widgets: n.m.Widgets, Logger: zap.NewNop(), CallTimeout: 5 * time.Second,
		VerifyUser: func(_ context.Context, token string) (string, time.Time, error) {
			return strings.TrimSuffix(strings.TrimPrefix(token, "eyJ."), ".sig"), time.Now().Add(time.Hour), nil
		},
		AcquireUser: func(context.Context, string, *actor.PID) bool { return true }, ReleaseUser: func(string, *actor.PID) {},
	}
	pid := n.m.System.Root.Spawn(actors.NewConnectionProps(deps, s, "test"))
	c := &conn{n: n, pid: pid, sock: s}
	t.Cleanup(func() { _ = n.m.System.Root.StopFuture(pid).Wait() })
	return c
}

func (c *conn) send(m map[string]any) {
	data, _ := json.Marshal(m)
	c.n.m.System.Root.Send(c.pid, actors.Frame{Data: data})
}

func (c *conn) auth(t *testing.T, token string) map[string]any {
	t.Helper()
	c.send(map[string]any{"type": "AUTH", "token": token})
	return c.sock.await(t, "AUTH_OK", typed("AUTH_OK"))
}
