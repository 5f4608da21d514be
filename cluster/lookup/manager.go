package lookup

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/eventstream"
)

// placementActorName is disthash's, so members of either kind interoperate.
const placementActorName = "partition-activator"

type manager struct {
	cluster      *cluster.Cluster
	ownerTimeout time.Duration
	topologySub  *eventstream.Subscription
	placement    *actor.PID
	rdv          atomic.Pointer[cluster.Rendezvous]
}

func newManager(c *cluster.Cluster, ownerTimeout time.Duration) *manager {
	m := &manager{cluster: c, ownerTimeout: ownerTimeout}
	m.rdv.Store(cluster.NewRendezvous())
	return m
}

func (m *manager) start() {
	system := m.cluster.ActorSystem
	props := actor.PropsFromProducer(func() actor.Actor { return newPlacementActor(m.cluster) })
	m.placement, _ = system.Root.SpawnNamed(props, placementActorName)
	m.topologySub = system.EventStream.Subscribe(func(ev any) {
		if t, ok := ev.(*cluster.ClusterTopology); ok {
			rdv := cluster.NewRendezvous()
			rdv.UpdateMembers(t.Members)
			m.rdv.Store(rdv)
			system.Root.Send(m.placement, t)
		}
	})
}

func (m *manager) stop() {
	system := m.cluster.ActorSystem
	system.EventStream.Unsubscribe(m.topologySub)
	if err := system.Root.PoisonFuture(m.placement).Wait(); err != nil {
		m.cluster.Logger().Error("stop placement actor", slog.Any("error", err))
	}
}

func (m *manager) get(id *cluster.ClusterIdentity) *actor.PID {
	owner := m.rdv.Load().GetByClusterIdentity(id)
	if owner == "" {
		return nil
	}
	req := &cluster.ActivationRequest{ClusterIdentity: id}
	res, err := m.cluster.ActorSystem.Root.RequestFuture(actor.NewPID(owner, placementActorName), req, m.ownerTimeout).Result()
	if err != nil {
		return nil
	}
	if r, ok := res.(*cluster.ActivationResponse); ok {
		return r.Pid
	}
	return nil
}
