package actors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// fakeSocket records what a connection sends.
type fakeSocket struct {
	mu        sync.Mutex
	frames    []frame
	closeCode int
	aborts    int
	full      bool // Send refuses: the client stopped reading
}

// frame is one sent frame, decoded enough to assert on.
type frame struct {
	Type      string `json:"type"`
	WidgetID  string `json:"widgetId"`
	RequestID string `json:"requestId"`
	Version   int64  `json:"version"`
	Code      string `json:"code"`
	Success   bool   `json:"success"`
	Event     string `json:"event"`
	Raw       string `json:"-"`
}

func (s *fakeSocket) Send(data []byte, _ string) bool {
	var f frame
	_ = json.Unmarshal(data, &f)
	f.Raw = string(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full {
		return false
	}
	s.frames = append(s.frames, f)
	return true
}

func (s *fakeSocket) Close(code int, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeCode = code
}

func (s *fakeSocket) Abort(code int, reason string) {
	s.mu.Lock()
	s.aborts++
	s.mu.Unlock()
	s.Close(code, reason)
}

func (s *fakeSocket) snapshot() ([]frame, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]frame(nil), s.frames...), s.closeCode
}

// await polls until cond holds over the frames sent so far (5 s at most).
func (s *fakeSocket) await(t *testing.T, what string, cond func(frames []frame, closeCode int) bool) []frame {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		frames, code := s.snapshot()
		if cond(frames, code) {
			return frames
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; frames %v, close code %d", what, frames, code)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// awaitFrame waits for a frame matching want and returns its index.
func (s *fakeSocket) awaitFrame(t *testing.T, want func(frame) bool, what string) int {
	t.Helper()
	at := -1
	s.await(t, what, func(frames []frame, _ int) bool {
		at = index(frames, want)
		return at >= 0
	})
	return at
}

func index(frames []frame, want func(frame) bool) int {
	for i, f := range frames {
		if want(f) {
			return i
		}
	}
	return -1
}

func byRequest(id string) func(frame) bool { return func(f frame) bool { return f.RequestID == id } }

func byType(typ, widgetID string) func(frame) bool {
	return func(f frame) bool { return f.Type == typ && f.WidgetID == widgetID }
}

// fakeWidgets stands in for the widget grains: every widget exists at the
// version set in versions (default 1); an action adds one. A widget's calls
// can be made slow (delays, consumed one per call) or held until released.
type fakeWidgets struct {
	mu       sync.Mutex
	versions map[string]int64
	delays   map[string][]time.Duration // widget id -> delay of its next calls
	gates    map[string]chan struct{}   // widget id -> calls wait until closed (at most 2 s)
	started  []string                   // "subscribe w1", "act w1 a1", ...
	inFlight map[string]int
	maxIn    map[string]int
}

var _ actors.WidgetCalls = (*fakeWidgets)(nil)

func newFakeWidgets() *fakeWidgets {
	return &fakeWidgets{versions: map[string]int64{}, delays: map[string][]time.Duration{}, gates: map[string]chan struct{}{},
		inFlight: map[string]int{}, maxIn: map[string]int{}}
}

func (w *fakeWidgets) setVersion(id string, v int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.versions[id] = v
}

// delay makes the next calls to id take d each, one per call.
func (w *fakeWidgets) delay(id string, d ...time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.delays[id] = append(w.delays[id], d...)
}

// hold makes calls to id wait until the returned release is called (2 s at most).
func (w *fakeWidgets) hold(id string) (release func()) {
	gate := make(chan struct{})
	w.mu.Lock()
	w.gates[id] = gate
	w.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }
}

func (w *fakeWidgets) enter(ctx context.Context, call, id string) error {
	w.mu.Lock()
	w.started = append(w.started, call+" "+id)
	w.inFlight[id]++
	w.maxIn[id] = max(w.maxIn[id], w.inFlight[id])
	gate := w.gates[id]
	var delay time.Duration
	if d := w.delays[id]; len(d) > 0 {
		delay, w.delays[id] = d[0], d[1:]
	}
	w.mu.Unlock()
	var wait <-chan struct{} // nil: never ready
	if gate != nil {
		wait, delay = gate, 2*time.Second
	}
	if delay > 0 {
		select {
		case <-wait:
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (w *fakeWidgets) leave(id string, act bool) persistence.Record {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inFlight[id]--
	if w.versions[id] == 0 {
		w.versions[id] = 1
	}
	if act {
		w.versions[id]++
	}
	return persistence.Record{ID: id, Type: "counter", Version: w.versions[id]}
}

func (w *fakeWidgets) startedCalls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.started...)
}

func (w *fakeWidgets) maxInFlight(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.maxIn[id]
}

func (w *fakeWidgets) Subscribe(ctx context.Context, _ *widgetpb.Caller, id string, _ *actor.PID) (persistence.Record, *actor.PID, error) {
	if err := w.enter(ctx, "subscribe", id); err != nil {
		return persistence.Record{}, nil, err
	}
	return w.leave(id, false), nil, nil
}

func (w *fakeWidgets) Unsubscribe(ctx context.Context, id string, _ *actor.PID) error {
	err := w.enter(ctx, "unsubscribe", id)
	w.leave(id, false)
	return err
}

func (w *fakeWidgets) Act(ctx context.Context, caller *widgetpb.Caller, id, action string, _ json.RawMessage) (persistence.Record, error) {
	if err := w.enter(ctx, "act", id); err != nil {
		return persistence.Record{}, err
	}
	if caller.GetTokenHash() != "" && action != "ack" {
		// As the grain does: a widget token sends only its kind's viewer actions.
		w.leave(id, false)
		return persistence.Record{}, &actors.Error{Code: actors.CodeForbidden, Message: "a widget token is read-only"}
	}
	return w.leave(id, true), nil
}

// widgetToken signs a session in as a read-only viewer of widget "w1".
const widgetToken = "token-of-w1"

// userToken signs a session in as "alice" (shaped as a JWT: "eyJ…", two dots).
const userToken = "eyJ.alice.sig"

// connHarness is one connection actor on a plain actor system (no cluster),
// with this member's relay, a fake socket and fake widget grains.
type connHarness struct {
	t       *testing.T
	system  *actor.ActorSystem
	conn    *actor.PID
	sock    *fakeSocket
	widgets *fakeWidgets
}

func startConn(t *testing.T, mutate ...func(*actors.ConnDeps)) *connHarness {
	t.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	t.Cleanup(system.Shutdown)
	if _, err := actors.SpawnRelay(system, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	h := &connHarness{t: t, system: system, sock: &fakeSocket{}, widgets: newFakeWidgets()}
	deps := &actors.ConnDeps{
		Widgets: h.widgets,
		Logger:  zap.NewNop(),
		VerifyUser: func(_ context.Context, token string) (string, time.Time, error) {
			if token != userToken {
				return "", time.Time{}, errors.New("bad signature")
			}
			return "alice", time.Time{}, nil
		},
		WidgetForToken: func(_ context.Context, token string) (string, error) {
			if token != widgetToken {
				return "", errors.New("unknown token")
			}
			return "w1", nil
		},
		AcquireUser: func(context.Context, string, *actor.PID) bool { return true },
		ReleaseUser: func(string, *actor.PID) {},
	}
	for _, m := range mutate {
		m(deps)
	}
	h.conn = system.Root.Spawn(actors.NewConnectionProps(deps, h.sock, t.Name()))
	return h
}

// send hands the connection a client frame.
func (h *connHarness) send(msg map[string]any) {
	data, err := json.Marshal(msg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.system.Root.Send(h.conn, actors.Frame{Data: data})
}

// auth signs in with token and waits for AUTH_OK.
func (h *connHarness) auth(token string) {
	h.t.Helper()
	h.send(map[string]any{"type": "AUTH", "token": token, "requestId": "auth"})
	h.sock.awaitFrame(h.t, byType("AUTH_OK", ""), "AUTH_OK")
}

// subscribe subscribes to id and waits for its initial state.
func (h *connHarness) subscribe(id string) {
	h.t.Helper()
	h.send(map[string]any{"type": "WIDGET_SUBSCRIBE", "widgetId": id, "requestId": "sub-" + id})
	h.sock.awaitFrame(h.t, byType("WIDGET_INITIAL_STATE", id), "initial state of "+id)
}

// deliver hands the connection a relayed event directly.
func (h *connHarness) deliver(d *actors.Delivery) { h.system.Root.Send(h.conn, d) }

// stateDelivery is a STATE event of id at version, encoded as the relay would.
func stateDelivery(id string, version int64) *actors.Delivery {
	return &actors.Delivery{WidgetID: id, Kind: widgetpb.WidgetEvent_STATE, Version: version,
		Frame: []byte(fmt.Sprintf(`{"type":"WIDGET_STATE_UPDATE","widgetId":%q,"version":%d}`, id, version))}
}

// publish sends a grain event to this member's relay, as a grain would.
func (h *connHarness) publish(id string, version int64) {
	h.system.Root.Send(actors.LocalRelay(h.system), &widgetpb.WidgetEvent{WidgetId: id, Kind: widgetpb.WidgetEvent_STATE,
		Version: version, StateJson: []byte(`{}`)})
}

func isState(id string, version int64) func(frame) bool {
	return func(f frame) bool { return f.Type == "WIDGET_STATE_UPDATE" && f.WidgetID == id && f.Version == version }
}
