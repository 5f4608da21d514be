package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/scheduler"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// NewWidgetKind returns the cluster kind of widget grains on system. The
// generated receive timeout is off (0): it would passivate a grain whose
// timer runs; the grain passivates itself instead (see idleCheck).
func NewWidgetKind(system *actor.ActorSystem) *cluster.Kind {
	return widgetpb.NewWidgetKind(func() widgetpb.Widget { return &widgetGrain{} }, 0,
		actor.WithReceiverMiddleware(forwardTerminated), actor.WithMailbox(widgetMailbox(system)))
}

// widgetMailbox is stopGuardedMailbox on protoactor's lock-free queue: an
// idle grain's queue is one empty node instead of a ten-slot ring and its
// lock (~200 bytes less per grain; a node per queued message instead).
func widgetMailbox(system *actor.ActorSystem) actor.MailboxProducer {
	return func() actor.Mailbox {
		return actor.UnboundedLockfree(&stopGuard{system: system})()
	}
}

// widgetGrain alone owns one widget: its record, config, state and timers.
// Every change is applied here and persisted (versioned) before it is
// acknowledged; nothing else writes the record.
//
// A node holds many of these (issue 14: ≤ 2 KiB each, protoactor's share
// included), so what most grains never use is made on first use: the
// subscriber maps, the action budgets, the timer scheduler, the logger.
type widgetGrain struct {
	deps     *Deps
	id       string
	rec      *persistence.Record // nil: no widget with this id
	ctx      cluster.GrainContext
	idleFor  time.Duration
	lastUsed int64                     // monoNow of the last call (see checkTarget, onIdle)
	timers   *scheduler.TimerScheduler // see sched
	stopTick scheduler.CancelFunc
	stopWake scheduler.CancelFunc
	wakeAt   time.Time

	subs        map[string]subscriber // key: pidKey; nil until the first subscribe
	members     map[string]int        // member address -> subscribers there
	viewVersion int64                 // the version viewState was made from (see viewOf)
	viewState   json.RawMessage       // the kind's view of a state that does not tick
	stepped     *kinds.Step           // the action's outcome for save (see mutate)
	actions     []actionBudget        // per action name, made on first use (see allowAction)
	broadcasts  budget                // state broadcasts (see publishState)

	loaded         bool
	stopping       bool // a stop is queued (see forgetIfMissing, checkTarget)
	statePending   bool
	flushScheduled bool
	viewersDirty   bool
}

// idleCheck comes from the node's idle wheel (widget_idle.go), tick from
// the grain's own tick timer.
type idleCheck struct{}
type tick struct{}

var _ widgetpb.Widget = (*widgetGrain)(nil)

func (g *widgetGrain) Init(ctx cluster.GrainContext) {
	g.deps = depsOf(ctx.ActorSystem())
	g.id = strings.Clone(ctx.Identity())
	g.ctx = ctx
	g.deps.Metrics.Activated()
	// Idle grains passivate after idleFor without a call (see onIdle),
	// checked by the node's idle wheel, not a timer per grain. The jitter
	// spreads the passivations of grains activated together (a reconnect
	// storm).
	jitter := time.Duration(rand.Int64N(int64(g.deps.IdleTimeout)/5 + 1))
	g.idleFor = g.deps.IdleTimeout + jitter
	g.lastUsed = monoNow()
	idleWheelOf(ctx.ActorSystem(), g.deps.IdleTimeout).after(ctx.Self(), g.idleFor)
	if err := g.load(); err != nil {
		g.logger().Warn("load on activation failed; will retry on next call", zap.Error(err))
	}
}

// sched is the grain's timer scheduler, made on first use.
func (g *widgetGrain) sched() *scheduler.TimerScheduler {
	if g.timers == nil {
		g.timers = scheduler.NewTimerScheduler(g.ctx)
	}
	return g.timers
}

// logger is the grain's logger, made when something is logged: a zap
// child logger with a field keeps its own encoder and buffer, a kilobyte
// per grain for lines most grains never write.
func (g *widgetGrain) logger() *zap.Logger {
	return g.deps.Logger.Named("widget").With(zap.String("widget_id", g.id))
}

// debugOn says whether debug lines are written (build no logger otherwise).
func (g *widgetGrain) debugOn() bool { return g.deps.Logger.Core().Enabled(zap.DebugLevel) }

func (g *widgetGrain) Terminate(cluster.GrainContext) {
	g.deps.Metrics.Passivated(len(g.subs))
	g.stopTicking()
}

// onIdle runs when the idle wheel asks: the grain passivates once no call
// reached it for idleFor, unless viewers are subscribed or its state waits
// for time; else it asks to be asked again.
func (g *widgetGrain) onIdle() {
	wheel := idleWheelOf(g.ctx.ActorSystem(), g.deps.IdleTimeout)
	if unused := time.Duration(monoNow() - g.lastUsed); unused < g.idleFor {
		wheel.after(g.ctx.Self(), g.idleFor-unused)
		return
	}
	if len(g.subs) > 0 || (g.rec != nil && g.timed()) {
		wheel.after(g.ctx.Self(), g.idleFor)
		return
	}
	g.stop()
}

func (g *widgetGrain) ReceiveDefault(ctx cluster.GrainContext) {
	switch msg := ctx.Message().(type) {
	case idleCheck:
		g.onIdle()
	case tick:
		g.onTick()
	case wake:
		g.onWake(msg)
	case flushViewers:
		g.flushViewers()
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
	config, err := def.MergeConfig(nil, defaultConfigTitle(def, req.GetConfigJson(), strings.TrimSpace(req.GetTitle())))
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
	saved, err := g.save(rec, 0, nil)
	if err != nil {
		return nil, grainError(err)
	}
	g.logger().Info("widget created", zap.String("type", saved.Type), zap.String("user_id", saved.UserID))
	return g.reply(saved, req.GetCaller())
}

func (g *widgetGrain) Get(req *widgetpb.GetRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	rec, _, err := g.authorize(req.GetCaller(), accessRead)
	if err != nil {
		return nil, grainError(err)
	}
	return g.reply(rec, req.GetCaller())
}

func (g *widgetGrain) Update(req *widgetpb.UpdateRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	saved, err := g.mutate(req.GetCaller(), accessManage, func(rec persistence.Record, def kinds.Definition, now time.Time, _ kinds.By) (persistence.Record, []kinds.Event, error) {
		rec, err := g.update(req, rec, def, now)
		return rec, nil, err
	})
	if err != nil {
		return nil, grainError(err)
	}
	return g.reply(saved, req.GetCaller())
}

func (g *widgetGrain) update(req *widgetpb.UpdateRequest, rec persistence.Record, def kinds.Definition, now time.Time) (persistence.Record, error) {
	{
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
	}
}

func (g *widgetGrain) RegenerateToken(req *widgetpb.RegenerateTokenRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	saved, err := g.mutate(req.GetCaller(), accessManage, func(rec persistence.Record, _ kinds.Definition, _ time.Time, _ kinds.By) (persistence.Record, []kinds.Event, error) {
		token, err := g.deps.NewToken()
		rec.AccessToken = token
		return rec, nil, err
	})
	if err != nil {
		return nil, grainError(err)
	}
	g.logger().Info("widget token regenerated")
	return g.reply(saved, req.GetCaller())
}

func (g *widgetGrain) Act(req *widgetpb.ActionRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	name := strings.TrimSpace(req.GetAction())
	saved, err := g.mutate(req.GetCaller(), accessAct, func(rec persistence.Record, def kinds.Definition, now time.Time, by kinds.By) (persistence.Record, []kinds.Event, error) {
		spec, known := def.Spec(name)
		if err := actionAllowed(spec, known, by); err != nil {
			return rec, nil, err
		}
		if !rec.Active {
			return rec, nil, &Error{Code: CodeInactive, Message: "this widget is inactive; activate it to run actions"}
		}
		if err := g.allowAction(name, spec); err != nil {
			return rec, nil, err
		}
		step, err := def.Step(rec.Config, rec.State, kinds.Action{Name: name, Payload: req.GetPayloadJson(), By: by}, now)
		if err != nil {
			return rec, nil, err
		}
		if by.Role != kinds.RoleOwner && by.Role != kinds.RoleViewer && g.debugOn() {
			g.logger().Debug("action on the owner's behalf", zap.String("action", name), zap.String("by", string(by.Role)), zap.String("service", by.Service))
		}
		rec.State = step.State
		g.stepped = &step
		return rec, step.Events, nil
	})
	if err != nil {
		return nil, grainError(err)
	}
	return g.reply(saved, req.GetCaller())
}

func (g *widgetGrain) Delete(req *widgetpb.DeleteRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	rec, _, err := g.authorize(req.GetCaller(), accessManage)
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
	g.syncTicker()
	g.publishDeleted(rec)
	g.logger().Info("widget deleted")
	g.stop()
	return g.reply(rec, req.GetCaller())
}

// mutate applies change to the current record and persists it with a version
// check. On a conflict (another activation wrote first) it reloads and tries
// once more, so no acknowledged write is lost and none is silently overwritten.
// The change also returns the kind's events, published after the new state.
func (g *widgetGrain) mutate(caller *widgetpb.Caller, acc access, change func(persistence.Record, kinds.Definition, time.Time, kinds.By) (persistence.Record, []kinds.Event, error)) (persistence.Record, error) {
	for attempt := 0; ; attempt++ {
		rec, by, err := g.authorize(caller, acc)
		if err != nil {
			return rec, err
		}
		def, ok := g.deps.Kinds.Lookup(rec.Type)
		if !ok {
			return rec, &Error{Code: CodeInternal, Message: "this node does not serve widget type " + quote(rec.Type)}
		}
		now := g.now()
		g.stepped = nil
		next, events, err := change(rec, def, now, by)
		step := g.stepped
		g.stepped = nil
		if err != nil {
			return rec, err
		}
		if sameContent(rec, next) {
			g.publishEvents(rec, events, by)
			return rec, nil // nothing changed: no write, no new version, no broadcast
		}
		next.UpdatedAt = now
		saved, err := g.save(next, rec.Version, step)
		if errors.Is(err, ErrConflict) && attempt == 0 {
			continue // save reloaded the record: apply the change to it once more
		}
		if err == nil {
			g.publishEvents(saved, events, by)
		}
		return saved, err
	}
}

// sameContent reports whether a change left everything a client sees as it was.
func sameContent(a, b persistence.Record) bool {
	return a.Title == b.Title && a.Active == b.Active && a.AccessToken == b.AccessToken &&
		a.ControlTokenHash == b.ControlTokenHash && bytes.Equal(a.Config, b.Config) && bytes.Equal(a.State, b.State)
}

// authorize loads the record, settles time-driven transitions and checks the
// caller for acc. A foreign widget is indistinguishable from a missing one.
func (g *widgetGrain) authorize(caller *widgetpb.Caller, acc access) (persistence.Record, kinds.By, error) {
	if err := g.ensureLoaded(); err != nil {
		return persistence.Record{}, kinds.By{}, err
	}
	if g.rec == nil {
		return persistence.Record{}, kinds.By{}, notFound()
	}
	by, ok := roleOf(caller, g.rec)
	if !ok {
		return persistence.Record{}, kinds.By{}, notFound()
	}
	if err := allowedTo(by, acc); err != nil {
		return persistence.Record{}, by, err
	}
	if err := g.settle(); err != nil {
		if !settleRefused(err) {
			return persistence.Record{}, by, err
		}
		// A transition time caused that can never be stored (the state
		// outgrew a store item) or read: the caller still reaches the widget
		// as stored, so its owner can fix, reset or delete it.
		g.logger().Debug("settle refused; serving the stored state", zap.Error(err))
	}
	return *g.rec, by, nil
}

// allowAction spends one token of the action's per-widget budget: its
// spec's Rate (a poll's votes, chat lines) or the node's default for
// actions people press. Names the kind lacks share one budget (key ""),
// so invented names neither escape the limit nor grow the map.
func (g *widgetGrain) allowAction(name string, spec kinds.ActionSpec) error {
	perSecond, burst := spec.Rate.PerSecond, spec.Rate.Burst
	if perSecond <= 0 {
		perSecond, burst = g.deps.ActionsPerSecond, g.deps.ActionBurst
	}
	i := slices.IndexFunc(g.actions, func(a actionBudget) bool { return a.name == spec.Name })
	if i < 0 {
		g.actions = append(g.actions, actionBudget{name: spec.Name})
		i = len(g.actions) - 1
	}
	if !g.actions[i].allow(perSecond, burst) {
		return &Error{Code: CodeRateLimited, Message: "too many " + quote(name) + " actions on this widget; slow down"}
	}
	return nil
}

// checkTarget refuses a request meant for another widget. That happens only
// if an identity was corrupted on the way (a transport buffer reaching the
// cluster did exactly this once): a grain must never act under a wrong name,
// so it refuses, says so loudly and stops, and the next call re-activates.
func (g *widgetGrain) checkTarget(want string) error {
	g.lastUsed = monoNow() // every call starts here
	if want == g.id && want == g.ctx.Identity() {
		return nil
	}
	g.logger().Error("refused a request for another widget: grain identity mismatch",
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
	if caller.GetUserId() == "" || caller.GetService() != "" {
		rec.AccessToken = "" // only the owner's own sessions learn the token
	}
	rec.HasControlToken, rec.ControlTokenHash = rec.ControlTokenHash != "", ""
	data := persistence.AppendJSON(make([]byte, 0, len(rec.Config)+len(rec.State)+384), rec)
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
