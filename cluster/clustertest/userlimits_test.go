package clustertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/clustertest"
)

// TestUserLimitsHoldAcrossMembers: the connection cap and the create budget
// are one user's, whichever member the requests reach, and a connection
// whose member dies gives its slot back by itself.
func TestUserLimitsHoldAcrossMembers(t *testing.T) {
	t.Parallel()
	c := clustertest.New(t, 3)
	nodes := c.Nodes()
	ctx := context.Background()
	limits := make([]*actors.UserLimits, len(nodes))
	for i, n := range nodes {
		limits[i] = actors.NewUserLimits(n.Cluster, 10*time.Second) // a loaded CI machine right after the cluster formed
	}
	idle := actor.PropsFromFunc(func(actor.Context) {})

	// A cap of 3 connections, opened on three different members.
	var onLast *actor.PID
	for i, n := range nodes {
		conn := n.System.Root.Spawn(idle)
		onLast = conn
		if ok, err := limits[i].Acquire(ctx, "alice", conn, 3); err != nil || !ok {
			t.Fatalf("connection %d on %s: %v %v", i+1, n.Name, ok, err)
		}
	}
	extra := nodes[0].System.Root.Spawn(idle)
	if ok, _ := limits[0].Acquire(ctx, "alice", extra, 3); ok {
		t.Fatal("a fourth connection was admitted over a cap of 3 held across members")
	}
	if ok, _ := limits[1].Acquire(ctx, "bob", nodes[1].System.Root.Spawn(idle), 3); !ok {
		t.Fatal("another user was refused")
	}
	// The last connection's actor stops: its slot comes back without a release.
	nodes[2].System.Root.Stop(onLast)
	if err := clustertest.Eventually(5*time.Second, func() error {
		ok, err := limits[0].Acquire(ctx, "alice", extra, 3)
		if err == nil && !ok {
			return context.DeadlineExceeded
		}
		return err
	}); err != nil {
		t.Fatalf("the stopped connection's slot was not freed: %v", err)
	}

	// A create budget of 4 per minute, spent through every member.
	allowed := 0
	for i := range 8 {
		ok, wait, err := limits[i%3].TakeCreate(ctx, "carol", 4)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		} else if wait <= 0 {
			t.Fatal("a refusal without a wait")
		}
	}
	if allowed != 4 {
		t.Fatalf("%d creates allowed across members, want 4", allowed)
	}
}
