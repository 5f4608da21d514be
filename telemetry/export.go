package telemetry

// Snapshot is every counter's value now (tests, tools).
type Snapshot struct {
	Activations, Passivations, Subscriptions, StateCoalesced, Deliveries int64
	Written, SocketCoalesced, SlowConsumerClosed                         int64
}

// Read returns the counters of w and s (either may be nil).
func Read(w *Widgets, s *Sockets) Snapshot {
	var out Snapshot
	if w != nil {
		out.Activations, out.Passivations = w.activations.Load(), w.passivations.Load()
		out.Subscriptions, out.StateCoalesced, out.Deliveries = w.subscriptions.Load(), w.coalesced.Load(), w.deliveries.Load()
	}
	if s != nil {
		out.Written, out.SocketCoalesced, out.SlowConsumerClosed = s.written.Load(), s.coalesced.Load(), s.slowClosed.Load()
	}
	return out
}
