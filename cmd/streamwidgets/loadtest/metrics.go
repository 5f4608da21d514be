package loadtest

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scrape is one read of the service's /metrics: each metric's value summed
// over its label sets (histograms: _sum and _count).
type scrape struct {
	at     time.Time
	values map[string]float64
}

func (s scrape) get(name string) (float64, bool) {
	v, ok := s.values[name]
	return v, ok
}

// scrapeMetrics reads base/metrics; a node without it gives an empty scrape.
func scrapeMetrics(ctx context.Context, client *http.Client, base string) scrape {
	out := scrape{at: time.Now(), values: map[string]float64{}}
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return out
	}
	resp, err := client.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return out
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if strings.HasPrefix(rest, "{") {
			if j := strings.LastIndexByte(rest, '}'); j >= 0 {
				rest = rest[j+1:]
			}
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		out.values[name] += v
	}
	for from, to := range aliases {
		if v, ok := out.values[from]; ok {
			out.values[to] = v
		}
	}
	return out
}

// aliases: the Centrifuge baseline (cmd/centrifuge-baseline) exports the
// figures streamwidgets has under its own names; read as the same.
var aliases = map[string]string{
	"centrifuge_baseline_deliveries_total":   mDeliveries,
	"centrifuge_baseline_go_heap_live_bytes": mHeapLive,
}

// Metric names the tool reads (see docs/PERFORMANCE.md).
const (
	mCPU         = "process_cpu_seconds_total"
	mRSS         = "process_resident_memory_bytes"
	mHeapLive    = "streamwidgets_go_heap_live_bytes"
	mHeapInuse   = "go_memstats_heap_inuse_bytes"
	mStack       = "go_memstats_stack_inuse_bytes"
	mGoroutines  = "go_goroutines"
	mGrains      = "streamwidgets_widget_grains_active"
	mSockets     = "streamwidgets_ws_sockets"
	mDeliveries  = "streamwidgets_relay_deliveries_total"
	mQueueMax    = "streamwidgets_ws_outbound_queue_max"
	mCoalescedG  = "streamwidgets_widget_state_coalesced_total"
	mSlowClosed  = "streamwidgets_ws_slow_consumer_closes_total"
	mStorePuts   = "streamwidgets_store_seconds_count"
	mStoreSum    = "streamwidgets_store_seconds_sum"
	mCoalescedWS = "streamwidgets_ws_coalesced_total"
)
