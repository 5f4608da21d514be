package baseline

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/streamwidgets/streamwidgets/telemetry"
)

// Metric names the load tool reads besides the process and Go collectors'
// (process_cpu_seconds_total, process_resident_memory_bytes, go_goroutines,
// …): the same figures streamwidgets exports as
// streamwidgets_relay_deliveries_total and streamwidgets_go_heap_live_bytes.
const (
	MetricDeliveries = "centrifuge_baseline_deliveries_total"
	MetricHeapLive   = "centrifuge_baseline_go_heap_live_bytes"
)

// metricsSet is the server's own registry (not Prometheus' global one, so
// tests can run several servers in one process): the process and Go
// collectors, centrifuge's centrifugo_* series and the two above.
type metricsSet struct {
	reg        *prometheus.Registry
	deliveries atomic.Int64
}

func newMetrics() (*metricsSet, error) {
	m := &metricsSet{reg: prometheus.NewRegistry()}
	cs := []prometheus.Collector{
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: MetricDeliveries,
			Help: "Publications handed to subscribed connections on this node (one per publication and subscriber, counted at publish)."},
			func() float64 { return float64(m.deliveries.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: MetricHeapLive,
			Help: "Heap bytes live as of the last GC (runtime/metrics /gc/heap/live:bytes)."}, telemetry.HeapLive),
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
