// Package telemetry is what a node counts about its widgets, sockets and
// store for /metrics (docs/PERFORMANCE.md lists every series). Grains, the
// relay and sockets bump plain atomic counters (every method is safe on a
// nil receiver, so code without telemetry needs no checks); Register
// exposes them, with gauges read at scrape time, to Prometheus.
package telemetry

import "sync/atomic"

// Widgets counts what widget grains and the relay do on this node.
type Widgets struct {
	activations   atomic.Int64
	passivations  atomic.Int64
	subscriptions atomic.Int64
	coalesced     atomic.Int64
	deliveries    atomic.Int64
}

// Activated counts a grain activation.
func (w *Widgets) Activated() {
	if w != nil {
		w.activations.Add(1)
	}
}

// Passivated counts a grain that stopped, with the subscribers it still had.
func (w *Widgets) Passivated(subscribers int) {
	if w != nil {
		w.passivations.Add(1)
		w.subscriptions.Add(-int64(subscribers))
	}
}

// Subscribed adds delta to the subscriptions held by this node's grains.
func (w *Widgets) Subscribed(delta int) {
	if w != nil {
		w.subscriptions.Add(int64(delta))
	}
}

// StateCoalesced counts a state broadcast the grain's throttle replaced by
// a newer one before it went out (when replaced is true).
func (w *Widgets) StateCoalesced(replaced bool) {
	if w != nil && replaced {
		w.coalesced.Add(1)
	}
}

// Delivered counts events the relay handed to n local connections.
func (w *Widgets) Delivered(n int) {
	if w != nil {
		w.deliveries.Add(int64(n))
	}
}

// Sockets counts what WebSockets did on this node.
type Sockets struct {
	written    atomic.Int64
	coalesced  atomic.Int64
	slowClosed atomic.Int64
}

// Written counts a frame handed to the OS.
func (s *Sockets) Written() {
	if s != nil {
		s.written.Add(1)
	}
}

// Coalesced counts a queued frame replaced by a newer one of the same key
// (a state update a slow socket never needed) before it was sent.
func (s *Sockets) Coalesced() {
	if s != nil {
		s.coalesced.Add(1)
	}
}

// SlowConsumerClosed counts a socket closed for not reading (4002).
func (s *Sockets) SlowConsumerClosed() {
	if s != nil {
		s.slowClosed.Add(1)
	}
}

// SocketGauges are read from the open sockets at scrape time.
type SocketGauges struct {
	Open      int // sockets open
	Queued    int // frames queued and not yet sent, all sockets
	MaxQueued int // the deepest single queue
	Writers   int // writer goroutines running: a socket has one only while frames wait for its client
	Readers   int // sockets read by a goroutine of their own (none where the server polls them: Linux)
}
