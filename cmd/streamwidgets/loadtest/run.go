package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// run is one scenario in progress.
type run struct {
	cfg         Config
	dialer      *dialer
	api         *rest
	users       []*user
	widgets     []*widget
	sessions    []*session
	dialSlots   chan struct{}
	ser         *series
	actionAt    atomic.Int64 // unix ns when actions began
	keepSamples bool
	stopping    atomic.Bool
	connected   atomic.Int64

	deliveries, sent, acked, skipped                               atomic.Int64
	coalesced, duplicates, initialRepeats, outOfOrder, skippedAway atomic.Int64
	missing                                                        atomic.Int64 // centrifuge target: gaps (it never coalesces)
	publisher                                                      *session     // centrifuge target: posts the publications
	updates, responses, connects                                   hist

	mu        sync.Mutex
	errs      map[string]int64
	errSample map[string]string
	closes    map[int]int64
	scrapes   []scrape
}

func (r *run) at(t time.Time) *second { return r.ser.at(t) }

func (r *run) actionStart() time.Time { return time.Unix(0, r.actionAt.Load()) }

func (r *run) countError(code string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if code == "" {
		code = "unknown"
	}
	r.errs[code]++
	if err != nil && r.errSample[code] == "" {
		r.errSample[code] = err.Error()
	}
}

func (r *run) countClose(code int) {
	r.mu.Lock()
	r.closes[code]++
	r.mu.Unlock()
}

// Run runs one scenario against cfg.URL and returns its figures. It stops
// by itself: after the ramp-up, the action phase and the settle time (or
// when ctx ends), and deletes the widgets it created unless cfg.Keep.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	d, err := newDialer(cfg.URL, cfg.SocketsPerAddress)
	if err != nil {
		return nil, err
	}
	health := "/healthz"
	if cfg.Target == TargetCentrifuge {
		d.wsURL = strings.TrimSuffix(d.wsURL, "/ws") + centrifugeWSPath
		health = "/health"
	}
	httpc := &http.Client{Timeout: 30 * time.Second}
	r := &run{cfg: cfg, dialer: d, api: &rest{base: strings.TrimSuffix(cfg.URL, "/"), client: httpc},
		dialSlots: make(chan struct{}, cfg.DialConcurrency), keepSamples: cfg.Out != "",
		errs: map[string]int64{}, errSample: map[string]string{}, closes: map[int]int64{}}
	if err := r.api.do(ctx, "GET", health, "", nil, nil); err != nil {
		return nil, fmt.Errorf("the service at %s does not answer: %w", cfg.URL, err)
	}
	sum := &Summary{Config: cfg, Started: time.Now()}
	r.progress("setting up: %d users, %d widgets, %d sockets", cfg.Users, cfg.widgets(), cfg.sockets())
	if err := r.makeUsers(); err != nil {
		return nil, err
	}
	sum.before = r.memoryScrape(ctx, httpc)
	capacity := int(cfg.ActionRate*cfg.Duration.Seconds()*1.1) + 16
	if cfg.Target == TargetCentrifuge {
		r.widgets = r.centrifugeChannel(capacity)
	} else {
		r.widgets, err = r.api.createWidgets(ctx, r.users, cfg.WidgetsPerUser, capacity)
	}
	defer r.cleanup(sum)
	if err != nil {
		return nil, err
	}
	sum.afterCreate = r.memoryScrape(ctx, httpc)
	r.makeSessions()

	// Connect everyone, spread over the ramp-up.
	begin := time.Now()
	connectWait := cfg.RampUp + 30*time.Second
	r.ser = newSeries(begin, connectWait+2*time.Second+cfg.Duration+cfg.Settle+10*time.Second)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, s := range r.sessions {
		delay := time.Duration(0)
		if n := len(r.sessions); n > 1 {
			delay = cfg.RampUp * time.Duration(i) / time.Duration(n)
		}
		wg.Add(1)
		go func() { defer wg.Done(); s.loop(runCtx, r, delay) }()
	}
	scrapeDone := r.scrapeEverySecond(runCtx, httpc)
	stopProgress := r.printProgress(runCtx)
	all := int64(len(r.sessions))
	if !r.waitFor(ctx, connectWait, func() bool { return r.connected.Load() == all }) {
		r.progress("only %d of %d sockets connected within %s; going on with them", r.connected.Load(), all, connectWait)
	}
	sum.ConnectPhase = time.Since(begin)
	sleepCtx(ctx, 2*time.Second) // let the node settle before reading its memory
	sum.afterConnect = r.memoryScrape(ctx, httpc)
	sum.SocketsAtIdle = int(r.connected.Load())

	// The action phase.
	start := time.Now()
	r.actionAt.Store(start.UnixNano())
	sum.ActionOffset = start.Sub(begin)
	end := start.Add(cfg.Duration)
	var senders sync.WaitGroup
	for _, s := range r.sessions {
		if s.manager {
			senders.Add(1)
			go func() { defer senders.Done(); s.send(runCtx, r, start, end) }()
		}
	}
	if r.publisher != nil {
		senders.Add(1)
		go func() { defer senders.Done(); r.publish(runCtx, start, end) }()
	}
	if cfg.StormAt > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); r.storm(runCtx, start.Add(cfg.StormAt), sum) }()
	}
	senders.Wait()
	sum.actionEnd = scrapeMetrics(ctx, httpc, r.api.base)
	sum.ActionPhase = time.Since(start)

	// Settle: every connected subscriber must reach its widget's last version.
	settled := r.waitFor(ctx, cfg.Settle, func() bool { return r.unanswered() == 0 && r.lagging() == 0 })
	sum.Lost, sum.NotConnected = r.lagging(), int(all-r.connected.Load())
	sum.Settled = settled
	sum.end = scrapeMetrics(ctx, httpc, r.api.base)
	r.stopping.Store(true)
	for _, s := range r.sessions {
		if c := s.c.Load(); c != nil {
			c.closeNormally()
		}
	}
	cancel()
	wg.Wait()
	stopProgress()
	<-scrapeDone
	r.summarize(sum)
	if r.publisher != nil {
		r.sessions = append(r.sessions, r.publisher) // its samples go to samples.csv
	}
	if cfg.Out != "" {
		if err := r.writeOut(sum); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// unanswered counts actions sent that got no WIDGET_ACTION_RESPONSE yet.
func (r *run) unanswered() int64 {
	var answered int64
	for i := range r.ser.secs {
		answered += r.ser.secs[i].acked.Load() + r.ser.secs[i].failed.Load()
	}
	return r.sent.Load() - answered
}

// memoryScrape reads /metrics after a forced GC when the node's profiling
// endpoint is known (the heap profile with gc=1 runs one).
func (r *run) memoryScrape(ctx context.Context, c *http.Client) scrape {
	if r.cfg.PprofURL != "" {
		if req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(r.cfg.PprofURL, "/")+"/debug/pprof/heap?gc=1", nil); err == nil {
			if resp, err := c.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		}
	}
	return scrapeMetrics(ctx, c, r.api.base)
}

// lagging counts subscriptions whose last version is behind their widget's
// last acknowledged one (connected sessions only).
func (r *run) lagging() int {
	n := 0
	for _, s := range r.sessions {
		if !s.ready.Load() {
			continue
		}
		for i, w := range s.widgets {
			if l := s.last[i].Load(); l >= 0 && l < w.final.Load() {
				n++
			}
		}
	}
	return n
}

func (r *run) waitFor(ctx context.Context, limit time.Duration, done func() bool) bool {
	deadline := time.Now().Add(limit)
	for !done() {
		if time.Now().After(deadline) || !sleepCtx(ctx, 50*time.Millisecond) {
			return done()
		}
	}
	return true
}

// makeUsers signs in fresh users: this run's budgets start full.
func (r *run) makeUsers() error {
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "load-" + hex.EncodeToString(b[:])
	for i := 0; i < r.cfg.Users; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		tok, err := r.cfg.Token(id)
		if err != nil {
			return fmt.Errorf("sign in %s: %w", id, err)
		}
		r.users = append(r.users, &user{id: id, token: tok})
	}
	return nil
}

// makeSessions builds the viewers of every widget and each user's managers,
// the user's widgets shared among them round-robin.
func (r *run) makeSessions() {
	add := func(manager bool, token string, ws []*widget) {
		s := &session{id: len(r.sessions), manager: manager, token: token, widgets: ws, index: map[string]int{},
			last: make([]atomic.Int64, len(ws)), initial: make([]atomic.Int64, len(ws))}
		for i, w := range ws {
			s.index[w.id] = i
		}
		r.sessions = append(r.sessions, s)
	}
	for _, u := range r.users {
		if r.cfg.Target == TargetCentrifuge {
			break // no manager sockets: a publisher posts to the server API
		}
		var own []*widget
		for _, w := range u.widgets {
			if w != nil {
				own = append(own, w)
			}
		}
		for m := 0; m < r.cfg.ManagersPerUser && m < len(own); m++ {
			var mine []*widget
			for i := m; i < len(own); i += r.cfg.ManagersPerUser {
				mine = append(mine, own[i])
			}
			add(true, u.token, mine)
		}
	}
	// Viewers interleaved across widgets, so a ramp-up fills all of them evenly.
	for v := 0; v < r.cfg.ViewersPerWidget; v++ {
		for _, w := range r.widgets {
			add(false, w.token, []*widget{w})
		}
	}
}

// storm cuts every viewer's socket at once at t and reports how long until
// all were back.
func (r *run) storm(ctx context.Context, t time.Time, sum *Summary) {
	if !sleepCtx(ctx, time.Until(t)) {
		return
	}
	r.progress("connection storm: closing every viewer socket at once")
	began := time.Now()
	n := 0
	for _, s := range r.sessions {
		if s.manager {
			continue
		}
		if c := s.c.Load(); c != nil {
			s.storm.Store(true)
			c.abort()
			n++
		}
	}
	all := int64(len(r.sessions))
	back := r.waitFor(ctx, time.Until(t.Add(r.cfg.Duration)), func() bool {
		return time.Since(began) > 200*time.Millisecond && r.connected.Load() == all
	})
	r.mu.Lock()
	sum.Storm = &StormResult{Sockets: n, AllBack: back, Took: time.Since(began)}
	r.mu.Unlock()
	r.progress("connection storm: %d sockets back in %s (all: %v)", n, time.Since(began).Round(time.Millisecond), back)
}

func (r *run) scrapeEverySecond(ctx context.Context, c *http.Client) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				s := scrapeMetrics(ctx, c, r.api.base)
				r.at(s.at.Add(-time.Second)).connected.Store(r.connected.Load())
				r.mu.Lock()
				r.scrapes = append(r.scrapes, s)
				r.mu.Unlock()
			}
		}
	}()
	return done
}

func (r *run) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, format+"\n", args...)
	}
}

// printProgress prints the last full second's figures every second.
func (r *run) printProgress(ctx context.Context) (stop func()) {
	if r.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case now := <-tick.C:
				r.progressLine(now.Add(-time.Second))
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (r *run) progressLine(t time.Time) {
	sec := r.at(t)
	u, _ := sec.update.quantiles(0.5, 0.99)
	a, _ := sec.response.quantiles(0.5, 0.99)
	phase := "connect"
	if at := r.actionAt.Load(); at != 0 {
		phase = fmt.Sprintf("t=%3ds", int(t.Sub(time.Unix(0, at)).Round(time.Second)/time.Second))
	}
	r.mu.Lock()
	errs, closes := total(r.errs), int64(0)
	for _, n := range r.closes {
		closes += n
	}
	var cpu, rss string
	if n := len(r.scrapes); n >= 2 {
		a, b := r.scrapes[n-2], r.scrapes[n-1]
		if c0, ok := a.get(mCPU); ok {
			c1, _ := b.get(mCPU)
			cpu = fmt.Sprintf(" cpu=%.0f%%", 100*(c1-c0)/b.at.Sub(a.at).Seconds())
		}
		if m, ok := b.get(mRSS); ok {
			rss = fmt.Sprintf(" rss=%.0fMiB", m/(1<<20))
		}
	}
	r.mu.Unlock()
	fmt.Fprintf(r.cfg.Progress, "%s sockets=%d/%d actions=%d/s acked=%d/s deliveries=%d/s update p50=%s p99=%s ack p50=%s p99=%s errors=%d closes=%d coalesced=%d%s%s\n",
		phase, r.connected.Load(), len(r.sessions), sec.sent.Load(), sec.acked.Load(), sec.deliveries.Load(),
		ms(u[0]), ms(u[1]), ms(a[0]), ms(a[1]), errs, closes, r.coalesced.Load(), cpu, rss)
}

func total[K comparable](m map[K]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	}
}

// cleanup deletes the run's widgets unless asked to keep them.
func (r *run) cleanup(sum *Summary) {
	if r.cfg.Keep || len(r.users) == 0 || r.cfg.Target == TargetCentrifuge {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.api.deleteWidgets(ctx, r.users); err != nil {
		sum.CleanupError = err.Error()
	}
}

func sortedKeys[K int | string](m map[K]int64) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
