package actors_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// The connection actor on a plain actor system, against a fake socket and
// fake grains: no cluster, so this package runs under -race.

func TestConnectionAuthSubscribeAndAct(t *testing.T) {
	h := startConn(t)
	h.widgets.setVersion("w1", 4)
	h.auth(userToken)
	h.subscribe("w1")
	h.send(map[string]any{"type": "WIDGET_ACTION", "widgetId": "w1", "action": "increment", "requestId": "a1"})
	at := h.sock.awaitFrame(t, byRequest("a1"), "action response")

	frames, _ := h.sock.snapshot()
	if got := frames[0]; got.Type != "AUTH_OK" || got.RequestID != "auth" {
		t.Errorf("first frame = %+v, want AUTH_OK echoing requestId", got)
	}
	init := frames[index(frames, byType("WIDGET_INITIAL_STATE", "w1"))]
	if init.Version != 4 || init.RequestID != "sub-w1" {
		t.Errorf("initial state = %+v, want version 4, requestId sub-w1", init)
	}
	if resp := frames[at]; resp.Type != "WIDGET_ACTION_RESPONSE" || !resp.Success || resp.Version != 5 {
		t.Errorf("action response = %+v, want success at version 5", resp)
	}
}

func TestWidgetTokenSessionIsRefusedActions(t *testing.T) {
	h := startConn(t)
	h.auth(widgetToken)
	h.subscribe("w1")
	h.send(map[string]any{"type": "WIDGET_ACTION", "widgetId": "w1", "action": "increment", "requestId": "own"})
	h.send(map[string]any{"type": "WIDGET_ACTION", "widgetId": "w2", "action": "increment", "requestId": "other"})
	h.send(map[string]any{"type": "WIDGET_SUBSCRIBE", "widgetId": "w2", "requestId": "sub-other"})
	h.sock.awaitFrame(t, byRequest("sub-other"), "refused subscription")

	frames, _ := h.sock.snapshot()
	for _, tc := range []struct{ request, typ, code string }{
		{"own", "WIDGET_ACTION_RESPONSE", protocol.CodeForbidden},
		{"other", "WIDGET_ACTION_RESPONSE", protocol.CodeNotFound},
		{"sub-other", "ERROR", protocol.CodeNotFound},
	} {
		i := index(frames, byRequest(tc.request))
		if i < 0 || frames[i].Type != tc.typ || frames[i].Code != tc.code || frames[i].Success {
			t.Errorf("%s: got %+v, want %s with code %s", tc.request, frames[max(i, 0)], tc.typ, tc.code)
		}
	}
	// The own widget's grain decides (it lets OBS views send acknowledgements);
	// another widget is refused without a call.
	if calls := h.widgets.startedCalls(); !slices.Equal(calls, []string{"subscribe w1", "act w1"}) {
		t.Errorf("grain calls = %v, want the subscription and the own widget's action", calls)
	}
}

func TestDeliveriesForWidgetsNotHeldAreDropped(t *testing.T) {
	h := startConn(t)
	h.auth(userToken)
	h.subscribe("w1")
	h.deliver(stateDelivery("w9", 7))
	h.deliver(stateDelivery("w1", 2)) // behind it in the mailbox
	h.sock.awaitFrame(t, isState("w1", 2), "w1's update")
	if frames, _ := h.sock.snapshot(); index(frames, func(f frame) bool { return f.WidgetID == "w9" }) >= 0 {
		t.Errorf("an event of a widget not held was sent: %v", frames)
	}
}

func TestStaleStateDeliveryIsDropped(t *testing.T) {
	h := startConn(t)
	h.widgets.setVersion("w1", 5)
	h.auth(userToken)
	h.subscribe("w1")
	h.deliver(stateDelivery("w1", 4)) // queued before the subscription: older than the full state
	h.deliver(stateDelivery("w1", 6))
	h.sock.awaitFrame(t, isState("w1", 6), "the newer update")
	if frames, _ := h.sock.snapshot(); index(frames, isState("w1", 4)) >= 0 {
		t.Errorf("a stale update was sent: %v", frames)
	}
}

func TestRevokedClosesOnlyForTheSessionsToken(t *testing.T) {
	h := startConn(t)
	h.auth(widgetToken)
	h.subscribe("w1")
	revoked := func(token string) *actors.Delivery {
		return &actors.Delivery{WidgetID: "w1", Kind: widgetpb.WidgetEvent_REVOKED, Version: 3, TokenHash: persistence.TokenHash(token)}
	}
	h.deliver(revoked("another-token"))
	h.deliver(stateDelivery("w1", 4))
	h.sock.awaitFrame(t, isState("w1", 4), "the update after another token's revocation")
	if _, code := h.sock.snapshot(); code != 0 {
		t.Fatalf("closed with %d on another token's revocation", code)
	}

	h.deliver(revoked(widgetToken))
	h.sock.await(t, "close 4001", func(_ []frame, code int) bool { return code == protocol.CloseTokenRevoked })
}

// TestSlowSubscribeHoldsNoOtherWidget: a subscription whose grain does not
// answer (its member died) neither delays another widget's action nor a
// third widget's pushes.
func TestSlowSubscribeHoldsNoOtherWidget(t *testing.T) {
	h := startConn(t)
	h.auth(userToken)
	h.subscribe("pushed")
	release := h.widgets.hold("slow")
	defer release()
	h.send(map[string]any{"type": "WIDGET_SUBSCRIBE", "widgetId": "slow", "requestId": "sub-slow"})
	h.send(map[string]any{"type": "WIDGET_ACTION", "widgetId": "fast", "action": "increment", "requestId": "act-fast"})
	h.publish("pushed", 2)

	acted := h.sock.awaitFrame(t, byRequest("act-fast"), "the other widget's action response")
	pushed := h.sock.awaitFrame(t, isState("pushed", 2), "the third widget's update")
	if frames, _ := h.sock.snapshot(); index(frames, byRequest("sub-slow")) >= 0 {
		t.Fatalf("the slow subscription answered before it was released: %v", frames)
	}
	release()
	slow := h.sock.awaitFrame(t, byRequest("sub-slow"), "the slow subscription")
	if slow < acted || slow < pushed {
		t.Errorf("frame order: slow subscription %d, action %d, push %d", slow, acted, pushed)
	}
}

func TestActionsOnOneWidgetAreAnsweredInOrder(t *testing.T) {
	h := startConn(t)
	h.widgets.delay("w1", 300*time.Millisecond) // the first call only
	h.auth(userToken)
	for _, id := range []string{"a1", "a2", "a3"} {
		h.send(map[string]any{"type": "WIDGET_ACTION", "widgetId": "w1", "action": "increment", "requestId": id})
	}
	last := h.sock.awaitFrame(t, byRequest("a3"), "the last response")
	frames, _ := h.sock.snapshot()
	var got []string
	var versions []int64
	for _, f := range frames[:last+1] {
		if f.Type == "WIDGET_ACTION_RESPONSE" {
			got, versions = append(got, f.RequestID), append(versions, f.Version)
		}
	}
	if !slices.Equal(got, []string{"a1", "a2", "a3"}) || !slices.Equal(versions, []int64{2, 3, 4}) {
		t.Errorf("responses %v at versions %v, want a1 a2 a3 at 2 3 4", got, versions)
	}
	if n := h.widgets.maxInFlight("w1"); n != 1 {
		t.Errorf("%d calls to one widget were in flight at once, want 1", n)
	}
}

func TestFramesPipelinedBehindAuthWaitForIt(t *testing.T) {
	verifying := make(chan struct{})
	h := startConn(t, func(d *actors.ConnDeps) {
		verify := d.VerifyUser
		d.VerifyUser = func(ctx context.Context, token string) (string, time.Time, error) {
			<-verifying
			return verify(ctx, token)
		}
	})
	h.send(map[string]any{"type": "AUTH", "token": userToken, "requestId": "auth"})
	h.send(map[string]any{"type": "WIDGET_SUBSCRIBE", "widgetId": "w1", "requestId": "s1"})
	h.send(map[string]any{"type": "WIDGET_ACTION", "widgetId": "w1", "action": "increment", "requestId": "a1"})
	h.send(map[string]any{"type": "AUTH", "token": userToken, "requestId": "again"})
	time.Sleep(50 * time.Millisecond) // let them all reach the actor while AUTH is in flight
	close(verifying)

	h.sock.awaitFrame(t, byRequest("a1"), "the action's answer")
	h.sock.awaitFrame(t, byRequest("again"), "the second AUTH's answer")
	frames, code := h.sock.snapshot()
	var got []string
	for _, f := range frames {
		if f.RequestID != "again" { // answered at once, not behind the widget's calls
			got = append(got, f.Type+"/"+f.RequestID)
		}
	}
	want := []string{"AUTH_OK/auth", "WIDGET_INITIAL_STATE/s1", "WIDGET_ACTION_RESPONSE/a1"}
	if !slices.Equal(got, want) || code != 0 {
		t.Errorf("frames %v (close %d), want %v", got, code, want)
	}
	if again := frames[index(frames, byRequest("again"))]; again.Type != "ERROR" || again.Code != protocol.CodeAlreadyAuthed {
		t.Errorf("second AUTH answered %+v, want ERROR %s", again, protocol.CodeAlreadyAuthed)
	}
}

// TestEventsDuringASubscribeCallFollowItsState: an event published while
// the subscribe call is in flight is neither lost nor sent before the full
// state it follows.
func TestEventsDuringASubscribeCallFollowItsState(t *testing.T) {
	h := startConn(t)
	h.widgets.setVersion("w1", 6)
	h.auth(userToken)
	release := h.widgets.hold("w1")
	defer release()
	h.send(map[string]any{"type": "WIDGET_SUBSCRIBE", "widgetId": "w1", "requestId": "s1"})
	waitUntil(t, func() bool { return slices.Contains(h.widgets.startedCalls(), "subscribe w1") }, "the subscribe call")
	// The connection joined the relay before calling: these reach it.
	h.publish("w1", 5) // published before the grain answered: stale
	h.publish("w1", 7)
	h.publish("other", 7)
	time.Sleep(50 * time.Millisecond)
	release()

	pushed := h.sock.awaitFrame(t, isState("w1", 7), "the update published during the call")
	frames, _ := h.sock.snapshot()
	if init := index(frames, byRequest("s1")); init < 0 || init > pushed {
		t.Errorf("initial state at %d, update at %d: %v", init, pushed, frames)
	}
	if index(frames, isState("w1", 5)) >= 0 || index(frames, isState("other", 7)) >= 0 {
		t.Errorf("a stale or foreign update was sent: %v", frames)
	}
}

// TestSharedDepsAreOnlyRead: connections of one server share ConnDeps; making
// their props concurrently must not write it (the race detector checks).
func TestSharedDepsAreOnlyRead(t *testing.T) {
	shared := &actors.ConnDeps{Logger: zap.NewNop()}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = actors.NewConnectionProps(shared, &fakeSocket{}, "c")
		}()
	}
	wg.Wait()
	if shared.CallTimeout != 0 || shared.AuthTimeout != 0 || shared.MaxSubscriptions != 0 {
		t.Errorf("defaults were written into the shared deps: %+v", shared)
	}
}

func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestViewerCountsAreForManagersOnly(t *testing.T) {
	counts := &actors.Delivery{WidgetID: "w1", Kind: widgetpb.WidgetEvent_VIEWERS, Version: 1,
		Frame: []byte(`{"type":"WIDGET_VIEWERS","widgetId":"w1","obs":2,"managers":1}`)}
	isCounts := func(f frame) bool { return f.Type == "WIDGET_VIEWERS" }

	obs := startConn(t)
	obs.auth(widgetToken)
	obs.subscribe("w1")
	obs.deliver(counts)
	obs.deliver(stateDelivery("w1", 2)) // behind it in the mailbox
	obs.sock.awaitFrame(t, isState("w1", 2), "the update after the counts")
	if frames, _ := obs.sock.snapshot(); index(frames, isCounts) >= 0 {
		t.Errorf("an OBS view was sent the viewer counts: %v", frames)
	}

	manager := startConn(t)
	manager.auth(userToken)
	manager.subscribe("w1")
	manager.deliver(counts)
	manager.sock.awaitFrame(t, isCounts, "the counts in the manager")
}
