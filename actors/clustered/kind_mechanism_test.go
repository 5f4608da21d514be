package clustered_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
)

// bell is a test kind that uses every part of the kind contract: an event
// per ring, a viewer-only acknowledgement, a fast action with its own rate,
// and a timer at a time the state names.
type bellConfig struct {
	Title string `json:"title"`
}

type bellState struct {
	Rings     int       `json:"rings"`
	Acks      int       `json:"acks"`
	RingingAt time.Time `json:"ringing_at,omitzero"`
	LastBy    string    `json:"last_by,omitempty"`
}

type bell struct {
	kinds.Plain[bellConfig, bellState]
}

const ringFor = 500 * time.Millisecond

func (bell) Info() kinds.Info {
	obj := map[string]any{"type": "object", "properties": map[string]any{}, "x-order": []string{}}
	return kinds.Info{Type: "bell", Name: "Bell", ConfigSchema: map[string]any{"type": "object", "properties": map[string]any{
		"title": map[string]any{"type": "string", "title": "Title"}}, "x-order": []string{"title"}},
		Actions: []kinds.ActionSpec{
			{Name: "ring", Label: "Ring", PayloadSchema: obj},
			{Name: "tap", Label: "Tap", Rate: kinds.Rate{PerSecond: 1000, Burst: 500}},
			{Name: "ack", Label: "Ack", Access: kinds.AccessViewer},
		}}
}
func (bell) Defaults() bellConfig                    { return bellConfig{Title: "Bell"} }
func (bell) Validate(bellConfig) error               { return nil }
func (bell) Initial(bellConfig, time.Time) bellState { return bellState{} }
func (bell) Timer(_ bellConfig, s bellState, _ time.Time) kinds.Timer {
	if s.RingingAt.IsZero() {
		return kinds.Timer{}
	}
	return kinds.Timer{At: s.RingingAt.Add(ringFor)}
}

func (bell) Apply(_ bellConfig, s bellState, a kinds.Action, now time.Time) (bellState, []kinds.Event, error) {
	s.LastBy = string(a.By.Role) + ":" + a.By.Service
	switch a.Name {
	case "ring":
		s.Rings++
		s.RingingAt = now
		return s, []kinds.Event{{Name: "rang", Data: map[string]int{"ring": s.Rings}}}, nil
	case "tap":
		s.Rings++
		return s, nil, nil
	case "ack":
		s.Acks++
		return s, nil, nil
	}
	return s, nil, kinds.UnknownAction("bell", a.Name)
}

func (bell) Settle(_ bellConfig, s bellState, now time.Time) (bellState, []kinds.Event, bool) {
	if s.RingingAt.IsZero() || now.Before(s.RingingAt.Add(ringFor)) {
		return s, nil, false
	}
	s.RingingAt = time.Time{}
	return s, []kinds.Event{{Name: "quiet"}}, true
}

func bellNode(t *testing.T) (*node, *actortest.Clock) {
	clock := actortest.NewClock(start)
	reg, err := kinds.NewRegistry(kinds.Erase[bellConfig, bellState](bell{}), kinds.Erase[kinds.GoalConfig, kinds.GoalState](kinds.Goal{}))
	if err != nil {
		t.Fatal(err)
	}
	return startNode(t, t.TempDir(), clock, time.Minute, func(d *actors.Deps) { d.Kinds = reg }), clock
}

func bellOf(t *testing.T, raw json.RawMessage) bellState {
	t.Helper()
	var s bellState
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func code(err error) string {
	var e *actors.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestEventsFollowTheirStateAndATimerTheStateNamesFires(t *testing.T) {
	t.Parallel()
	n, clock := bellNode(t)
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "b", actors.CreateInput{Type: "bell", Active: true}); err != nil {
		t.Fatal(err)
	}
	p := newProbe(n)
	subscribe(t, n, alice, "b", p)
	rec, err := n.w.Act(ctx, alice, "b", "ring", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, func() bool { return p.last(widgetpb.WidgetEvent_EVENT) != nil }, "the rang event")
	evs := p.snapshot()
	var stateAt, eventAt = -1, -1
	for i, ev := range evs {
		if ev.Kind == widgetpb.WidgetEvent_STATE && ev.Version == rec.Version && stateAt < 0 {
			stateAt = i
		}
		if ev.Kind == widgetpb.WidgetEvent_EVENT && ev.EventName == "rang" {
			eventAt = i
			if string(ev.DataJson) != `{"ring":1}` || ev.Version != rec.Version {
				t.Errorf("rang event = %s at version %d, want {\"ring\":1} at %d", ev.DataJson, ev.Version, rec.Version)
			}
		}
	}
	if stateAt < 0 || eventAt < stateAt {
		t.Fatalf("event must follow the state it belongs to: state at %d, event at %d", stateAt, eventAt)
	}
	// The kind asked to be woken at ringing_at + 500 ms: the grain settles
	// then, unasked, persists the change and publishes the "quiet" event.
	clock.Advance(time.Second)
	waitFor(t, 3*time.Second, func() bool {
		ev := p.last(widgetpb.WidgetEvent_EVENT)
		return ev != nil && ev.EventName == "quiet"
	}, "the quiet event at the time the state named")
	stored, err := n.store.Get(ctx, "b")
	if err != nil || !bellOf(t, stored.State).RingingAt.IsZero() {
		t.Fatalf("the timed transition was not persisted: %s %v", stored.State, err)
	}
}

func TestWhoMaySendWhichAction(t *testing.T) {
	t.Parallel()
	n, _ := bellNode(t)
	alice := actors.UserCaller("alice")
	rec, err := n.w.Create(ctx, alice, "b", actors.CreateInput{Type: "bell", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	viewer := actors.TokenCaller(rec.AccessToken)
	service := actors.ServiceCaller("alice", "twitch")
	for _, tc := range []struct {
		name   string
		caller *widgetpb.Caller
		action string
		code   string
	}{
		{"owner rings", alice, "ring", ""},
		{"the service rings for the owner", service, "ring", ""},
		{"the service of another user", actors.ServiceCaller("mallory", "twitch"), "ring", actors.CodeNotFound},
		{"a viewer acknowledges", viewer, "ack", ""},
		{"a viewer may not ring", viewer, "ring", actors.CodeForbidden},
		{"a viewer's unknown action", viewer, "explode", actors.CodeForbidden},
		{"the owner (manager preview) may not acknowledge", alice, "ack", actors.CodeForbidden},
		{"the service may not acknowledge", service, "ack", actors.CodeForbidden},
		{"another user", actors.UserCaller("mallory"), "ring", actors.CodeNotFound},
		{"a wrong control token", actors.ControlCaller("swc_guess"), "ring", actors.CodeNotFound},
	} {
		_, err := n.w.Act(ctx, tc.caller, "b", tc.action, nil)
		if got := code(err); got != tc.code {
			t.Errorf("%s: code %q (%v), want %q", tc.name, got, err, tc.code)
		}
	}
	got, err := n.w.Get(ctx, alice, "b")
	if err != nil {
		t.Fatal(err)
	}
	if s := bellOf(t, got.State); s.Rings != 2 || s.Acks != 1 {
		t.Fatalf("state %+v, want 2 rings and 1 ack", s)
	}
	// The service acts, but manages nothing.
	if _, err := n.w.Delete(ctx, service, "b"); code(err) != actors.CodeForbidden {
		t.Fatalf("the service deleted a widget: %v", err)
	}
	if r, err := n.w.Get(ctx, service, "b"); err != nil || r.AccessToken != "" {
		t.Fatalf("the service read the widget token: %q %v", r.AccessToken, err)
	}
}

func TestControlTokenRunsActionsOnlyAndIsShownOnce(t *testing.T) {
	t.Parallel()
	n, _ := bellNode(t)
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "b", actors.CreateInput{Type: "bell", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.ControlToken(ctx, actors.UserCaller("mallory"), "b", false); code(err) != actors.CodeNotFound {
		t.Fatalf("another user issued a control token: %v", err)
	}
	issued, err := n.w.ControlToken(ctx, alice, "b", false)
	if err != nil || len(issued.ControlToken) < 40 || issued.ControlToken[:4] != "swc_" || !issued.HasControlToken || issued.ControlTokenHash != "" {
		t.Fatalf("issued %+v %v", issued, err)
	}
	control := actors.ControlCaller(issued.ControlToken)
	if _, err := n.w.Act(ctx, control, "b", "ring", nil); err != nil {
		t.Fatalf("control token could not ring: %v", err)
	}
	for name, call := range map[string]func() error{
		"update": func() error {
			_, err := n.w.Update(ctx, control, "b", actors.UpdateInput{Config: json.RawMessage(`{"title":"x"}`)})
			return err
		},
		"delete":     func() error { _, err := n.w.Delete(ctx, control, "b"); return err },
		"regenerate": func() error { _, err := n.w.RegenerateToken(ctx, control, "b"); return err },
		"reissue":    func() error { _, err := n.w.ControlToken(ctx, control, "b", false); return err },
	} {
		if err := call(); code(err) != actors.CodeForbidden {
			t.Errorf("control token could %s: %v", name, err)
		}
	}
	if r, err := n.w.Get(ctx, alice, "b"); err != nil || r.ControlToken != "" || r.ControlTokenHash != "" || !r.HasControlToken {
		t.Fatalf("a later read shows the token or its hash: %+v %v", r, err)
	}
	// Reissuing replaces the old token at once; revoking removes it.
	again, err := n.w.ControlToken(ctx, alice, "b", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.Act(ctx, control, "b", "ring", nil); code(err) != actors.CodeNotFound {
		t.Fatalf("the replaced control token still works: %v", err)
	}
	if _, err := n.w.ControlToken(ctx, alice, "b", true); err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.Act(ctx, actors.ControlCaller(again.ControlToken), "b", "ring", nil); code(err) != actors.CodeNotFound {
		t.Fatalf("a revoked control token still works: %v", err)
	}
}

func TestInactiveWidgetsRunNoActions(t *testing.T) {
	t.Parallel()
	n, _ := bellNode(t)
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "b", actors.CreateInput{Type: "bell", Active: false}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.Act(ctx, alice, "b", "ring", nil); code(err) != actors.CodeInactive {
		t.Fatalf("inactive widget rang: %v", err)
	}
	on := true
	if _, err := n.w.Update(ctx, alice, "b", actors.UpdateInput{Active: &on}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.w.Act(ctx, alice, "b", "ring", nil); err != nil {
		t.Fatalf("activated widget refused: %v", err)
	}
}

func TestRateLimitsAreDeclaredPerAction(t *testing.T) {
	t.Parallel()
	n, _ := bellNode(t)
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "b", actors.CreateInput{Type: "bell", Active: true}); err != nil {
		t.Fatal(err)
	}
	// "tap" declares 1000/s with a burst of 500: 300 at once all pass, where
	// the node's default (20/s, burst 40) would refuse most.
	for i := 0; i < 300; i++ {
		if _, err := n.w.Act(ctx, alice, "b", "tap", nil); err != nil {
			t.Fatalf("tap %d refused: %v", i, err)
		}
	}
	limited := 0
	for i := 0; i < 60; i++ {
		if _, err := n.w.Act(ctx, alice, "b", "ring", nil); code(err) == actors.CodeRateLimited {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("60 rings at once passed the default per-widget rate")
	}
}

func TestManagersSeeHowManyViewersAreConnected(t *testing.T) {
	t.Parallel()
	n, _ := bellNode(t)
	alice := actors.UserCaller("alice")
	rec, err := n.w.Create(ctx, alice, "b", actors.CreateInput{Type: "bell", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	manager, obs1, obs2 := newProbe(n), newProbe(n), newProbe(n)
	subscribe(t, n, alice, "b", manager)
	subscribe(t, n, actors.TokenCaller(rec.AccessToken), "b", obs1)
	subscribe(t, n, actors.TokenCaller(rec.AccessToken), "b", obs2)
	counts := func() (int32, int32) {
		ev := manager.last(widgetpb.WidgetEvent_VIEWERS)
		if ev == nil {
			return -1, -1
		}
		return ev.Obs, ev.Managers
	}
	waitFor(t, 2*time.Second, func() bool { o, m := counts(); return o == 2 && m == 1 }, "2 OBS views and 1 manager")
	n.m.System.Root.Stop(obs2.pid) // OBS closed: the grain sees it go
	waitFor(t, 2*time.Second, func() bool { o, m := counts(); return o == 1 && m == 1 }, "1 OBS view after one closed")
	// (The relay hands counts to every local connection of the widget; a
	// widget-token connection drops them: TestViewerCountsAreForManagersOnly.)
}

func TestASteadyTenPerSecondIsNeverCoalesced(t *testing.T) {
	n, _ := bellNode(t)
	alice := actors.UserCaller("alice")
	if _, err := n.w.Create(ctx, alice, "g", actors.CreateInput{Type: "goal", Active: true}); err != nil {
		t.Fatal(err)
	}
	p := newProbe(n)
	subscribe(t, n, alice, "g", p)
	// At exactly the broadcast rate (10/s) every change must reach viewers:
	// a throttle measured from the last broadcast drifts and drops some.
	const changes = 30
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last int64
	for i := 0; i < changes; i++ {
		<-tick.C
		rec, err := n.w.Act(ctx, alice, "g", "increment", json.RawMessage(`{"by":1}`))
		if err != nil {
			t.Fatal(err)
		}
		last = rec.Version
	}
	waitFor(t, 2*time.Second, func() bool {
		ev := p.last(widgetpb.WidgetEvent_STATE)
		return ev != nil && ev.Version == last
	}, "the last state")
	seen := map[int64]bool{}
	for _, ev := range p.snapshot() {
		if ev.Kind == widgetpb.WidgetEvent_STATE {
			seen[ev.Version] = true
		}
	}
	if len(seen) < changes {
		t.Fatalf("%d of %d states reached the viewer at a steady 10/s: coalesced", len(seen), changes)
	}
}
