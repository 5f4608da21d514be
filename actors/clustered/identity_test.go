package clustered_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
)

// reusedBuffer hands out strings that alias one byte buffer, the way Fiber's
// zero-copy Params do: rewriting the buffer rewrites every string handed out.
type reusedBuffer struct{ buf []byte }

func (r *reusedBuffer) str(s string) string {
	r.buf = append(r.buf[:0], s...)
	return unsafe.String(&r.buf[0], len(r.buf))
}

// TestClientCopiesIDsAtTheBoundary is the bug behind the cross-tenant delete:
// a widget id whose bytes are reused after the call must not rename the grain.
func TestClientCopiesIDsAtTheBoundary(t *testing.T) {
	t.Parallel()
	dir, clock := t.TempDir(), actortest.NewClock(start)
	n := startNode(t, dir, clock, time.Minute)
	alice := createCountdown(t, n, "alice-widget-0001", "alice", 60)
	bob := createCountdown(t, n, "bobby-widget-0001", "bob", 60)
	n.stop()
	n = startNode(t, dir, clock, time.Minute) // no grain is active: the next call activates bob's

	var id, user reusedBuffer
	rec, err := n.w.Get(ctx, actors.UserCaller(user.str("bob")), id.str(bob.ID))
	if err != nil || rec.ID != bob.ID {
		t.Fatalf("get bob's widget: %v %+v", err, rec)
	}
	// The buffer is reused by the "next request" while bob's grain lives on.
	id.str(alice.ID)
	user.str("eve")

	if _, err := n.w.Delete(ctx, actors.UserCaller("bob"), bob.ID); err != nil {
		t.Fatalf("bob deletes his own widget: %v", err)
	}
	if _, err := n.w.Get(ctx, actors.UserCaller("alice"), alice.ID); err != nil {
		t.Fatalf("alice's widget was touched by bob's delete: %v", err)
	}
	if _, err := n.store.Get(ctx, alice.ID); err != nil {
		t.Fatalf("alice's record is gone from the store: %v", err)
	}
	if _, err := n.store.Get(ctx, bob.ID); err == nil {
		t.Fatal("bob's record is still stored after his delete")
	}
}

// TestGrainRefusesARequestForAnotherWidget: a request naming one widget that
// reaches the grain of another is refused and changes nothing.
func TestGrainRefusesARequestForAnotherWidget(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute)
	alice := createCountdown(t, n, "alice-widget-0002", "alice", 60)
	bob := createCountdown(t, n, "bobby-widget-0002", "bob", 60)

	// Bypass the client: send bob's delete, addressed to alice's grain.
	grain := widgetpb.GetWidgetGrainClient(n.m.Cluster, alice.ID)
	_, err := grain.Delete(&widgetpb.DeleteRequest{Caller: actors.UserCaller("alice"), WidgetId: bob.ID}, cluster.WithTimeout(2*time.Second))
	var ge *cluster.GrainErrorResponse
	if !errors.As(err, &ge) || ge.Reason != actors.CodeUnavailable {
		t.Fatalf("misrouted delete answered %v, want a refusal (%s)", err, actors.CodeUnavailable)
	}
	for _, id := range []string{alice.ID, bob.ID} {
		if _, err := n.store.Get(ctx, id); err != nil {
			t.Fatalf("%s was changed by a misrouted request: %v", id, err)
		}
	}
	// A request without a widget id (no client sends one) is refused too.
	if _, err := grain.Get(&widgetpb.GetRequest{Caller: actors.UserCaller("alice")}, cluster.WithTimeout(2*time.Second)); err == nil {
		t.Fatal("a request that names no widget was served")
	}
	// The grain stopped itself; the next proper call re-activates it.
	if rec, err := n.w.Get(ctx, actors.UserCaller("alice"), alice.ID); err != nil || rec.ID != alice.ID {
		t.Fatalf("alice's widget after the refusal: %v %+v", err, rec)
	}
}

// TestUnknownIDsLeaveNoActivation: asking for widgets that do not exist
// (a scan of random ids) must not keep grains in memory.
func TestUnknownIDsLeaveNoActivation(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Hour)
	kind := n.m.Cluster.GetClusterKind("Widget")
	createCountdown(t, n, "the-one-real-widget", "alice", 60)
	base := kind.Count()
	for i := range 500 {
		id := fmt.Sprintf("missing-%04d", i)
		if _, err := n.w.Get(ctx, actors.UserCaller("mallory"), id); !errors.Is(err, actors.ErrNotFound) {
			t.Fatalf("get %s: %v, want not found", id, err)
		}
		if i%5 == 0 {
			_, _ = n.w.Delete(ctx, actors.UserCaller("mallory"), id)
			_, _ = n.w.Act(ctx, actors.UserCaller("mallory"), id, "start", nil)
		}
	}
	waitFor(t, 5*time.Second, func() bool { return kind.Count() <= base }, "activations of missing widgets to stop")
	if _, err := n.w.Get(ctx, actors.UserCaller("alice"), "the-one-real-widget"); err != nil {
		t.Fatalf("the real widget: %v", err)
	}
}

// TestCallsRacingAStoppingGrainAreAnswered: requests queued just as a grain
// stops (here: a missing widget's grain stops after every answer) must get
// their answer, not wait for the call timeout.
func TestCallsRacingAStoppingGrainAreAnswered(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				call, cancel := context.WithTimeout(ctx, 3*time.Second)
				_, err := n.w.Get(call, actors.UserCaller("mallory"), fmt.Sprintf("racy-%d", (g+i)%3))
				cancel()
				if !errors.Is(err, actors.ErrNotFound) {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of 1200 calls racing a stopping grain failed, first: %v", len(failures), failures[0])
	}
}
