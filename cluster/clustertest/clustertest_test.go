package clustertest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/clustertest"
	"github.com/streamwidgets/streamwidgets/cluster/member"
	"github.com/streamwidgets/streamwidgets/persistence"
)

var alice = actors.UserCaller("alice")

func createGoal(t *testing.T, n *clustertest.Node, id string) persistence.Record {
	t.Helper()
	rec, err := n.Widgets.Create(context.Background(), alice, id, actors.CreateInput{
		Type: "goal", Title: "Subs", Config: json.RawMessage(`{"target":100}`), Active: true,
	})
	if err != nil {
		t.Fatalf("create %s on %s: %v", id, n.Name, err)
	}
	return rec
}

func increment(n *clustertest.Node, id string) (persistence.Record, error) {
	return n.Widgets.Act(context.Background(), alice, id, "increment", json.RawMessage(`{"by":1}`))
}

func goalCurrent(t *testing.T, rec persistence.Record) float64 {
	t.Helper()
	var s struct{ Current float64 }
	if err := json.Unmarshal(rec.State, &s); err != nil {
		t.Fatal(err)
	}
	return s.Current
}

func TestEveryMemberReachesAGrainHostedElsewhere(t *testing.T) {
	t.Parallel()
	c := clustertest.New(t, 3)
	nodes := c.Nodes()
	createGoal(t, nodes[0], "w1")
	host := c.HostOf(clustertest.WidgetKind, "w1")
	version := int64(1)
	for _, n := range nodes {
		rec, err := increment(n, "w1")
		if err != nil {
			t.Fatalf("act from %s (grain on %s): %v", n.Name, host.Name, err)
		}
		version++
		if rec.Version != version {
			t.Fatalf("act from %s: version %d, want %d", n.Name, rec.Version, version)
		}
	}
	if again := c.HostOf(clustertest.WidgetKind, "w1"); again != host {
		t.Fatalf("the grain moved from %s to %s without a membership change", host.Name, again.Name)
	}
	stored, err := c.Store().Get(context.Background(), "w1")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Version != version || goalCurrent(t, stored) != 3 {
		t.Fatalf("stored version %d current %v, want %d and 3", stored.Version, goalCurrent(t, stored), version)
	}
}

func TestGrainsSpreadOverMembers(t *testing.T) {
	t.Parallel()
	c := clustertest.New(t, 3)
	hosts := map[string]int{}
	for i := 0; i < 30; i++ {
		id := fmt.Sprintf("spread-%d", i)
		createGoal(t, c.Nodes()[i%3], id)
		hosts[c.HostOf(clustertest.WidgetKind, id).Name]++
	}
	if len(hosts) != 3 {
		t.Fatalf("30 grains landed on %v: want all 3 members used", hosts)
	}
}

func TestHostCrashReactivatesGrainOnSurvivorFromStoredState(t *testing.T) {
	t.Parallel()
	c := clustertest.New(t, 3)
	createGoal(t, c.Nodes()[0], "w2")
	host := c.HostOf(clustertest.WidgetKind, "w2")
	caller := c.Other(host)
	var last persistence.Record
	for i := 0; i < 5; i++ {
		rec, err := increment(caller, "w2")
		if err != nil {
			t.Fatal(err)
		}
		last = rec
	}

	killed := time.Now()
	c.RemoveNode(host, false)
	var rec persistence.Record
	err := clustertest.Eventually(15*time.Second, func() error {
		r, err := caller.Widgets.Get(context.Background(), alice, "w2")
		rec = r
		return err
	})
	if err != nil {
		t.Fatalf("no answer from a survivor after the host died: %v", err)
	}
	t.Logf("first answer %v after the host was killed", time.Since(killed).Round(time.Millisecond))
	if rec.Version != last.Version || goalCurrent(t, rec) != 5 {
		t.Fatalf("re-activated at version %d current %v, want the last acknowledged %d and 5", rec.Version, goalCurrent(t, rec), last.Version)
	}
	newHost := c.HostOf(clustertest.WidgetKind, "w2")
	if newHost == host {
		t.Fatal("the grain is still reported on the dead member")
	}
	if rec, err = increment(caller, "w2"); err != nil || rec.Version != last.Version+1 {
		t.Fatalf("act after failover: version %d, %v; want %d", rec.Version, err, last.Version+1)
	}
}

func TestGracefulLeaveMovesGrainsAndANewMemberJoins(t *testing.T) {
	t.Parallel()
	c := clustertest.New(t, 2)
	createGoal(t, c.Nodes()[0], "w3")
	host := c.HostOf(clustertest.WidgetKind, "w3")
	if _, err := increment(host, "w3"); err != nil {
		t.Fatal(err)
	}
	c.RemoveNode(host, true)
	joined := c.SpawnNode()
	c.WaitForMembers(2)
	for _, n := range c.Nodes() {
		rec, err := n.Widgets.Get(context.Background(), alice, "w3")
		if err != nil || goalCurrent(t, rec) != 1 {
			t.Fatalf("get from %s after %s left: %+v, %v", n.Name, host.Name, rec, err)
		}
	}
	if joined.Ready() != nil {
		t.Fatal("the new member is not ready")
	}
}

// TestRemoteAndLocalCallLatency logs what a grain call costs when the grain
// is on the caller's member and on another one (figures for the README).
func TestRemoteAndLocalCallLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("latency figures")
	}
	c := clustertest.New(t, 2)
	createGoal(t, c.Nodes()[0], "w4")
	host := c.HostOf(clustertest.WidgetKind, "w4")
	measure := func(n *clustertest.Node) (p50, p99 time.Duration) {
		const calls = 2000
		took := make([]time.Duration, calls)
		for i := range took {
			start := time.Now()
			if _, err := n.Widgets.Get(context.Background(), alice, "w4"); err != nil {
				t.Fatal(err)
			}
			took[i] = time.Since(start)
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		return took[calls/2], took[calls*99/100]
	}
	lp50, lp99 := measure(host)
	rp50, rp99 := measure(c.Other(host))
	t.Logf("grain Get, local member: p50 %v p99 %v; remote member: p50 %v p99 %v", lp50, lp99, rp50, rp99)
}

func TestEvictedMemberKnowsAndOthersCarryOn(t *testing.T) {
	t.Parallel()
	c := clustertest.New(t, 3)
	createGoal(t, c.Nodes()[0], "w5")
	victim := c.HostOf(clustertest.WidgetKind, "w5")
	c.Evict(victim)
	select {
	case <-victim.Evicted():
	case <-time.After(5 * time.Second):
		t.Fatal("the evicted member did not notice")
	}
	if err := victim.Ready(); !errors.Is(err, member.ErrEvicted) {
		t.Fatalf("evicted member Ready() = %v, want ErrEvicted", err)
	}
	survivor := c.Other(victim)
	err := clustertest.Eventually(10*time.Second, func() error {
		if survivor.Members() != 2 {
			return fmt.Errorf("%s sees %d members", survivor.Name, survivor.Members())
		}
		_, err := increment(survivor, "w5")
		return err
	})
	if err != nil {
		t.Fatalf("the others did not carry on without the evicted member: %v", err)
	}
	for _, n := range c.Nodes() {
		if n == victim {
			continue
		}
		select {
		case <-n.Evicted():
			t.Fatalf("%s thinks it was evicted", n.Name)
		default:
		}
		if err := n.Ready(); err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
	}
	c.RemoveNode(victim, true) // a stop after eviction is clean
}
