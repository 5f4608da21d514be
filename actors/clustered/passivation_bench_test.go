package clustered_test

import (
	"fmt"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
	"github.com/streamwidgets/streamwidgets/telemetry"
)

// BenchmarkPassivationWave activates many grains (100,000 by default;
// SW_WAVE_GRAINS=N for another count), lets them all go idle, and prints
// how their passivations spread over time and what a fresh activation
// costs meanwhile: a probe activates a new grain every 10 ms and times it
// before, during and after the wave. Issue 14: "100,000 grains passivating
// spread out, without stalling activations".
//
//	go test -run '^$' -bench PassivationWave -benchtime 1x -timeout 20m ./actors/clustered/
func BenchmarkPassivationWave(b *testing.B) {
	grains := 100_000
	if v, err := strconv.Atoi(os.Getenv("SW_WAVE_GRAINS")); err == nil && v > 0 {
		grains = v
	}
	const idle = 30 * time.Second // + up to 20 % jitter per grain
	const probes = 20_000
	counters := &telemetry.Widgets{}
	n := benchNode(b, idle, func(d *actors.Deps) { d.Metrics = counters })
	alice := actors.UserCaller("alice")
	id := func(prefix string, i int) string { return fmt.Sprintf("%s%07d", prefix, i) }

	// Records first (through the store, many writers: group commits).
	parallel(b, grains+probes, 128, func(i int) error {
		rid := id("w", i)
		if i >= grains {
			rid = id("p", i-grains)
		}
		_, err := n.store.Put(ctx, storetest.NewRecord(rid, "alice", i), 0)
		return err
	})
	b.ResetTimer()
	began := time.Now()
	parallel(b, grains, 64, func(i int) error { _, err := n.w.Get(ctx, alice, id("w", i)); return err })
	activated := time.Since(began)

	// The probe: one fresh activation every 10 ms, timed.
	type sample struct {
		at      time.Duration // since began
		latency time.Duration
	}
	var (
		mu      sync.Mutex
		samples []sample
		stop    atomic.Bool
		probed  sync.WaitGroup
	)
	probed.Add(1)
	go func() {
		defer probed.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < probes && !stop.Load(); i++ {
			<-tick.C
			t0 := time.Now()
			if _, err := n.w.Get(ctx, alice, id("p", i)); err != nil {
				b.Errorf("probe activation %d: %v", i, err)
				return
			}
			mu.Lock()
			samples = append(samples, sample{at: t0.Sub(began), latency: time.Since(t0)})
			mu.Unlock()
		}
	}()

	// Passivations per 250 ms until every first-wave grain has passivated
	// (probe grains passivate later: they are counted apart by time).
	type point struct {
		at           time.Duration
		passivations int64
	}
	base := telemetry.Read(counters, nil).Passivations
	var timeline []point
	sched := readRuntime()
	deadline := began.Add(activated + idle*6/5 + activated + 60*time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		p := telemetry.Read(counters, nil).Passivations - base
		timeline = append(timeline, point{at: time.Since(began), passivations: p})
		if p >= int64(grains) {
			break
		}
	}
	stop.Store(true)
	probed.Wait()
	b.StopTimer()
	schedEnd := readRuntime()

	// The wave: from the first passivation to the last of the first wave.
	var waveStart, waveEnd time.Duration
	var peak, prev int64
	for _, pt := range timeline {
		d := pt.passivations - prev
		prev = pt.passivations
		if d > 0 && waveStart == 0 {
			waveStart = pt.at - 250*time.Millisecond
		}
		if pt.passivations < int64(grains) {
			waveEnd = pt.at + 250*time.Millisecond
		}
		peak = max(peak, d)
	}
	pct := func(lat []time.Duration, q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		slices.Sort(lat)
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	phase := func(name string, from, to time.Duration) time.Duration {
		var lat []time.Duration
		mu.Lock()
		for _, s := range samples {
			if s.at >= from && s.at < to {
				lat = append(lat, s.latency)
			}
		}
		mu.Unlock()
		p99 := pct(lat, 0.99)
		fmt.Printf("activations %-7s n=%5d  p50 %7v  p99 %7v  max %7v\n", name, len(lat), pct(lat, 0.5).Round(10*time.Microsecond), p99.Round(10*time.Microsecond), pct(lat, 1).Round(10*time.Microsecond))
		return p99
	}
	fmt.Printf("%d grains activated in %v (%.0f/s); idle timeout %v + up to 20%% jitter\n", grains, activated.Round(time.Millisecond), float64(grains)/activated.Seconds(), idle)
	fmt.Printf("passivation wave: %v to %v after the first activation (%v); peak %d per 250 ms; passivated %d of %d\n",
		waveStart.Round(time.Millisecond), waveEnd.Round(time.Millisecond), (waveEnd - waveStart).Round(time.Millisecond), peak, prev, grains)
	var last int64
	for i, pt := range timeline { // one line a second, during the wave
		if i%4 == 3 && pt.at >= waveStart && pt.at <= waveEnd+time.Second {
			fmt.Printf("  t=%5.1fs passivated %6d (+%d)\n", pt.at.Seconds(), pt.passivations, pt.passivations-last)
			last = pt.passivations
		}
	}
	phase("before", activated, waveStart)
	during := phase("during", waveStart, waveEnd)
	phase("after", waveEnd, time.Hour)
	// Whether a stall was the process's own (GC pauses) or the machine's
	// (goroutines runnable but not running: other processes had the CPUs).
	for i, name := range runtimeHists {
		d := schedEnd[i].minus(sched[i])
		fmt.Printf("%-26s n=%7d  p50 %9v  p99 %9v  max %9v\n", name, d.count(), d.quantile(0.5), d.quantile(0.99), d.quantile(1))
	}
	b.ReportMetric((waveEnd - waveStart).Seconds(), "wave-s")
	b.ReportMetric(float64(peak)*4, "peak-passivations/s")
	b.ReportMetric(float64(during.Microseconds())/1000, "p99-activation-ms-during")
	if prev < int64(grains) {
		b.Errorf("only %d of %d grains passivated", prev, grains)
	}
}

// parallel runs do(0..count-1) on workers goroutines and fails b on an error.
func parallel(b *testing.B, count, workers int, do func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < count && !failed.Load(); i = int(next.Add(1) - 1) {
				if err := do(i); err != nil {
					failed.Store(true)
					b.Errorf("item %d: %v", i, err)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() {
		b.FailNow()
	}
}

// runtimeHists are the runtime's histograms the wave reports: how long
// runnable goroutines waited for a CPU, and the GC's stop-the-world pauses.
var runtimeHists = []string{"/sched/latencies:seconds", "/sched/pauses/total/gc:seconds"}

type hist struct {
	counts  []uint64
	buckets []float64
}

func readRuntime() []hist {
	samples := make([]metrics.Sample, len(runtimeHists))
	for i, name := range runtimeHists {
		samples[i].Name = name
	}
	metrics.Read(samples)
	out := make([]hist, len(samples))
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindFloat64Histogram {
			h := s.Value.Float64Histogram()
			out[i] = hist{counts: slices.Clone(h.Counts), buckets: h.Buckets}
		}
	}
	return out
}

func (h hist) minus(o hist) hist {
	d := hist{counts: slices.Clone(h.counts), buckets: h.buckets}
	for i := range d.counts {
		if i < len(o.counts) {
			d.counts[i] -= o.counts[i]
		}
	}
	return d
}

func (h hist) count() uint64 {
	var n uint64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// quantile is the upper bound of the bucket holding quantile q.
func (h hist) quantile(q float64) time.Duration {
	total := h.count()
	if total == 0 {
		return 0
	}
	want := uint64(q * float64(total))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen > want || (q == 1 && seen == total && c > 0) {
			up := h.buckets[i+1]
			if up > 1e9 {
				up = h.buckets[i]
			}
			return time.Duration(up * float64(time.Second)).Round(time.Microsecond)
		}
	}
	return 0
}
