package nowplaying

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
)

// WidgetType is the widget kind the pollers feed.
const WidgetType = "now_playing"

// Poll says how often a source is asked. Zero values are defaults.
type Poll struct {
	// Min and Max bound the wait between polls; each wait is random in
	// between, so many streamers' polls never line up. Defaults 15s and 30s.
	Min, Max time.Duration
	// CallTimeout bounds one call. Default 10s.
	CallTimeout time.Duration
}

func (p Poll) withDefaults() Poll {
	if p.Min <= 0 {
		p.Min = 15 * time.Second
	}
	if p.Max < p.Min {
		p.Max = max(p.Min, 30*time.Second)
	}
	if p.CallTimeout <= 0 {
		p.CallTimeout = 10 * time.Second
	}
	return p
}

// Part returns the supervised poller of src for owner's widgets.
func Part(name string, src Source, owner string, sink integrations.Sink, poll Poll, log *zap.Logger) supervise.Child {
	if log == nil {
		log = zap.NewNop()
	}
	poll = poll.withDefaults()
	return supervise.Child{Name: name, Props: actor.PropsFromProducer(func() actor.Actor {
		return &poller{src: src, owner: owner, sink: sink, poll: poll, log: log.Named(name)}
	})}
}

// poller asks its source every Min-Max (jittered) while the owner has a
// now-playing widget, sets the track only when it changed, clears it when
// the source says nothing plays, and keeps the last known track when the
// source fails or cannot tell.
type poller struct {
	src     Source
	owner   string
	sink    integrations.Sink
	poll    Poll
	log     *zap.Logger
	timers  *supervise.Timers
	lastKey string
	lastIDs string
	track   *Track
}

type pollTick struct{}

func (pollTick) NotInfluenceReceiveTimeout() {}

func (p *poller) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		p.timers = supervise.NewTimers(ctx)
		p.timers.After("poll", time.Duration(rand.Int64N(int64(time.Second))), pollTick{})
	case *actor.Stopping, *actor.Restarting:
		p.timers.StopAll()
	case pollTick, supervise.Poked:
		p.tick(ctx)
	}
}

func (p *poller) next() time.Duration {
	return p.poll.Min + time.Duration(rand.Int64N(int64(p.poll.Max-p.poll.Min)+1))
}

func (p *poller) tick(ctx actor.Context) {
	c, cancel := context.WithTimeout(context.Background(), p.poll.CallTimeout)
	defer cancel()
	ids, err := p.sink.Widgets(c, p.owner, WidgetType)
	if err != nil {
		p.report(ctx, integrations.StateConnecting, "", "cannot list the now-playing widgets: "+err.Error(), time.Time{})
		p.timers.After("poll", p.next(), pollTick{})
		return
	}
	if len(ids) == 0 {
		p.lastIDs = ""
		p.report(ctx, integrations.StateConnected, "idle: no active now-playing widget", "", time.Time{})
		p.timers.After("poll", p.next(), pollTick{})
		return
	}
	if idKey := strings.Join(ids, ","); idKey != p.lastIDs {
		p.lastIDs, p.lastKey = idKey, "" // a new widget gets the current track at once
	}
	t, idle, err := p.src.Current(c)
	var ra *RetryAfterError
	switch {
	case errors.As(err, &ra):
		p.report(ctx, integrations.StateRateLimited, "keeping the last known track", err.Error(), time.Now().Add(ra.Wait))
		p.timers.After("poll", max(ra.Wait, p.poll.Min), pollTick{})
		return
	case errors.Is(err, ErrRevoked):
		p.report(ctx, integrations.StateRevoked, "", err.Error(), time.Time{})
		p.timers.After("poll", 5*p.poll.Max, pollTick{})
		return
	case err != nil:
		p.log.Warn("now playing unavailable; keeping the last known track", zap.String("source", p.src.Name()), zap.Error(err))
		p.report(ctx, integrations.StateConnecting, "keeping the last known track", err.Error(), time.Time{})
		p.timers.After("poll", p.next(), pollTick{})
		return
	}
	switch {
	case t != nil && t.Key() != p.lastKey:
		payload := map[string]any{"title": t.Title, "artist": t.Artist, "source": p.src.Name()}
		if t.Album != "" {
			payload["album"] = t.Album
		}
		if t.ArtURL != "" {
			payload["art_url"] = t.ArtURL
		}
		if t.DurationMS > 0 {
			payload["duration_ms"] = t.DurationMS
		}
		if p.deliver(c, integrations.NewAction(WidgetType, "set_track", payload)) {
			p.lastKey, p.track = t.Key(), t
		}
	case t == nil && idle && p.lastKey != "idle":
		if p.deliver(c, integrations.NewAction(WidgetType, "clear", map[string]any{})) {
			p.lastKey, p.track = "idle", nil
		}
	}
	detail := "nothing playing"
	if p.track != nil {
		detail = "playing " + p.track.Title + " by " + p.track.Artist
	}
	p.report(ctx, integrations.StateConnected, detail, "", time.Time{})
	p.timers.After("poll", p.next(), pollTick{})
}

func (p *poller) deliver(c context.Context, a integrations.Action) bool {
	a.Event = p.src.Name()
	if err := p.sink.Deliver(c, p.owner, a); err != nil {
		p.log.Warn("now playing did not reach every widget; sending again next time", zap.Error(err))
		return false
	}
	return true
}

func (p *poller) report(ctx actor.Context, st integrations.State, detail, errText string, retry time.Time) {
	supervise.Tell(ctx, &supervise.Report{State: st, Detail: p.src.Name() + ": " + detail, Err: errText, RetryAt: retry})
}
