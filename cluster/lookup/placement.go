package lookup

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
)

// placementActor activates the grains this member owns and forgets them
// when they stop.
type placementActor struct {
	cluster *cluster.Cluster
	byKey   map[string]activation // identity key -> activation
	byPID   map[string]string     // pid id -> identity key
	// props per kind, made once: cluster.WithClusterIdentity cloned the
	// kind's Props for every activation (~300 bytes each grain kept).
	// Their init reads spawning, set around the (synchronous) spawn.
	props    map[string]*actor.Props
	spawning *cluster.ClusterIdentity
}

type activation struct {
	id  *cluster.ClusterIdentity
	pid *actor.PID
}

func newPlacementActor(c *cluster.Cluster) *placementActor {
	return &placementActor{cluster: c, byKey: map[string]activation{}, byPID: map[string]string{}, props: map[string]*actor.Props{}}
}

func (p *placementActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Stopping:
		p.stopAll(ctx)
	case *actor.Terminated:
		p.onTerminated(msg)
	case *cluster.ActivationRequest:
		p.onActivationRequest(ctx, msg)
	case *cluster.ClusterTopology:
		p.onTopology(ctx, msg)
	}
}

func (p *placementActor) onActivationRequest(ctx actor.Context, msg *cluster.ActivationRequest) {
	key := msg.ClusterIdentity.AsKey()
	if a, ok := p.byKey[key]; ok {
		ctx.Respond(&cluster.ActivationResponse{Pid: a.pid})
		return
	}
	kind := p.cluster.GetClusterKind(msg.ClusterIdentity.Kind)
	if kind == nil {
		ctx.Logger().Error("activation of an unknown kind", slog.String("kind", msg.ClusterIdentity.Kind))
		ctx.Respond(&cluster.ActivationResponse{Failed: true})
		return
	}
	props := p.props[msg.ClusterIdentity.Kind]
	if props == nil {
		props = kind.Props.Clone(actor.WithOnInit(func(ctx actor.Context) { cluster.SetClusterIdentity(ctx, p.spawning) }))
		p.props[msg.ClusterIdentity.Kind] = props
	}
	p.spawning = msg.ClusterIdentity
	pid := ctx.SpawnPrefix(props, msg.ClusterIdentity.Identity)
	p.spawning = nil
	kind.Inc()
	p.byKey[key] = activation{id: msg.ClusterIdentity, pid: pid}
	p.byPID[pid.Id] = key
	ctx.Respond(&cluster.ActivationResponse{Pid: pid})
}

// onTerminated forgets a stopped grain (O(1): passivation storms stay cheap).
func (p *placementActor) onTerminated(msg *actor.Terminated) {
	key, ok := p.byPID[msg.Who.GetId()]
	if !ok {
		return
	}
	a := p.byKey[key]
	delete(p.byPID, msg.Who.GetId())
	delete(p.byKey, key)
	if kind := p.cluster.GetClusterKind(a.id.Kind); kind != nil {
		kind.Dec()
	}
	p.cluster.MemberList.BroadcastEvent(&cluster.ActivationTerminated{Pid: msg.Who, ClusterIdentity: a.id}, true)
}

// onTopology stops the grains that another member owns now.
func (p *placementActor) onTopology(ctx actor.Context, msg *cluster.ClusterTopology) {
	rdv := cluster.NewRendezvous()
	rdv.UpdateMembers(msg.Members)
	me := p.cluster.ActorSystem.Address()
	for key, a := range p.byKey {
		if rdv.GetByIdentity(key) != me {
			ctx.Poison(a.pid)
		}
	}
}

func (p *placementActor) stopAll(ctx actor.Context) {
	futures := make([]*actor.Future, 0, len(p.byKey))
	for _, a := range p.byKey {
		futures = append(futures, ctx.PoisonFuture(a.pid))
	}
	for _, f := range futures {
		if err := f.Wait(); err != nil {
			ctx.Logger().Error("stop grain", slog.Any("error", err))
		}
	}
}
