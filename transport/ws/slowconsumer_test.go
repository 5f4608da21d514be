package ws

import (
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// onlySocket is the server side of the one open socket.
func (ts *testServer) onlySocket() *socket {
	ts.t.Helper()
	ts.srv.mu.Lock()
	defer ts.srv.mu.Unlock()
	if len(ts.srv.open) != 1 {
		ts.t.Fatalf("%d sockets open, want 1", len(ts.srv.open))
	}
	for s := range ts.srv.open {
		return s
	}
	return nil
}

// TestStuckReaderIsClosedWithinSeconds: a subscriber that stops reading
// while state updates keep coming (they coalesce, so its queue never fills)
// is closed after the write timeout (4002 attempted, slow consumer logged),
// not after the ~50 s idle timeout; its reader and actor end with it.
func TestStuckReaderIsClosedWithinSeconds(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Config
		within time.Duration
		pad    int           // bytes of state per frame
		every  time.Duration // between frames
	}{
		{"default write timeout (5s)", Config{}, 9 * time.Second, 8000, 200 * time.Microsecond},
		{"write timeout 1s", Config{WriteTimeout: time.Second}, 4 * time.Second, 8000, 200 * time.Microsecond},
		// Small frames at an ordinary busy rate (~150 KB/s): only a bounded
		// kernel send buffer fills soon enough; Linux's autotuned one absorbs
		// about a minute of this.
		{"small frames, default buffers", Config{}, 12 * time.Second, 100, time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := startServer(t, c.cfg)
			conn := ts.session(dialOpts{readBuffer: 4096}) // and it never reads again
			sock := ts.onlySocket()
			frame := []byte(`{"type":"WIDGET_STATE_UPDATE","widgetId":"w1","state":{"pad":"` + strings.Repeat("x", c.pad) + `"},"version":1}`)
			stop := make(chan struct{})
			pushed := make(chan struct{})
			go func() { // a busy widget: a fresh state every 200 µs, coalesced per widget
				defer close(pushed)
				for {
					select {
					case <-stop:
						return
					case <-sock.done:
						return
					default:
					}
					sock.Send(frame, "state:w1")
					time.Sleep(c.every)
				}
			}()
			defer func() { close(stop); <-pushed }()
			start := time.Now()
			eventually(t, c.within, "the server closes the stuck socket", func() bool { return ts.openSockets() == 0 })
			t.Logf("closed %v after the client stopped reading", time.Since(start).Round(10*time.Millisecond))
			warns := ts.logs.FilterMessageSnippet("slow consumer")
			if warns.Len() != 1 || warns.All()[0].ContextMap()["close_code"] != int64(protocol.CloseSlowConsumer) {
				t.Fatalf("slow consumer logs: %v", warns.All())
			}
			// The client sees the end of the stream once it drains what was sent.
			code, _ := readUntilClosed(t, conn, 10*time.Second)
			if code != protocol.CloseSlowConsumer && code != 1006 {
				t.Fatalf("client saw close %d", code)
			}
			t.Logf("the client saw close %d (1006: the stream ended inside a frame, no close frame possible)", code)
		})
	}
}

// TestCoalescingKeepsTheAgeOfTheOldestUnsentFrame: replacing an unsent state
// with a newer one must not make a stuck queue look fresh.
func TestCoalescingKeepsTheAgeOfTheOldestUnsentFrame(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newSocket(nil, 4, time.Second, nil)
	s.now = func() time.Time { return now }
	s.Send([]byte("state v1"), "state:w")
	now = now.Add(3 * time.Second)
	s.Send([]byte("state v2"), "state:w")
	q, since, _ := s.take()
	if want := time.Unix(1000, 0); !since.Equal(want) || len(frames(q)) != 1 {
		t.Fatalf("since %v with %d frames, want %v with 1", since, len(frames(q)), want)
	}
	if _, since, _ := s.take(); !since.IsZero() {
		t.Fatalf("an empty queue has age since %v", since)
	}
	s.Send([]byte("state v3"), "state:w")
	if _, since, _ := s.take(); !since.Equal(now) {
		t.Fatalf("after a flush the age restarts: since %v, want %v", since, now)
	}
}
