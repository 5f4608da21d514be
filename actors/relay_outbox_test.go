package actors_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// The relay writes widget frames straight into the sockets' queues
// (relay_outbox.go). These tests publish through the member's relay, as a
// grain does, and check what each session's socket gets.

// publishEvent sends a grain event to this member's relay.
func (h *connHarness) publishEvent(ev *widgetpb.WidgetEvent) {
	h.system.Root.Send(actors.LocalRelay(h.system), ev)
}

// describe names a frame for order checks: "STATE 6", "EVENT cheer", ...
func describe(f frame) string {
	switch f.Type {
	case "WIDGET_STATE_UPDATE":
		return fmt.Sprint("STATE ", f.Version)
	case "WIDGET_CONFIG_UPDATE":
		return fmt.Sprint("CONFIG ", f.Version)
	case "WIDGET_EVENT":
		return "EVENT " + f.Event
	case "WIDGET_VIEWERS":
		return "VIEWERS"
	case "WIDGET_DELETED":
		return "DELETED"
	}
	return f.Type
}

// after lists the frames of widget id sent after its initial state.
func after(frames []frame, id string) []string {
	var out []string
	seen := false
	for _, f := range frames {
		switch {
		case f.Type == "WIDGET_INITIAL_STATE" && f.WidgetID == id:
			seen = true
		case seen && f.WidgetID == id:
			out = append(out, describe(f))
		}
	}
	return out
}

func stateEvent(id string, v int64) *widgetpb.WidgetEvent {
	return &widgetpb.WidgetEvent{WidgetId: id, Kind: widgetpb.WidgetEvent_STATE, Version: v, StateJson: []byte(`{}`)}
}

func TestRelayFramesReachTheSocketInOrderWithoutStaleOnes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		token string
		want  []string
	}{
		{"manager", userToken, []string{"STATE 6", "EVENT a", "EVENT b", "VIEWERS", "CONFIG 7", "STATE 7", "EVENT c"}},
		{"OBS view (no viewer counts)", widgetToken, []string{"STATE 6", "EVENT a", "EVENT b", "CONFIG 7", "STATE 7", "EVENT c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startConn(t)
			h.widgets.setVersion("w1", 5)
			h.auth(tc.token)
			h.subscribe("w1")
			event := func(name string) *widgetpb.WidgetEvent {
				return &widgetpb.WidgetEvent{WidgetId: "w1", Kind: widgetpb.WidgetEvent_EVENT, Version: 6, EventName: name}
			}
			for _, ev := range []*widgetpb.WidgetEvent{
				stateEvent("w1", 4), // published before the full state (version 5): stale
				{WidgetId: "w1", Kind: widgetpb.WidgetEvent_CONFIG, Version: 5, ConfigJson: []byte(`{}`)}, // what the full state had
				stateEvent("w1", 6),
				event("a"), event("b"),
				{WidgetId: "w1", Kind: widgetpb.WidgetEvent_VIEWERS, Obs: 2, Managers: 1},
				{WidgetId: "w1", Kind: widgetpb.WidgetEvent_CONFIG, Version: 7, ConfigJson: []byte(`{}`)},
				stateEvent("w1", 7),
				event("c"),
			} {
				h.publishEvent(ev)
			}
			frames := h.sock.await(t, "the last event", func(frames []frame, _ int) bool {
				return index(frames, func(f frame) bool { return f.Event == "c" }) >= 0
			})
			if got := after(frames, "w1"); !slices.Equal(got, tc.want) {
				t.Errorf("frames after the initial state: %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDeletedThroughTheRelayIsTheLastFrame(t *testing.T) {
	h := startConn(t)
	h.auth(userToken)
	h.subscribe("w1")
	h.subscribe("w2")
	h.publishEvent(stateEvent("w1", 6))
	h.publishEvent(&widgetpb.WidgetEvent{WidgetId: "w1", Kind: widgetpb.WidgetEvent_DELETED, Version: 7})
	h.publishEvent(stateEvent("w1", 8)) // cannot happen after a delete; must not show if it did
	h.publishEvent(stateEvent("w2", 9)) // behind them at the relay
	frames := h.sock.await(t, "w2's update", func(frames []frame, _ int) bool { return index(frames, isState("w2", 9)) >= 0 })
	time.Sleep(50 * time.Millisecond) // a w1 frame would be queued by now
	frames, _ = h.sock.snapshot()
	if got := after(frames, "w1"); !slices.Equal(got, []string{"STATE 6", "DELETED"}) {
		t.Errorf("w1 frames after its initial state: %v, want STATE 6 then DELETED", got)
	}
}

func TestRevokedThroughTheRelayStopsOnlyThatToken(t *testing.T) {
	h := startConn(t)
	h.auth(widgetToken)
	h.subscribe("w1")
	revoked := func(token string) *widgetpb.WidgetEvent {
		return &widgetpb.WidgetEvent{WidgetId: "w1", Kind: widgetpb.WidgetEvent_REVOKED, Version: 3, TokenHash: persistence.TokenHash(token)}
	}
	h.publishEvent(revoked("another-token"))
	h.publishEvent(stateEvent("w1", 4))
	h.sock.awaitFrame(t, isState("w1", 4), "the update after another token's revocation")

	h.publishEvent(revoked(widgetToken))
	h.publishEvent(stateEvent("w1", 5)) // the old token must not see it
	h.sock.await(t, "close 4001", func(_ []frame, code int) bool { return code == protocol.CloseTokenRevoked })
	time.Sleep(50 * time.Millisecond)
	if frames, _ := h.sock.snapshot(); index(frames, isState("w1", 5)) >= 0 {
		t.Errorf("an update published after the token's revocation was sent: %v", frames)
	}
}

// TestFullQueueClosesTheSocketOnce: a socket whose queue is full when the
// relay delivers is closed with 4002, once, however many frames follow.
func TestFullQueueClosesTheSocketOnce(t *testing.T) {
	h := startConn(t)
	h.auth(userToken)
	h.subscribe("w1")
	h.sock.mu.Lock()
	h.sock.full = true
	h.sock.mu.Unlock()
	for v := int64(2); v < 12; v++ {
		h.publishEvent(&widgetpb.WidgetEvent{WidgetId: "w1", Kind: widgetpb.WidgetEvent_EVENT, Version: v, EventName: "e"})
	}
	h.sock.await(t, "close 4002", func(_ []frame, code int) bool { return code == protocol.CloseSlowConsumer })
	h.send(map[string]any{"type": "WIDGET_ACTION", "widgetId": "w1", "action": "increment", "requestId": "a1"})
	time.Sleep(100 * time.Millisecond)
	h.sock.mu.Lock()
	defer h.sock.mu.Unlock()
	if h.sock.aborts != 1 {
		t.Errorf("the socket was aborted %d times, want once", h.sock.aborts)
	}
}
