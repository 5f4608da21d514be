package ws

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stormOnce is one client of a connection storm: it upgrades, signs in
// and reads until the server ends the connection, or for hold at most and
// then leaves (ended false). It reports the parsed stream, or refused when
// the server would not upgrade (a connection refused or ended before the
// 101 is fine while shutting down).
func stormOnce(addr string, hold time.Duration) (s serverStream, ended, refused bool, err error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return s, false, true, nil
	}
	defer conn.Close()
	if _, err := conn.Write(append([]byte(fmt.Sprintf(upgradeRequest, addr)), authFrame("storm")...)); err != nil {
		return s, false, true, nil
	}
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	br := bufio.NewReader(conn)
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 101") {
		return s, false, true, nil
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return s, false, false, fmt.Errorf("handshake headers: %w", err)
		}
		if line == "\r\n" {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(hold))
	b, err := io.ReadAll(br)
	ne, ok := err.(net.Error)
	ended = !ok || !ne.Timeout()
	s, err = parseStream(b)
	return s, ended, false, err
}

// TestShutdownDuringAConnectionStorm: clients keep connecting while the
// server shuts down with a deadline already past, so sockets are detached,
// tracked and handed to the poller while Shutdown closes them and stops the
// poller before they have ended. Every upgraded client gets whole
// frames and then a 1001 close frame, and afterwards no socket, writer,
// poller entry, address slot or descriptor is left.
func TestShutdownDuringAConnectionStorm(t *testing.T) {
	ts := startServer(t, Config{MaxConnsPerIP: 10000})
	warm := ts.rawDial(t, authFrame("w"))
	warm.message("AUTH_OK", 5*time.Second)
	_ = warm.conn.Close()
	eventually(t, 5*time.Second, "warm-up socket closed", func() bool { return ts.openSockets() == 0 })
	before := openFDs(t)

	var stopping atomic.Bool
	var upgraded, refused, closed, afterStop atomic.Int64
	errs := make(chan error, 1000)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, extra := 0, 3; extra > 0; i++ { // until 3 attempts after Shutdown returned
				if stopping.Load() {
					extra--
				}
				// Sockets live 0-30 ms: at any moment some are upgrading,
				// signing in, open, or leaving.
				s, ended, ref, err := stormOnce(ts.addr, time.Duration((g+i)%4)*10*time.Millisecond)
				switch {
				case err != nil:
					errs <- err
					return
				case ref:
					refused.Add(1)
					continue
				}
				upgraded.Add(1)
				if stopping.Load() {
					afterStop.Add(1)
				}
				if !ended {
					continue // it left first
				}
				closed.Add(1)
				if s.closeCode != 1001 || s.cut != 0 {
					errs <- fmt.Errorf("a socket ended with close %d and %d bytes of a frame after %d messages; want 1001 after whole frames", s.closeCode, s.cut, len(s.texts))
					return
				}
			}
		}()
	}
	eventually(t, 10*time.Second, "the storm is on", func() bool { return upgraded.Load() > 50 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no time at all: the poller stops while sockets are still ending
	ts.srv.Shutdown(ctx)
	stopping.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d sockets upgraded (%d after Shutdown returned), %d closed by the server, %d refused",
		upgraded.Load(), afterStop.Load(), closed.Load(), refused.Load())
	if afterStop.Load() == 0 {
		t.Error("no socket was upgraded after Shutdown: the storm did not cover sockets detached during it")
	}
	eventually(t, 10*time.Second, "every socket untracked", func() bool { return ts.openSockets() == 0 })
	eventually(t, 5*time.Second, "every writer ended", func() bool { return ts.srv.writers.n.Load() == 0 })
	eventually(t, 5*time.Second, "every descriptor closed", func() bool { return openFDs(t) <= before })
	eventually(t, 5*time.Second, "every address slot returned", func() bool {
		ts.srv.ips.mu.Lock()
		defer ts.srv.ips.mu.Unlock()
		return len(ts.srv.ips.count) == 0
	})
	if p := ts.srv.poll; p != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		if n := len(p.entries); n != 0 {
			t.Errorf("%d poller entries left", n)
		}
	}
}
