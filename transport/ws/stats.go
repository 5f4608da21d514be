package ws

import "github.com/streamwidgets/streamwidgets/telemetry"

// Gauges reads this node's open sockets and their queues (for /metrics);
// it takes each socket's lock briefly, once per scrape.
func (s *Server) Gauges() telemetry.SocketGauges {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := telemetry.SocketGauges{Open: len(s.open), Writers: int(s.writers.n.Load())}
	for sock := range s.open {
		if !sock.polled.Load() {
			g.Readers++
		}
		n := sock.queued()
		g.Queued += n
		g.MaxQueued = max(g.MaxQueued, n)
	}
	return g
}

// Counters are this node's socket counters (frames written, coalesced,
// slow-consumer closes).
func (s *Server) Counters() *telemetry.Sockets { return &s.counts }

func (s *socket) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live
}
