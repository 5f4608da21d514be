package member

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"
)

// topology follows the cluster topology events of one member, so readiness
// and logs reflect what this member sees, without reading the library's
// member list outside its lock.
type topology struct {
	mu      sync.Mutex
	members map[string]bool // member address → in the topology
}

// watchTopology subscribes to system's topology events and logs every
// member that joins or leaves.
func watchTopology(system *actor.ActorSystem, log *zap.Logger) *topology {
	t := &topology{members: map[string]bool{}}
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
	t.mu.Lock()
	t.members = next
	t.mu.Unlock()
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
