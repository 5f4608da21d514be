// Package clustertest runs several cluster members hosting the service's
// grains in one test process, like protoactor's cluster_test_tool: the
// members share one in-memory membership agent (the "test" provider) and
// one store, each with its own actor system and grain dependencies. A test
// can spawn and remove members and watch grains move between them.
//
// Run packages using it without -race: the library has data races of its
// own when several members share a process (shared/notes/protoactor-go.md).
package clustertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/grains"
	"github.com/streamwidgets/streamwidgets/cluster/member"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
)

// Node is one member of a test cluster.
type Node struct {
	*member.Member
	// Name is "member1", "member2", … in spawn order.
	Name string
	// Widgets calls widget grains through this member.
	Widgets *actors.Client
}

// Cluster is a set of in-process members sharing one membership agent and
// one store.
type Cluster struct {
	t       testing.TB
	name    string
	agent   *test.InMemAgent
	store   persistence.Store
	deps    actors.Deps
	log     *zap.Logger
	timeout time.Duration
	grains  []grains.Option

	mu      sync.Mutex
	nodes   []*Node
	spawned int
}

// Option changes a test cluster's settings.
type Option func(*Cluster)

// WithStore shares st between the members instead of a bolt file in a
// temporary directory. The caller closes it.
func WithStore(st persistence.Store) Option { return func(c *Cluster) { c.store = st } }

// WithDeps sets the widget grains' dependencies (its Store and Logger are
// replaced by the cluster's).
func WithDeps(d actors.Deps) Option { return func(c *Cluster) { c.deps = d } }

// WithGrainOptions passes opts to every member's grains.Kinds (e.g.
// grains.WithIntegrations).
func WithGrainOptions(opts ...grains.Option) Option {
	return func(c *Cluster) { c.grains = append(c.grains, opts...) }
}

// WithLogger logs every member to log (named by member). Default: none.
func WithLogger(log *zap.Logger) Option { return func(c *Cluster) { c.log = log } }

// WithRequestTimeout bounds grain calls. Default 5s.
func WithRequestTimeout(d time.Duration) Option { return func(c *Cluster) { c.timeout = d } }

// New starts size members and waits until every one sees all of them. The
// members stop at the end of the test.
func New(t testing.TB, size int, opts ...Option) *Cluster {
	t.Helper()
	c := &Cluster{t: t, name: "test-" + uuid.NewString()[:8], agent: test.NewInMemAgent(), log: zap.NewNop()}
	for _, o := range opts {
		o(c)
	}
	if c.store == nil {
		st, err := bolt.Open(t.TempDir())
		if err != nil {
			t.Fatalf("clustertest: open store: %v", err)
		}
		c.store = st
		t.Cleanup(func() { _ = st.Close() })
	}
	t.Cleanup(c.shutdown) // registered after the store's close: runs before it
	// Members start in parallel: each start takes the library's 1 s pause.
	nodes, errs := make([]*Node, size), make([]error, size)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func(i int) { defer wg.Done(); nodes[i], errs[i] = c.start(c.nextName()) }(i)
	}
	wg.Wait()
	for i, n := range nodes {
		if errs[i] != nil {
			t.Fatalf("clustertest: %v", errs[i])
		}
		c.nodes = append(c.nodes, n)
	}
	c.WaitForMembers(size)
	return c
}

// Store is the store every member shares.
func (c *Cluster) Store() persistence.Store { return c.store }

// Nodes returns the running members, oldest first.
func (c *Cluster) Nodes() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Node(nil), c.nodes...)
}

// SpawnNode starts one more member and returns it (it may still be joining:
// see WaitForMembers).
func (c *Cluster) SpawnNode() *Node {
	c.t.Helper()
	n, err := c.start(c.nextName())
	if err != nil {
		c.t.Fatalf("clustertest: %v", err)
	}
	c.mu.Lock()
	c.nodes = append(c.nodes, n)
	c.mu.Unlock()
	return n
}

func (c *Cluster) nextName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spawned++
	return fmt.Sprintf("member%d", c.spawned)
}

// start starts one member named name on the shared agent and store.
func (c *Cluster) start(name string) (*Node, error) {
	log := c.log.Named(name)
	deps := c.deps
	deps.Store, deps.Logger = c.store, log
	cfg := member.Config{Name: c.name, Bind: "127.0.0.1:0", RequestTimeout: c.timeout}
	m, err := member.Start(cfg, test.NewTestProvider(c.agent), grains.Kinds(deps, c.grains...), log)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := grains.Joined(m, log); err != nil {
		m.Stop()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return &Node{Member: m, Name: name, Widgets: actors.NewClient(m.Cluster, c.timeout)}, nil
}

// RemoveNode stops n. Graceful leaves the cluster as SIGTERM does; otherwise
// n dies as a killed process would (its grains are not passivated) and the
// agent then drops it, as a real provider does when a lease expires.
func (c *Cluster) RemoveNode(n *Node, graceful bool) {
	c.t.Helper()
	c.mu.Lock()
	found := false
	for i, m := range c.nodes {
		if m == n {
			c.nodes = append(c.nodes[:i], c.nodes[i+1:]...)
			found = true
			break
		}
	}
	c.mu.Unlock()
	if !found {
		c.t.Fatalf("clustertest: %s is not a running member", n.Name)
	}
	if graceful {
		n.Stop()
		return
	}
	n.Kill()
	c.agent.DeregisterService(n.System.ID)
}

// Evict drops n from the membership agent while it keeps running, as etcd
// does when a paused member's lease lapses: the others forget it, and n sees
// itself gone (member.Member.Evicted).
func (c *Cluster) Evict(n *Node) {
	c.agent.DeregisterService(n.System.ID)
}

// WaitForMembers waits (up to 15s) until every running member sees exactly
// want members and is ready.
func (c *Cluster) WaitForMembers(want int) {
	c.t.Helper()
	err := Eventually(15*time.Second, func() error {
		for _, n := range c.Nodes() {
			if got := n.Members(); got != want {
				return fmt.Errorf("%s sees %d members, want %d", n.Name, got, want)
			}
			if err := n.Ready(); err != nil {
				return fmt.Errorf("%s: %w", n.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatalf("clustertest: %v", err)
	}
}

// HostOf returns the member where the grain of kind and identity is
// active, activating it if it is not.
func (c *Cluster) HostOf(kind, identity string) *Node {
	c.t.Helper()
	nodes := c.Nodes()
	if len(nodes) == 0 {
		c.t.Fatal("clustertest: no member")
	}
	pid := nodes[0].Cluster.Get(identity, kind)
	if pid == nil {
		c.t.Fatalf("clustertest: no activation of %s/%s", kind, identity)
	}
	for _, n := range nodes {
		if n.Address() == pid.Address {
			return n
		}
	}
	c.t.Fatalf("clustertest: %s/%s is on %s, not a running member", kind, identity, pid.Address)
	return nil
}

// Other returns a running member other than n.
func (c *Cluster) Other(n *Node) *Node {
	c.t.Helper()
	for _, m := range c.Nodes() {
		if m != n {
			return m
		}
	}
	c.t.Fatalf("clustertest: no member besides %s", n.Name)
	return nil
}

// shutdown stops every member at once at the end of the test: none
// outlives the others, so none waits for a handover (StopLast).
func (c *Cluster) shutdown() {
	var wg sync.WaitGroup
	for _, n := range c.Nodes() {
		wg.Add(1)
		go func(n *Node) { defer wg.Done(); n.StopLast() }(n)
	}
	wg.Wait()
	c.mu.Lock()
	c.nodes = nil
	c.mu.Unlock()
}

// Eventually calls check until it returns nil or timeout passes, and
// returns its last error.
func Eventually(timeout time.Duration, check func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WidgetKind is the cluster kind name of widget grains.
const WidgetKind = "Widget"
