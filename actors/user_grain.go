package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/scheduler"
	"golang.org/x/time/rate"

	"github.com/streamwidgets/streamwidgets/cluster/userpb"
)

// UserKind is the cluster kind of user grains (the proto service name).
const UserKind = "UserLimits"

// userIdle is how long a user grain without connections lives on: long
// enough that its create budget means something (a minute's worth).
const userIdle = 2 * time.Minute

// NewUserKind returns the cluster kind of user grains on system.
func NewUserKind(system *actor.ActorSystem) *cluster.Kind {
	return userpb.NewUserLimitsKind(func() userpb.UserLimits { return &userGrain{} }, 0,
		actor.WithReceiverMiddleware(forwardTerminated), actor.WithMailbox(stopGuardedMailbox(system)))
}

// userGrain alone keeps one user's cluster-wide limits: the create budget
// and the set of open connections (watched, so a connection on a member
// that dies is released by itself). Its state is not persisted: after a
// failover the budget starts full and connections are counted again as
// they reconnect, a bounded and brief over-allowance.
type userGrain struct {
	ctx      cluster.GrainContext
	creates  *rate.Limiter
	perMin   int32
	conns    map[string]*actor.PID // pidKey -> connection
	lastUsed time.Time
	stopIdle scheduler.CancelFunc
	stopping bool
}

var _ userpb.UserLimits = (*userGrain)(nil)

func (g *userGrain) Init(ctx cluster.GrainContext) {
	g.ctx, g.conns, g.lastUsed = ctx, map[string]*actor.PID{}, time.Now()
	g.stopIdle = scheduler.NewTimerScheduler(ctx).SendRepeatedly(30*time.Second, 30*time.Second, ctx.Self(), idleCheck{})
}

func (g *userGrain) Terminate(cluster.GrainContext) {
	if g.stopIdle != nil {
		g.stopIdle()
	}
}

func (g *userGrain) ReceiveDefault(ctx cluster.GrainContext) {
	switch msg := ctx.Message().(type) {
	case idleCheck:
		if len(g.conns) == 0 && time.Since(g.lastUsed) >= userIdle && !g.stopping {
			g.stopping = true
			ctx.Poison(ctx.Self())
		}
	case subscriberGone:
		delete(g.conns, pidKey(msg.pid))
	}
}

// TakeCreate spends one create of the per-minute budget.
func (g *userGrain) TakeCreate(req *userpb.TakeCreateRequest, _ cluster.GrainContext) (*userpb.LimitReply, error) {
	g.lastUsed = time.Now()
	per := max(req.GetPerMinute(), 1)
	if g.creates == nil || per != g.perMin {
		g.creates, g.perMin = rate.NewLimiter(rate.Limit(float64(per)/60), int(per)), per
	}
	now := time.Now()
	if g.creates.AllowN(now, 1) {
		return &userpb.LimitReply{Ok: true}, nil
	}
	wait := time.Duration((1 - g.creates.TokensAt(now)) / float64(g.creates.Limit()) * float64(time.Second))
	return &userpb.LimitReply{RetryAfterMs: wait.Milliseconds()}, nil
}

// AcquireConnection admits a connection if the user has fewer than max.
func (g *userGrain) AcquireConnection(req *userpb.AcquireConnectionRequest, ctx cluster.GrainContext) (*userpb.LimitReply, error) {
	g.lastUsed = time.Now()
	pid := req.GetConnection()
	if pid == nil {
		return &userpb.LimitReply{}, nil
	}
	key := pidKey(pid)
	if _, ok := g.conns[key]; ok {
		return &userpb.LimitReply{Ok: true}, nil
	}
	if int32(len(g.conns)) >= req.GetMax() {
		return &userpb.LimitReply{}, nil
	}
	g.conns[key] = pid
	ctx.Watch(pid)
	return &userpb.LimitReply{Ok: true}, nil
}

// ReleaseConnection frees a connection's slot.
func (g *userGrain) ReleaseConnection(req *userpb.ReleaseConnectionRequest, ctx cluster.GrainContext) (*userpb.LimitReply, error) {
	g.lastUsed = time.Now()
	if pid := req.GetConnection(); pid != nil {
		if _, ok := g.conns[pidKey(pid)]; ok {
			delete(g.conns, pidKey(pid))
			ctx.Unwatch(pid)
		}
	}
	return &userpb.LimitReply{Ok: true}, nil
}
