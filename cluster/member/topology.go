package member

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"
)

// topology follows the cluster topology events of one member, so readiness
// and logs reflect what this member sees, without reading the library's
// member list outside its lock. It also notices eviction: a member that was
// in the topology and is no longer, without having been asked to stop.
type topology struct {
	system *actor.ActorSystem
	log    *zap.Logger

	mu       sync.Mutex
	members  map[string]bool // member address → in the topology
	joined   bool            // this member has been in the topology
	stopping bool            // Stop was called: leaving is expected
	evicted  chan struct{}   // closed once, on eviction
}

// watchTopology subscribes to system's topology events and logs every
// member that joins or leaves.
func watchTopology(system *actor.ActorSystem, log *zap.Logger) *topology {
	t := &topology{system: system, log: log, members: map[string]bool{}, evicted: make(chan struct{})}
	system.EventStream.Subscribe(func(evt any) {
		ev, ok := evt.(*cluster.ClusterTopology)
		if !ok {
			return
		}
		t.update(ev.Members)
		for _, m := range ev.Joined {
			log.Info("cluster member joined", zap.String("address", m.Address()), zap.String("member_id", m.Id), zap.Int("members", len(ev.Members)))
		}
		for _, m := range ev.Left {
			log.Warn("cluster member left", zap.String("address", m.Address()), zap.String("member_id", m.Id), zap.Int("members", len(ev.Members)))
		}
	})
	return t
}

func (t *topology) update(members []*cluster.Member) {
	next := make(map[string]bool, len(members))
	for _, m := range members {
		next[m.Address()] = true
	}
	self := t.system.Address()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.members = next
	switch {
	case next[self]:
		t.joined = true
	case t.joined && !t.stopping && !t.isEvicted():
		// The others dropped us (e.g. our etcd lease lapsed during a long
		// pause) and the library never lets this identity back in: grains
		// activated here now may be active elsewhere too.
		close(t.evicted)
		t.log.Error("evicted from the cluster topology: this member no longer serves and must restart with a new identity",
			zap.String("address", self), zap.Int("members_seen", len(next)))
	}
}

func (t *topology) isEvicted() bool {
	select {
	case <-t.evicted:
		return true
	default:
		return false
	}
}

// self reports whether address (this member's) is in the topology.
func (t *topology) self(address string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.members[address]
}

func (t *topology) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.members)
}

// leaving marks a requested stop, so leaving the topology is no eviction.
func (t *topology) leaving() {
	t.mu.Lock()
	t.stopping = true
	t.mu.Unlock()
}
