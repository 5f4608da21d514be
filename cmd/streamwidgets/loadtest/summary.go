package loadtest

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Summary is a run's figures.
type Summary struct {
	Config  Config
	Started time.Time
	// ConnectPhase is from the first connect until every socket was in (or
	// the wait gave up); ActionOffset is when actions began, from the same start.
	ConnectPhase, ActionOffset, ActionPhase time.Duration
	SocketsAtIdle                           int
	Settled                                 bool

	Sent, Acked, Failed, Skipped int64
	AckedPerSecond               float64
	Response, Update, Connect    Quantiles
	Deliveries                   int64
	DeliveriesPerSecond          float64
	// Version checks, over every subscriber. Coalesced: intermediate
	// versions a subscriber never saw because a newer state replaced them
	// (the server throttles state broadcasts; a slow socket keeps the
	// newest); not a loss. Lost: subscriptions still behind their widget's
	// last acknowledged version after the settle time. Duplicates and
	// OutOfOrder: updates repeating or going below the version applied.
	// InitialRepeats: an update carrying the very version the initial state
	// had (a subscribe racing an update). SkippedWhileAway: versions made
	// while a socket was reconnecting (its new initial state covers them).
	Coalesced, Duplicates, OutOfOrder, InitialRepeats, SkippedWhileAway int64
	Lost, NotConnected                                                  int
	Errors                                                              map[string]int64
	ErrorSamples                                                        map[string]string
	Closes                                                              map[int]int64
	Storm                                                               *StormResult
	Server                                                              ServerFigures
	CleanupError                                                        string
	// Missing (centrifuge target, which never coalesces): publications a
	// viewer skipped, i.e. lost.
	Missing int64

	before, afterCreate, afterConnect, actionEnd, end scrape
	actionStart                                       scrape
}

// Quantiles of one latency.
type Quantiles struct {
	N                  int64
	P50, P90, P99, Max time.Duration
}

// StormResult is the connection storm's outcome.
type StormResult struct {
	Sockets int
	AllBack bool
	Took    time.Duration
}

// ServerFigures come from the service's /metrics (zero: not exposed).
type ServerFigures struct {
	// CPUPerDelivery is server CPU time during the action phase divided by
	// the state updates the subscribers received.
	CPUPerDelivery time.Duration
	CPUPercent     float64 // average over the action phase, of one core
	// Per idle subscribed socket (connect phase): resident memory, live
	// heap (as of the last GC) and goroutines.
	RSSPerSocket, HeapPerSocket, GoroutinesPerSocket float64
	// Per active widget grain (widget creation).
	HeapPerGrain, RSSPerGrain float64
	RSSEnd, HeapEnd           float64
	GrainsActive              float64
	// During the action phase: state broadcasts the grains' throttle
	// coalesced, queued updates sockets coalesced, slow-consumer closes, the
	// deepest outbound queue seen, and the mean store call.
	GrainCoalesced, SocketCoalesced, SlowConsumerCloses, MaxQueue float64
	StoreMean                                                     time.Duration
}

func (r *run) summarize(sum *Summary) {
	q := func(h *hist) Quantiles {
		v, m := h.quantiles(0.5, 0.9, 0.99)
		return Quantiles{N: h.n.Load(), P50: v[0], P90: v[1], P99: v[2], Max: m}
	}
	sum.Response, sum.Update, sum.Connect = q(&r.responses), q(&r.updates), q(&r.connects)
	sum.Sent, sum.Acked, sum.Skipped = r.sent.Load(), r.acked.Load(), r.skipped.Load()
	for i := range r.ser.secs {
		sum.Failed += r.ser.secs[i].failed.Load()
	}
	secs := sum.ActionPhase.Seconds()
	sum.AckedPerSecond = float64(sum.Acked) / secs
	sum.Deliveries = r.deliveries.Load()
	sum.DeliveriesPerSecond = float64(sum.Deliveries) / secs
	sum.Coalesced, sum.Duplicates, sum.OutOfOrder = r.coalesced.Load(), r.duplicates.Load(), r.outOfOrder.Load()
	sum.InitialRepeats, sum.SkippedWhileAway = r.initialRepeats.Load(), r.skippedAway.Load()
	sum.Missing = r.missing.Load()
	r.mu.Lock()
	sum.Errors, sum.ErrorSamples, sum.Closes = r.errs, r.errSample, r.closes
	r.mu.Unlock()

	srv := &sum.Server
	delta := func(a, b scrape, name string) (float64, bool) {
		x, ok1 := a.get(name)
		y, ok2 := b.get(name)
		return y - x, ok1 && ok2
	}
	// The action phase's CPU, from the scrape right before it.
	r.mu.Lock()
	for _, s := range r.scrapes {
		if !s.at.After(r.actionStart()) {
			sum.actionStart = s
		}
	}
	r.mu.Unlock()
	if cpu, ok := delta(sum.actionStart, sum.actionEnd, mCPU); ok {
		wall := sum.actionEnd.at.Sub(sum.actionStart.at).Seconds()
		srv.CPUPercent = 100 * cpu / wall
		// Deliveries in the same window, from the server's count if it has one.
		del := float64(sum.Deliveries)
		if d, ok := delta(sum.actionStart, sum.actionEnd, mDeliveries); ok && d > 0 {
			del = d
		}
		if del > 0 {
			srv.CPUPerDelivery = time.Duration(cpu / del * float64(time.Second))
		}
	}
	if n := float64(sum.SocketsAtIdle); n >= 100 {
		if d, ok := delta(sum.afterCreate, sum.afterConnect, mRSS); ok {
			srv.RSSPerSocket = d / n
		}
		if d, ok := delta(sum.afterCreate, sum.afterConnect, mHeapLive); ok {
			srv.HeapPerSocket = d / n
		} else if d, ok := delta(sum.afterCreate, sum.afterConnect, mHeapInuse); ok {
			srv.HeapPerSocket = d / n
		}
		if d, ok := delta(sum.afterCreate, sum.afterConnect, mGoroutines); ok {
			srv.GoroutinesPerSocket = d / n
		}
	}
	if g, ok := delta(sum.before, sum.afterCreate, mGrains); ok && g >= 100 {
		if d, ok := delta(sum.before, sum.afterCreate, mHeapLive); ok {
			srv.HeapPerGrain = d / g
		}
		if d, ok := delta(sum.before, sum.afterCreate, mRSS); ok {
			srv.RSSPerGrain = d / g
		}
	}
	srv.GrainCoalesced, _ = delta(sum.actionStart, sum.end, mCoalescedG)
	srv.SocketCoalesced, _ = delta(sum.actionStart, sum.end, mCoalescedWS)
	srv.SlowConsumerCloses, _ = delta(sum.actionStart, sum.end, mSlowClosed)
	if calls, ok := delta(sum.actionStart, sum.actionEnd, mStorePuts); ok && calls > 0 {
		secs, _ := delta(sum.actionStart, sum.actionEnd, mStoreSum)
		srv.StoreMean = time.Duration(secs / calls * float64(time.Second))
	}
	r.mu.Lock()
	for _, s := range r.scrapes {
		if v, ok := s.get(mQueueMax); ok {
			srv.MaxQueue = max(srv.MaxQueue, v)
		}
	}
	r.mu.Unlock()
	srv.RSSEnd, _ = sum.end.get(mRSS)
	srv.HeapEnd, _ = sum.end.get(mHeapLive)
	srv.GrainsActive, _ = sum.afterConnect.get(mGrains)
}

// Passed reports whether the run kept every promise: nothing lost,
// duplicated or out of order, every socket connected.
func (s *Summary) Passed() bool {
	return s.Lost == 0 && s.Missing == 0 && s.Duplicates == 0 && s.OutOfOrder == 0 && s.NotConnected == 0
}

// WriteText prints the summary table.
func (s *Summary) WriteText(w io.Writer) {
	c := s.Config
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, f string, a ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(f, a...)) }
	lat := func(q Quantiles) string {
		if q.N == 0 {
			return "-"
		}
		return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (n=%d)", ms(q.P50), ms(q.P90), ms(q.P99), ms(q.Max), q.N)
	}
	if c.Target == TargetCentrifuge {
		// Same rows as streamwidgets': an action is a publication through the server API.
		row("scenario", "%s: channel %q, %d viewers, %.4g publications/s through /api/publish (the actions below), %s (ramp-up %s)",
			c.Profile, c.Channel, c.ViewersPerWidget, c.ActionRate, c.Duration, c.RampUp)
	} else {
		row("scenario", "%s: %d users × %d widgets, %d viewers/widget, %d managers/user, %.4g actions/s per widget, %s (ramp-up %s)",
			c.Profile, c.Users, c.WidgetsPerUser, c.ViewersPerWidget, c.ManagersPerUser, c.ActionRate, c.Duration, c.RampUp)
	}
	row("service", "%s at %s", c.Target, c.URL)
	row("sockets", "%d of %d connected at idle, %d not connected at the end; connect %s", s.SocketsAtIdle, c.sockets(), s.NotConnected, lat(s.Connect))
	row("actions", "%d sent, %d acknowledged (%.1f/s), %d refused, %d skipped (socket away)", s.Sent, s.Acked, s.AckedPerSecond, s.Failed, s.Skipped)
	row("action → response", "%s", lat(s.Response))
	row("action → state update", "%s", lat(s.Update))
	row("deliveries", "%d state updates received (%.0f/s)", s.Deliveries, s.DeliveriesPerSecond)
	if c.Target == TargetCentrifuge {
		row("versions", "lost %d, missing %d, duplicate %d, out of order %d  |  skipped while reconnecting %d (publications: none may be skipped)",
			s.Lost, s.Missing, s.Duplicates, s.OutOfOrder, s.SkippedWhileAway)
	} else {
		row("versions", "lost %d, duplicate %d, out of order %d  |  coalesced %d, repeats of the initial state %d, skipped while reconnecting %d",
			s.Lost, s.Duplicates, s.OutOfOrder, s.Coalesced, s.InitialRepeats, s.SkippedWhileAway)
	}
	row("errors", "%s", counts(s.Errors))
	row("unexpected closes", "%s", counts(s.Closes))
	if s.Storm != nil {
		row("connection storm", "%d sockets cut at once; all back: %v, in %s", s.Storm.Sockets, s.Storm.AllBack, s.Storm.Took.Round(time.Millisecond))
	}
	sv := s.Server
	if sv.CPUPercent > 0 {
		row("server CPU", "%.0f%% of a core during actions; %.1f µs per delivery", sv.CPUPercent, float64(sv.CPUPerDelivery)/1e3)
	}
	if _, ok := s.end.get(mDeliveries); ok && c.Target != TargetCentrifuge {
		row("server queues", "coalesced by the grain throttle %.0f, by slow sockets %.0f; slow-consumer closes %.0f; deepest queue %.0f frames; store call mean %s",
			sv.GrainCoalesced, sv.SocketCoalesced, sv.SlowConsumerCloses, sv.MaxQueue, ms(sv.StoreMean))
	}
	if sv.RSSPerSocket != 0 || sv.HeapPerSocket != 0 {
		row("server memory per socket", "%.1f KiB RSS, %.1f KiB live heap, %.2f goroutines (idle, subscribed)", sv.RSSPerSocket/1024, sv.HeapPerSocket/1024, sv.GoroutinesPerSocket)
	}
	if sv.HeapPerGrain != 0 {
		row("server memory per grain", "%.2f KiB live heap, %.2f KiB RSS", sv.HeapPerGrain/1024, sv.RSSPerGrain/1024)
	}
	if sv.RSSEnd > 0 && c.Target == TargetCentrifuge {
		row("server at the end", "%.0f MiB RSS, %.0f MiB live heap", sv.RSSEnd/(1<<20), sv.HeapEnd/(1<<20))
	} else if sv.RSSEnd > 0 {
		row("server at the end", "%.0f MiB RSS, %.0f MiB live heap, %.0f grains", sv.RSSEnd/(1<<20), sv.HeapEnd/(1<<20), sv.GrainsActive)
	}
	verdict := "PASS: nothing lost, duplicated or out of order"
	if !s.Passed() {
		verdict = "FAIL: see versions and sockets above"
	}
	row("result", "%s", verdict)
	if s.CleanupError != "" {
		row("cleanup", "%s", s.CleanupError)
	}
	_ = tw.Flush()
}

func counts[K int | string](m map[K]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%v: %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
