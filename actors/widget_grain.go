package actors

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/scheduler"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// NewWidgetKind returns the cluster kind of widget grains on system. The
// generated receive timeout is off (0): it would passivate a grain whose
// timer runs; the grain passivates itself instead (see idleCheck).
func NewWidgetKind(system *actor.ActorSystem) *cluster.Kind {
	return widgetpb.NewWidgetKind(func() widgetpb.Widget { return &widgetGrain{} }, 0,
		actor.WithReceiverMiddleware(forwardTerminated), actor.WithMailbox(stopGuardedMailbox(system)))
}

// widgetGrain alone owns one widget: its record, config, state and timers.
// Every change is applied here and persisted (versioned) before it is
// acknowledged; nothing else writes the record.
type widgetGrain struct {
	deps     *Deps
	id       string
	log      *zap.Logger
	rec      *persistence.Record // nil: no widget with this id
	loaded   bool
	lastUsed time.Time
	idleFor  time.Duration
	timers   *scheduler.TimerScheduler
	stopIdle scheduler.CancelFunc
	stopTick scheduler.CancelFunc
	ctx      cluster.GrainContext

	stopping       bool                  // a stop is queued (see forgetIfMissing, checkTarget)
	subs           map[string]subscriber // key: pidKey
	members        map[string]int        // member address -> subscribers there
	lastBroadcast  time.Time
	statePending   bool
	flushScheduled bool
	actions        *rate.Limiter
}

// idleCheck and tick are local messages from the grain's own timers.
type idleCheck struct{}
type tick struct{}

var _ widgetpb.Widget = (*widgetGrain)(nil)

func (g *widgetGrain) Init(ctx cluster.GrainContext) {
	g.deps = depsOf(ctx.ActorSystem())
	g.id = strings.Clone(ctx.Identity())
	g.ctx = ctx
	g.subs = map[string]subscriber{}
	g.members = map[string]int{}
	g.actions = rate.NewLimiter(rate.Limit(g.deps.ActionsPerSecond), g.deps.ActionBurst)
	g.log = g.deps.Logger.Named("widget").With(zap.String("widget_id", g.id))
	g.lastUsed = time.Now()
	jitter := time.Duration(rand.Int64N(int64(g.deps.IdleTimeout)/5 + 1))
	g.idleFor = g.deps.IdleTimeout + jitter
	g.timers = scheduler.NewTimerScheduler(ctx)
	every := min(g.idleFor/4, 30*time.Second)
	g.stopIdle = g.timers.SendRepeatedly(every, every, ctx.Self(), idleCheck{})
	if err := g.load(); err != nil {
		g.log.Warn("load on activation failed; will retry on next call", zap.Error(err))
	}
}

func (g *widgetGrain) Terminate(cluster.GrainContext) {
	if g.stopIdle != nil {
		g.stopIdle()
	}
	g.stopTicking()
}

func (g *widgetGrain) ReceiveDefault(ctx cluster.GrainContext) {
	switch msg := ctx.Message().(type) {
	case idleCheck:
		if len(g.subs) > 0 || (g.rec != nil && g.running()) {
			return
		}
		if time.Since(g.lastUsed) >= g.idleFor {
			g.stop()
		}
	case tick:
		g.onTick()
	case flushState:
		if g.statePending {
			g.flushPending()
		} else {
			g.flushScheduled = false
		}
	case subscriberGone:
		g.dropSubscriber(pidKey(msg.pid))
	}
}

func (g *widgetGrain) Create(req *widgetpb.CreateRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	g.lastUsed = time.Now()
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	if req.GetCaller().GetUserId() == "" {
		return nil, grainError(&Error{Code: CodeForbidden, Message: "only a signed-in user can create widgets"})
	}
	if err := g.ensureLoaded(); err != nil {
		return nil, grainError(err)
	}
	if g.rec != nil {
		return nil, grainError(&Error{Code: CodeConflict, Message: "a widget with this id already exists"})
	}
	def, ok := g.deps.Kinds.Lookup(req.GetType())
	if !ok {
		return nil, grainError(&kinds.Error{Code: kinds.CodeUnknownType, Message: "unknown widget type " + quote(req.GetType())})
	}
	title, err := cleanTitle(req.GetTitle(), def.Info().Name)
	if err != nil {
		return nil, grainError(err)
	}
	config, err := def.MergeConfig(nil, req.GetConfigJson())
	if err != nil {
		return nil, grainError(err)
	}
	now := g.now()
	state, err := def.InitialState(config, now)
	if err != nil {
		return nil, grainError(err)
	}
	token, err := g.deps.NewToken()
	if err != nil {
		return nil, grainError(err)
	}
	rec := persistence.Record{
		ID: g.id, Title: title, UserID: req.GetCaller().GetUserId(), Type: def.Type(), AccessToken: token,
		Config: config, State: state, Active: req.GetActive(), CreatedAt: now, UpdatedAt: now,
	}
	saved, err := g.save(rec, 0)
	if err != nil {
		return nil, grainError(err)
	}
	g.log.Info("widget created", zap.String("type", saved.Type), zap.String("user_id", saved.UserID))
	return g.reply(saved, req.GetCaller())
}

func (g *widgetGrain) Get(req *widgetpb.GetRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	g.lastUsed = time.Now()
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	rec, err := g.authorize(req.GetCaller(), false)
	if err != nil {
		return nil, grainError(err)
	}
	return g.reply(rec, req.GetCaller())
}

func (g *widgetGrain) Update(req *widgetpb.UpdateRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	g.lastUsed = time.Now()
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	saved, err := g.mutate(req.GetCaller(), func(rec persistence.Record, def kinds.Definition, now time.Time) (persistence.Record, error) {
		if v := req.GetExpectedVersion(); v != 0 && v != rec.Version {
			return rec, &Error{Code: CodeConflict, Message: "the widget changed since you read it (version " + strconv.FormatInt(rec.Version, 10) + "); reload and try again"}
		}
		if req.GetHasTitle() {
			title, err := cleanTitle(req.GetTitle(), "")
			if err != nil {
				return rec, err
			}
			rec.Title = title
		}
		if req.GetHasActive() {
			rec.Active = req.GetActive()
		}
		if len(req.GetConfigJson()) > 0 {
			config, err := def.MergeConfig(rec.Config, req.GetConfigJson())
			if err != nil {
				return rec, err
			}
			state, err := def.Reconfigure(rec.Config, config, rec.State, now)
			if err != nil {
				return rec, err
			}
			rec.Config, rec.State = config, state
		}
		return rec, nil
	})
	if err != nil {
		return nil, grainError(err)
	}
	return g.reply(saved, req.GetCaller())
}

func (g *widgetGrain) RegenerateToken(req *widgetpb.RegenerateTokenRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	g.lastUsed = time.Now()
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	saved, err := g.mutate(req.GetCaller(), func(rec persistence.Record, _ kinds.Definition, _ time.Time) (persistence.Record, error) {
		token, err := g.deps.NewToken()
		rec.AccessToken = token
		return rec, err
	})
	if err != nil {
		return nil, grainError(err)
	}
	g.log.Info("widget token regenerated")
	return g.reply(saved, req.GetCaller())
}

func (g *widgetGrain) Act(req *widgetpb.ActionRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	g.lastUsed = time.Now()
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	action := kinds.Action{Name: req.GetAction(), Payload: req.GetPayloadJson()}
	if !g.actions.Allow() {
		return nil, grainError(&Error{Code: CodeRateLimited, Message: "too many actions on this widget; slow down"})
	}
	saved, err := g.mutate(req.GetCaller(), func(rec persistence.Record, def kinds.Definition, now time.Time) (persistence.Record, error) {
		state, err := def.Apply(rec.Config, rec.State, action, now)
		rec.State = state
		return rec, err
	})
	if err != nil {
		return nil, grainError(err)
	}
	return g.reply(saved, req.GetCaller())
}

func (g *widgetGrain) Delete(req *widgetpb.DeleteRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	g.lastUsed = time.Now()
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	rec, err := g.authorize(req.GetCaller(), true)
	if err != nil {
		return nil, grainError(err)
	}
	err = g.withStore(func(c context.Context) error { return g.deps.Store.Delete(c, g.id, rec.Version) })
	if errors.Is(err, persistence.ErrConflict) {
		// Someone else wrote first: reload and let the caller decide again.
		_ = g.load()
		return nil, grainError(&Error{Code: CodeConflict, Message: "the widget changed meanwhile; try again"})
	}
	if err != nil {
		return nil, grainError(storeError(err))
	}
	g.rec = nil
	g.stopTicking()
	g.publishDeleted(rec)
	g.log.Info("widget deleted")
	g.stop()
	return g.reply(rec, req.GetCaller())
}

// mutate applies change to the current record and persists it with a version
// check. On a conflict (another activation wrote first) it reloads and tries
// once more, so no acknowledged write is lost and none is silently overwritten.
func (g *widgetGrain) mutate(caller *widgetpb.Caller, change func(persistence.Record, kinds.Definition, time.Time) (persistence.Record, error)) (persistence.Record, error) {
	for attempt := 0; ; attempt++ {
		rec, err := g.authorize(caller, true)
		if err != nil {
			return rec, err
		}
		def, ok := g.deps.Kinds.Lookup(rec.Type)
		if !ok {
			return rec, &Error{Code: CodeInternal, Message: "this node does not serve widget type " + quote(rec.Type)}
		}
		now := g.now()
		next, err := change(rec, def, now)
		if err != nil {
			return rec, err
		}
		if sameContent(rec, next) {
			return rec, nil // nothing changed: no write, no new version, no broadcast
		}
		next.UpdatedAt = now
		saved, err := g.save(next, rec.Version)
		if errors.Is(err, ErrConflict) && attempt == 0 {
			continue // save reloaded the record: apply the change to it once more
		}
		return saved, err
	}
}

// sameContent reports whether a change left everything a client sees as it was.
func sameContent(a, b persistence.Record) bool {
	return a.Title == b.Title && a.Active == b.Active && a.AccessToken == b.AccessToken &&
		bytes.Equal(a.Config, b.Config) && bytes.Equal(a.State, b.State)
}

// authorize loads the record, settles time-driven transitions and checks the
// caller. A foreign widget is indistinguishable from a missing one.
func (g *widgetGrain) authorize(caller *widgetpb.Caller, write bool) (persistence.Record, error) {
	if err := g.ensureLoaded(); err != nil {
		return persistence.Record{}, err
	}
	if g.rec == nil {
		return persistence.Record{}, notFound()
	}
	switch {
	case caller.GetUserId() != "" && caller.GetUserId() == g.rec.UserID:
	case caller.GetUserId() == "" && caller.GetTokenHash() != "" && g.rec.AccessToken != "" &&
		subtle.ConstantTimeCompare([]byte(caller.GetTokenHash()), []byte(persistence.TokenHash(g.rec.AccessToken))) == 1:
		if write {
			return persistence.Record{}, &Error{Code: CodeForbidden, Message: "a widget token is read-only"}
		}
	default:
		return persistence.Record{}, notFound()
	}
	if err := g.settle(); err != nil {
		return persistence.Record{}, err
	}
	return *g.rec, nil
}

// settle persists transitions that time alone caused (a countdown reaching zero).
func (g *widgetGrain) settle() error {
	def, ok := g.deps.Kinds.Lookup(g.rec.Type)
	if !ok {
		return nil
	}
	now := g.now()
	state, changed, err := def.Settle(g.rec.Config, g.rec.State, now)
	if err != nil || !changed {
		return err
	}
	next := *g.rec
	next.State, next.UpdatedAt = state, now
	_, err = g.save(next, g.rec.Version)
	if errors.Is(err, ErrConflict) {
		return g.load()
	}
	return err
}

func (g *widgetGrain) onTick() {
	if g.rec == nil {
		g.stopTicking()
		return
	}
	if err := g.settle(); err != nil {
		g.log.Warn("timer settle failed; retrying next tick", zap.Error(err))
	}
	g.syncTicker()
	if g.rec != nil && g.running() {
		g.publishState() // a running timer's tick: viewers re-sync to the server clock
	}
}

func (g *widgetGrain) running() bool {
	def, ok := g.deps.Kinds.Lookup(g.rec.Type)
	return ok && def.Running(g.rec.State)
}

// syncTicker runs the tick timer exactly while the state changes with time.
func (g *widgetGrain) syncTicker() {
	switch {
	case g.rec != nil && g.running() && g.stopTick == nil:
		every := g.deps.TickInterval
		g.stopTick = g.timers.SendRepeatedly(every, every, g.ctx.Self(), tick{})
	case (g.rec == nil || !g.running()) && g.stopTick != nil:
		g.stopTicking()
	}
}

func (g *widgetGrain) stopTicking() {
	if g.stopTick != nil {
		g.stopTick()
		g.stopTick = nil
	}
}

// checkTarget refuses a request meant for another widget. That happens only
// if an identity was corrupted on the way (a transport buffer reaching the
// cluster did exactly this once): a grain must never act under a wrong name,
// so it refuses, says so loudly and stops, and the next call re-activates.
func (g *widgetGrain) checkTarget(want string) error {
	if want == g.id && want == g.ctx.Identity() {
		return nil
	}
	g.log.Error("refused a request for another widget: grain identity mismatch",
		zap.String("request_widget_id", want), zap.String("identity_now", g.ctx.Identity()))
	g.stop()
	return grainError(&Error{Code: CodeUnavailable, Message: "widget routing error; nothing was changed, try again"})
}

// forgetIfMissing stops a grain whose widget does not exist once it has
// answered: a request for an unknown id must cost nothing that lasts.
func (g *widgetGrain) forgetIfMissing() {
	if g.loaded && g.rec == nil && len(g.subs) == 0 {
		g.stop()
	}
}

// stop passivates the grain after the messages already queued.
func (g *widgetGrain) stop() {
	if !g.stopping {
		g.stopping = true
		g.ctx.Poison(g.ctx.Self())
	}
}

func (g *widgetGrain) now() time.Time { return g.deps.Clock().UTC() }

func (g *widgetGrain) reply(rec persistence.Record, caller *widgetpb.Caller) (*widgetpb.WidgetReply, error) {
	if caller.GetUserId() == "" {
		rec.AccessToken = "" // a read-only session never learns the token
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, grainError(err)
	}
	return &widgetpb.WidgetReply{RecordJson: data}, nil
}

// cleanTitle trims a title and refuses control characters and overlong ones.
func cleanTitle(title, fallback string) (string, error) {
	title = strings.TrimSpace(title)
	if title == "" {
		title = fallback
	}
	if title == "" {
		return "", &Error{Code: CodeInvalidField, Message: "title must not be empty"}
	}
	if len([]rune(title)) > 200 {
		return "", &Error{Code: CodeInvalidField, Message: "title must be at most 200 characters"}
	}
	if strings.IndexFunc(title, unicode.IsControl) >= 0 {
		return "", &Error{Code: CodeInvalidField, Message: "title must not contain control characters"}
	}
	return title, nil
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}
