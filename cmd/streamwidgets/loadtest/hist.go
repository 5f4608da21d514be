package loadtest

import (
	"math"
	"sync/atomic"
	"time"
)

// Latencies are bucketed logarithmically, 4% apart, from 1 µs to ~70 s:
// percentiles read from the buckets are within 2% of the exact value.
const (
	histBuckets = 460
	histGrowth  = 1.04
)

var logGrowth = math.Log(histGrowth)

func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us < 1 {
		return 0
	}
	i := int(math.Log(us)/logGrowth) + 1
	return min(i, histBuckets-1)
}

// bucketValue is a bucket's representative latency (its geometric middle).
func bucketValue(i int) time.Duration {
	if i == 0 {
		return 500 * time.Nanosecond
	}
	us := math.Pow(histGrowth, float64(i)-0.5)
	return time.Duration(us * float64(time.Microsecond))
}

// hist is a latency histogram safe for concurrent recording.
type hist struct {
	counts [histBuckets]atomic.Uint32
	n      atomic.Int64
	max    atomic.Int64
}

func (h *hist) record(d time.Duration) {
	h.counts[bucketOf(d)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// quantiles returns the latencies at each q in qs (0..1), and the maximum.
func (h *hist) quantiles(qs ...float64) (out []time.Duration, max time.Duration) {
	n := h.n.Load()
	out = make([]time.Duration, len(qs))
	if n == 0 {
		return out, 0
	}
	var seen int64
	j := 0
	for i := 0; i < histBuckets && j < len(qs); i++ {
		seen += int64(h.counts[i].Load())
		for j < len(qs) && float64(seen) >= qs[j]*float64(n) {
			out[j] = bucketValue(i)
			j++
		}
	}
	for ; j < len(qs); j++ {
		out[j] = time.Duration(h.max.Load())
	}
	return out, time.Duration(h.max.Load())
}

// series is one histogram per second of the run, for charts and the
// progress line, plus counters per second.
type series struct {
	start time.Time
	secs  []second
}

type second struct {
	update     hist // action sent -> state update received, every subscriber
	response   hist // action sent -> WIDGET_ACTION_RESPONSE
	connect    hist // dial -> initial state
	deliveries atomic.Int64
	sent       atomic.Int64
	acked      atomic.Int64
	failed     atomic.Int64
	connected  atomic.Int64 // sockets ready, as the tool counts them
}

func newSeries(start time.Time, d time.Duration) *series {
	return &series{start: start, secs: make([]second, int(d/time.Second)+1)}
}

// at is the second of t (the last one for times past the end).
func (s *series) at(t time.Time) *second {
	i := int(t.Sub(s.start) / time.Second)
	return &s.secs[max(0, min(i, len(s.secs)-1))]
}
