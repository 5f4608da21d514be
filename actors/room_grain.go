package actors

import (
	"crypto/subtle"
	"math/rand/v2"
	"reflect"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/scheduler"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/streamwidgets/streamwidgets/actors/rooms"
	"github.com/streamwidgets/streamwidgets/cluster/roompb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// RoomKind is the cluster kind of room grains (the proto service name).
const RoomKind = "Room"

// NewRoomKind returns the cluster kind of room grains on system. Like widget
// grains they passivate themselves (roomIdle), forward Terminated (their
// subscribers are watched) and answer requests that reach them stopped.
func NewRoomKind(system *actor.ActorSystem) *cluster.Kind {
	return roompb.NewRoomKind(func() roompb.Room { return &roomGrain{} }, 0,
		actor.WithReceiverMiddleware(forwardTerminated), actor.WithMailbox(stopGuardedMailbox(system)))
}

// roomGrain alone owns one watch-party room: members, roles, the playback
// clock, subscribers and presence. Every change is applied here, persisted
// with a version check, and only then acknowledged and broadcast.
type roomGrain struct {
	deps     *RoomDeps
	id       string
	log      *zap.Logger
	ctx      cluster.GrainContext
	room     *persistence.Room // nil: no room with this id
	loaded   bool
	lastUsed time.Time
	idleFor  time.Duration
	timers   *scheduler.TimerScheduler
	stopIdle scheduler.CancelFunc
	stopping bool

	subs    map[string]roomSub // pidKey -> subscriber
	members map[string]int     // member address -> subscribers there
	online  map[string]int     // user id -> subscribed sockets (presence)
	// seq orders the room's events, presence included; it is time-based so
	// it keeps growing across activations (clients compare it).
	seq         int64
	controls    *rate.Limiter
	joins       *rate.Limiter
	failedJoins int
	emptyTimer  scheduler.CancelFunc
}

// roomSub is a connection actor watching the room: a member's socket
// (userID set) or an OBS view (userID empty, read-only).
type roomSub struct {
	pid    *actor.PID
	userID string
}

type roomIdle struct{}
type roomEmptyCheck struct{}

// passwordChecked is the off-mailbox password check's answer (see Join).
type passwordChecked struct{ ok bool }

var _ roompb.Room = (*roomGrain)(nil)

func (g *roomGrain) Init(ctx cluster.GrainContext) {
	g.deps = roomDepsOf(ctx.ActorSystem())
	if g.deps == nil { // a member that hosts the kind without InstallRooms
		g.deps = InstallRooms(ctx.ActorSystem(), RoomDeps{})
	}
	g.id = strings.Clone(ctx.Identity())
	g.ctx = ctx
	g.subs, g.members, g.online = map[string]roomSub{}, map[string]int{}, map[string]int{}
	g.log = g.deps.Logger.Named("room").With(zap.String("room_id", g.id))
	g.controls = rate.NewLimiter(rate.Limit(g.deps.ControlsPerSecond), g.deps.ControlBurst)
	g.joins = rate.NewLimiter(rate.Limit(g.deps.JoinAttemptsPerMinute/60), g.deps.JoinAttemptBurst)
	g.lastUsed = time.Now()
	g.idleFor = g.deps.IdleTimeout + time.Duration(rand.Int64N(int64(g.deps.IdleTimeout)/5+1))
	g.timers = scheduler.NewTimerScheduler(ctx)
	every := min(g.idleFor/4, 30*time.Second)
	g.stopIdle = g.timers.SendRepeatedly(every, every, ctx.Self(), roomIdle{})
	if err := g.load(); err != nil {
		g.log.Warn("load on activation failed; will retry on next call", zap.Error(err))
	}
}

func (g *roomGrain) Terminate(cluster.GrainContext) {
	if g.stopIdle != nil {
		g.stopIdle()
	}
	if g.emptyTimer != nil {
		g.emptyTimer()
	}
}

func (g *roomGrain) ReceiveDefault(ctx cluster.GrainContext) {
	switch msg := ctx.Message().(type) {
	case roomIdle:
		if len(g.subs) == 0 && time.Since(g.lastUsed) >= g.idleFor {
			g.stop()
		}
	case roomEmptyCheck:
		g.emptyTimer = nil
		if err := g.ready(); err != nil && !isCode(err, rooms.CodeNotFound) {
			g.log.Warn("empty check failed", zap.Error(err))
		}
	case subscriberGone:
		g.dropSub(pidKey(msg.pid), true)
	}
}

// checkTarget refuses a request meant for another room (a corrupted
// identity): the grain says so loudly and stops, as widget grains do.
func (g *roomGrain) checkTarget(want string) error {
	if want == g.id && want == g.ctx.Identity() {
		return nil
	}
	g.log.Error("refused a request for another room: grain identity mismatch",
		zap.String("request_room_id", want), zap.String("identity_now", g.ctx.Identity()))
	g.stop()
	return grainError(&Error{Code: CodeUnavailable, Message: "room routing error; nothing was changed, try again"})
}

// forgetIfMissing stops a grain whose room does not exist once it has
// answered: a request for an unknown id must cost nothing that lasts.
func (g *roomGrain) forgetIfMissing() {
	if g.loaded && g.room == nil && len(g.subs) == 0 {
		g.stop()
	}
}

func (g *roomGrain) stop() {
	if !g.stopping {
		g.stopping = true
		g.ctx.Poison(g.ctx.Self())
	}
}

func (g *roomGrain) now() time.Time { return g.deps.Clock().UTC() }

// nextSeq returns a new event sequence number, above every earlier one
// even across activations (microseconds of the clock, at least +1).
func (g *roomGrain) nextSeq() int64 {
	g.seq = max(g.seq+1, time.Now().UnixMicro())
	return g.seq
}

// begin is the start of every call: mark use, check the target, make sure
// the room is loaded and settled.
func (g *roomGrain) begin(roomID string) error {
	g.lastUsed = time.Now()
	return g.checkTarget(roomID)
}

// ready loads the room and ends it if it stayed empty past its deadline.
func (g *roomGrain) ready() error {
	if err := g.ensureLoaded(); err != nil {
		return err
	}
	if g.room == nil {
		return &rooms.Error{Code: rooms.CodeNotFound, Message: "room not found"}
	}
	if next, expired := rooms.Expire(*g.room, g.now()); expired {
		if _, err := g.save(next, g.room.Version); err != nil {
			return err
		}
		g.log.Info("room ended: empty past its deadline")
	}
	return nil
}

// mutate applies change to the room and persists it with a version check,
// retrying once after a conflict (another activation wrote first).
func (g *roomGrain) mutate(change func(persistence.Room, time.Time) (persistence.Room, error)) (persistence.Room, error) {
	for attempt := 0; ; attempt++ {
		if err := g.ready(); err != nil {
			return persistence.Room{}, err
		}
		cur := *g.room
		next, err := change(cur, g.now())
		if err != nil {
			return cur, err
		}
		if reflect.DeepEqual(next, cur) {
			return cur, nil // nothing changed: no write, no broadcast
		}
		next.UpdatedAt = g.now()
		saved, err := g.save(next, cur.Version)
		if isCode(err, CodeConflict) && attempt == 0 {
			continue
		}
		return saved, err
	}
}

// caller checks who asks: a user id, or the OBS token's hash (read-only).
func (g *roomGrain) obsCaller(c *roompb.Caller) bool {
	return c.GetUserId() == "" && c.GetTokenHash() != "" && g.room != nil && g.room.OBSTokenHash != "" &&
		subtle.ConstantTimeCompare([]byte(c.GetTokenHash()), []byte(g.room.OBSTokenHash)) == 1
}

func (g *roomGrain) isOnline(user string) bool { return g.online[user] > 0 }

// view is the room for caller: full for members and the OBS token, public otherwise.
func (g *roomGrain) view(c *roompb.Caller) (*roompb.RoomReply, error) {
	var v any
	if g.obsCaller(c) {
		v = rooms.Full(*g.room, g.isOnline, g.seq)
	} else {
		v = rooms.For(*g.room, c.GetUserId(), g.isOnline, g.seq)
	}
	data, err := marshal(v)
	if err != nil {
		return nil, grainError(err)
	}
	return &roompb.RoomReply{ViewJson: data}, nil
}

func isCode(err error, code string) bool {
	if err == nil {
		return false
	}
	c, _ := roomErrorCode(err)
	return c == code
}
