package actors

import (
	"encoding/json"
	"time"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// broadcastBurst lets a short burst of state changes out at once; a steady
// stream at MaxBroadcastRate then passes with no added delay, because the
// budget is anchored to the schedule, not to when the last broadcast ran.
const broadcastBurst = 3

// viewersDelay gathers subscriber changes (a reconnect storm, a manager tab
// reloading) into one count push.
const viewersDelay = 200 * time.Millisecond

// flushViewers fires when a count push is due.
type flushViewers struct{}

// publishEvents sends a kind's events after the state they belong to: the
// pending state goes out first (ignoring the throttle), then each event.
// Events are never coalesced.
func (g *widgetGrain) publishEvents(rec persistence.Record, events []kinds.Event, by kinds.By) {
	if len(events) == 0 || len(g.subs) == 0 {
		return
	}
	if g.statePending {
		g.flushPending()
	}
	for _, e := range events {
		data, err := json.Marshal(e.Data)
		if err != nil {
			g.logger().Error("encode event data", zap.String("event", e.Name), zap.Error(err))
			continue
		}
		ev := g.event(widgetpb.WidgetEvent_EVENT, rec)
		ev.EventName, ev.DataJson = e.Name, data
		g.send(ev, nil)
	}
}

// viewersChanged schedules a count push to manager sessions.
func (g *widgetGrain) viewersChanged() {
	if g.viewersDirty {
		return
	}
	g.viewersDirty = true
	g.sched().SendOnce(viewersDelay, g.ctx.Self(), flushViewers{})
}

func (g *widgetGrain) flushViewers() {
	g.viewersDirty = false
	if g.rec == nil {
		return
	}
	var obs, managers int32
	for _, s := range g.subs {
		if s.tokenHash != "" {
			obs++
		} else {
			managers++
		}
	}
	if managers == 0 {
		return
	}
	ev := g.event(widgetpb.WidgetEvent_VIEWERS, *g.rec)
	ev.Obs, ev.Managers = obs, managers
	g.send(ev, func(s subscriber) bool { return s.tokenHash == "" })
}
