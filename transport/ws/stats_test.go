package ws

import (
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/telemetry"
)

// TestGaugesAndCountersSeeAStuckReader: while a client stops reading, the
// gauges show its socket and backlog; its superseded state updates count as
// coalesced, and its close counts once as a slow consumer.
func TestGaugesAndCountersSeeAStuckReader(t *testing.T) {
	ts := startServer(t, Config{WriteTimeout: time.Second})
	ts.session(dialOpts{readBuffer: 4096}) // never reads
	sock := ts.onlySocket()
	if g := ts.srv.Gauges(); g.Open != 1 {
		t.Fatalf("gauges with one socket: %+v", g)
	}
	frame := []byte(`{"type":"WIDGET_STATE_UPDATE","widgetId":"w1","state":{"pad":"` + strings.Repeat("x", 8000) + `"},"version":1}`)
	sawBacklog := false
	deadline := time.Now().Add(6 * time.Second)
	for ts.openSockets() > 0 && time.Now().Before(deadline) {
		sock.Send(frame, "state:w1")
		sock.Send(frame, "")
		if g := ts.srv.Gauges(); g.Queued > 0 && g.MaxQueued > 0 {
			sawBacklog = true
		}
		time.Sleep(time.Millisecond)
	}
	if ts.openSockets() != 0 {
		t.Fatal("the stuck socket was not closed")
	}
	if !sawBacklog {
		t.Error("the gauges never showed the stuck socket's queued frames")
	}
	c := ts.srv.Counters()
	eventually(t, time.Second, "the slow consumer is counted", func() bool { return slowClosed(c) >= 1 })
	if got := slowClosed(c); got != 1 {
		t.Errorf("slow-consumer closes = %d, want 1", got)
	}
	if coalesced(c) == 0 || written(c) == 0 {
		t.Errorf("coalesced %d, written %d: want both counted", coalesced(c), written(c))
	}
	if g := ts.srv.Gauges(); g.Open != 0 || g.Queued != 0 {
		t.Errorf("gauges after the close: %+v", g)
	}
}

func slowClosed(c *telemetry.Sockets) int64 { return telemetry.Read(nil, c).SlowConsumerClosed }
func coalesced(c *telemetry.Sockets) int64  { return telemetry.Read(nil, c).SocketCoalesced }
func written(c *telemetry.Sockets) int64    { return telemetry.Read(nil, c).Written }
