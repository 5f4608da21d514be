package telemetry

import (
	"runtime/metrics"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// Node is one node's telemetry: hand Widgets to the grains (actors.Deps),
// wrap the grains' store with Store, then Register.
type Node struct {
	Widgets Widgets
	store   *prometheus.HistogramVec
}

// NewNode returns empty telemetry.
func NewNode() *Node { return &Node{store: newStoreLatency()} }

// Store returns s with every call timed into streamwidgets_store_seconds.
func (n *Node) Store(s persistence.Store) persistence.Store {
	t := &timedStore{Store: s, h: n.store}
	if rooms, ok := s.(persistence.RoomStore); ok {
		return timedRoomStore{timedStore: t, RoomStore: rooms}
	}
	return t
}

// Register exposes the node's series on reg; sockets is read at each scrape
// (nil: no socket series).
func (n *Node) Register(reg prometheus.Registerer, sockets func() SocketGauges, socketCounts *Sockets) error {
	w := &n.Widgets
	counter := func(name, help string, v func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) })
	}
	gauge := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, v)
	}
	cs := []prometheus.Collector{
		n.store,
		counter("streamwidgets_widget_grain_activations_total", "Widget grains activated on this node.", w.activations.Load),
		counter("streamwidgets_widget_grain_passivations_total", "Widget grains that stopped on this node (idle, deleted, moved, shutdown).", w.passivations.Load),
		gauge("streamwidgets_widget_subscriptions", "Sessions subscribed to the widget grains active on this node.", func() float64 { return float64(w.subscriptions.Load()) }),
		counter("streamwidgets_widget_state_coalesced_total", "State broadcasts a grain replaced by a newer state before sending (the throttle sends at most 10 state updates per second per widget by default).", w.coalesced.Load),
		counter("streamwidgets_relay_deliveries_total", "Widget events the relay handed to local connections (one per event and subscribed socket).", w.deliveries.Load),
		gauge("streamwidgets_go_heap_live_bytes", "Heap bytes live as of the last GC (runtime/metrics /gc/heap/live:bytes): memory kept, without garbage not yet collected.", HeapLive),
	}
	if sockets != nil {
		cs = append(cs,
			gauge("streamwidgets_ws_sockets", "WebSockets open on this node.", func() float64 { return float64(sockets().Open) }),
			gauge("streamwidgets_ws_outbound_queued", "Frames queued on this node's sockets and not yet sent.", func() float64 { return float64(sockets().Queued) }),
			gauge("streamwidgets_ws_outbound_queue_max", "Frames queued on this node's most backed-up socket.", func() float64 { return float64(sockets().MaxQueued) }),
			gauge("streamwidgets_ws_writers", "Socket writer goroutines running: a socket has one only while frames wait for its client (an idle socket has none).", func() float64 { return float64(sockets().Writers) }),
			gauge("streamwidgets_ws_reader_goroutines", "Sockets read by a goroutine of their own; on Linux one epoll loop reads them all (0).", func() float64 { return float64(sockets().Readers) }))
	}
	if s := socketCounts; s != nil {
		cs = append(cs,
			counter("streamwidgets_ws_frames_written_total", "Frames written to WebSockets on this node.", s.written.Load),
			counter("streamwidgets_ws_coalesced_total", "Queued state updates replaced by a newer one before a slow socket sent them.", s.coalesced.Load),
			counter("streamwidgets_ws_slow_consumer_closes_total", "Sockets closed because the client did not read (4002).", s.slowClosed.Load))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// HeapLive is the heap kept live as of the last GC, in bytes (0 where the
// runtime does not report it).
func HeapLive() float64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(s[0].Value.Uint64())
}
