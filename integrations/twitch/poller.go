package twitch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
)

// pollJob is one Helix poll: what it reads and which widgets read it.
type pollJob struct {
	widgetType string
	every      time.Duration
	fetch      func(ctx context.Context) ([]integrations.Action, error)
}

// poller runs one job per account, however many widgets read it: one call
// per interval, delivered to every widget of its type, and only when the
// answer changed (or a widget appeared). It waits out rate limits.
type poller struct {
	s       *shared
	job     pollJob
	log     *zap.Logger
	timers  *supervise.Timers
	last    string
	lastRun time.Time
	fails   int
}

type pollTick struct{}

func (pollTick) NotInfluenceReceiveTimeout() {}

func newPoller(s *shared, job pollJob, log *zap.Logger) *poller {
	return &poller{s: s, job: job, log: log}
}

func (p *poller) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		p.timers = supervise.NewTimers(ctx)
		// Spread the first polls of many accounts starting together.
		p.timers.After("poll", time.Duration(rand.Int64N(int64(time.Second))), pollTick{})
	case *actor.Stopping, *actor.Restarting:
		p.timers.StopAll()
	case pollTick:
		p.poll(ctx)
	case supervise.Poked:
		if since := time.Since(p.lastRun); since < 2*time.Second {
			p.timers.After("poll", 2*time.Second-since, pollTick{})
			return
		}
		p.poll(ctx)
	}
}

func (p *poller) poll(ctx actor.Context) {
	p.lastRun = time.Now()
	c, cancel := context.WithTimeout(context.Background(), p.s.iv.CallTimeout)
	defer cancel()
	ids, err := p.s.Sink.Widgets(c, p.s.Owner, p.job.widgetType)
	if err != nil {
		p.fail(ctx, fmt.Errorf("cannot list the %s widgets: %w", p.job.widgetType, err))
		return
	}
	if len(ids) == 0 {
		p.last = ""
		supervise.Tell(ctx, &supervise.Report{State: integrations.StateConnected, Detail: "idle: no active " + p.job.widgetType + " widget"})
		p.timers.After("poll", p.job.every, pollTick{})
		return
	}
	acts, err := p.job.fetch(c)
	var rl *RateLimitedError
	switch {
	case errors.As(err, &rl):
		p.log.Warn("rate limited by Twitch; waiting for the reset", zap.Time("until", rl.Until))
		supervise.Tell(ctx, &supervise.Report{State: integrations.StateRateLimited, Detail: "waiting for Twitch's rate limit to reset",
			Err: err.Error(), RetryAt: rl.Until})
		p.timers.After("poll", time.Until(rl.Until)+100*time.Millisecond, pollTick{})
		return
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrNoToken):
		supervise.Tell(ctx, &supervise.Report{State: integrations.StateTokenExpired, Err: err.Error()})
		p.timers.After("poll", min(p.job.every, 30*time.Second), pollTick{})
		return
	case err != nil:
		p.fail(ctx, err)
		return
	}
	p.fails = 0
	b, _ := json.Marshal(acts)
	key := string(b) + "|" + strings.Join(ids, ",")
	if key != p.last {
		ok := true
		for _, a := range acts {
			dctx, dcancel := context.WithTimeout(context.Background(), p.s.iv.DeliveryTimeout)
			if err := p.s.Sink.Deliver(dctx, p.s.Owner, a); err != nil {
				ok = false
				p.log.Warn("poll result did not reach every widget; sending again next time", zap.Error(err))
			}
			dcancel()
		}
		if ok {
			p.last = key
		}
	}
	supervise.Tell(ctx, &supervise.Report{State: integrations.StateConnected, Detail: "updated " + time.Now().UTC().Format(time.RFC3339)})
	p.timers.After("poll", p.job.every, pollTick{})
}

func (p *poller) fail(ctx actor.Context, err error) {
	p.fails++
	wait := min(p.job.every, Backoff(p.fails))
	p.log.Warn("poll failed; retrying", zap.Error(err), zap.Duration("in", wait))
	supervise.Tell(ctx, &supervise.Report{State: integrations.StateConnecting, Err: err.Error(), RetryAt: time.Now().Add(wait)})
	p.timers.After("poll", wait, pollTick{})
}

func followersJob(s *shared) pollJob {
	return pollJob{widgetType: "stats", every: s.iv.Followers, fetch: func(ctx context.Context) ([]integrations.Action, error) {
		n, err := s.helix.FollowersTotal(ctx, s.Broadcaster)
		if err != nil {
			return nil, err
		}
		return []integrations.Action{integrations.NewAction("stats", "set", map[string]any{"followers": n})}, nil
	}}
}

func streamJob(s *shared) pollJob {
	return pollJob{widgetType: "stats", every: s.iv.Stream, fetch: func(ctx context.Context) ([]integrations.Action, error) {
		st, err := s.helix.Stream(ctx, s.Broadcaster)
		if err != nil {
			return nil, err
		}
		if s.live.contradicts(st.Live, time.Now(), s.iv.HelixLag) {
			return nil, nil // Helix has not caught up with EventSub yet
		}
		p := map[string]any{"live": st.Live, "viewers": st.Viewers}
		if st.Live {
			p["started_at"] = st.StartedAt.UTC().Format(time.RFC3339)
		}
		return []integrations.Action{integrations.NewAction("stats", "set", p)}, nil
	}}
}

func scheduleJob(s *shared) pollJob {
	return pollJob{widgetType: "schedule", every: s.iv.Schedule, fetch: func(ctx context.Context) ([]integrations.Action, error) {
		segs, err := s.helix.Schedule(ctx, s.Broadcaster)
		if err != nil {
			return nil, err
		}
		out := make([]map[string]any, 0, len(segs))
		for _, sg := range segs {
			m := map[string]any{"id": sg.ID, "title": sg.Title, "start": sg.Start.UTC().Format(time.RFC3339)}
			if sg.End != nil {
				m["end"] = sg.End.UTC().Format(time.RFC3339)
			}
			if sg.Category != "" {
				m["category"] = sg.Category
			}
			out = append(out, m)
		}
		return []integrations.Action{integrations.NewAction("schedule", "set_schedule", map[string]any{"segments": out})}, nil
	}}
}
