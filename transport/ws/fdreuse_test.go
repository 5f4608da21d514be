package ws

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// newSocketsSince are the server sides of sockets opened since before.
func (ts *testServer) newSocketsSince(before map[*socket]bool) []*socket {
	var out []*socket
	for _, s := range ts.allSockets() {
		if !before[s] {
			out = append(out, s)
		}
	}
	return out
}

// fdNum is conn's descriptor number (-1 if it has none or is closed).
func fdNum(conn net.Conn) int {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// ownedEvent is a frame marked as meant for the socket named owner.
func ownedEvent(owner string, i int) []byte {
	return fmt.Appendf(nil, `{"type":"WIDGET_EVENT","widgetId":"w1","owner":%q,"event":"e%d","pad":%q}`, owner, i, strings.Repeat("x", 2000))
}

// TestEndedSocketsNeverWriteToAReusedDescriptor: sockets end while their
// writer goroutine is stuck in a write to a client that stopped reading
// (aborted by the server, reset by the client, or closed by the client),
// and new sockets are accepted meanwhile, taking the freed descriptor
// numbers. Nothing of an ended socket (a late frame, its close frame, a
// read of the poller) may reach a new one: every new client's AUTH is
// answered, and every frame it gets is its own, whole and in order.
func TestEndedSocketsNeverWriteToAReusedDescriptor(t *testing.T) {
	ts := startServer(t, Config{WriteTimeout: time.Second, MaxConnsPerIP: 1000})
	const n, rounds = 6, 3
	reused := 0
	for round := range rounds {
		before := map[*socket]bool{}
		for _, s := range ts.allSockets() {
			before[s] = true
		}
		var olds []*rawClient
		for range n {
			c := ts.rawDialBuf(t, authFrame("old"), 4096)
			c.message("AUTH_OK", 5*time.Second)
			olds = append(olds, c)
		}
		oldSocks := ts.newSocketsSince(before)
		if len(oldSocks) != n {
			t.Fatalf("%d new sockets, want %d", len(oldSocks), n)
		}
		oldFDs := map[int]bool{}
		for k, s := range oldSocks {
			oldFDs[fdNum(s.conn)] = true
			for i := 0; s.queued() == 0; i++ { // until its writer is stuck
				s.Send(ownedEvent(fmt.Sprint("old-", round, "-", k), i), "")
			}
		}
		eventually(t, 5*time.Second, "the old sockets' writers are stuck", func() bool { return ts.srv.writers.n.Load() >= n })

		// End them three ways at once, and open new sockets meanwhile.
		for k, s := range oldSocks {
			switch k % 3 {
			case 0:
				go s.Abort(4002, "slow consumer")
			case 1:
				go func() { _ = olds[k].conn.Close() }() // unread data: a reset
			case 2:
				go func() { _, _ = olds[k].conn.Write(clientFrame(opClose, true, []byte{0x03, 0xe8})) }()
			}
		}
		oldsEnded := func() bool {
			ts.srv.mu.Lock()
			defer ts.srv.mu.Unlock()
			for _, s := range oldSocks {
				if _, ok := ts.srv.open[s]; ok {
					return false
				}
			}
			return true
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for k := range n {
			wg.Add(1)
			go func() { // new sockets, one after another, until every old one has ended, and one more
				defer wg.Done()
				for i, last := 0, false; !last; i++ {
					last = oldsEnded()
					if err := newSocketGetsOnlyItsOwn(ts, fmt.Sprint("new-", round, "-", k, "-", i), oldFDs, &reused); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for _, c := range olds {
			_ = c.conn.Close()
		}
		eventually(t, 10*time.Second, "every socket of the round ended", func() bool { return ts.openSockets() == 0 })
	}
	t.Logf("%d new sockets got a descriptor number an ended one had", reused)
	if reused == 0 {
		t.Error("no descriptor number was reused: the test did not exercise reuse")
	}
}

var reusedMu sync.Mutex

// newSocketGetsOnlyItsOwn opens a socket named owner, sends it frames
// marked with its name and checks that it receives exactly those, whole.
// It counts in reused whether its server descriptor had a number in old.
func newSocketGetsOnlyItsOwn(ts *testServer, owner string, old map[int]bool, reused *int) error {
	before := map[*socket]bool{}
	for _, s := range ts.allSockets() {
		before[s] = true
	}
	c, err := rawDialErr(ts.addr, authFrame(owner), 0)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	var sock *socket // its server side: the new socket with its address
	deadline := time.Now().Add(5 * time.Second)
	for sock == nil && time.Now().Before(deadline) {
		for _, s := range ts.newSocketsSince(before) {
			if s.conn.RemoteAddr().String() == c.conn.LocalAddr().String() {
				sock = s
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if sock == nil {
		return fmt.Errorf("%s: its server socket not found", owner)
	}
	reusedMu.Lock()
	if old[fdNum(sock.conn)] {
		*reused++
	}
	reusedMu.Unlock()
	// Its AUTH was read by its own session (not by an ended one's poller entry).
	for {
		op, p, err := c.next(10 * time.Second)
		if err != nil {
			return fmt.Errorf("%s: no AUTH_OK: %w", owner, err)
		}
		if op == opText && strings.Contains(string(p), `"AUTH_OK"`) {
			break
		}
		if op == opText || op == opClose {
			return fmt.Errorf("%s got %.80s before AUTH_OK", owner, p)
		}
	}
	const frames = 20
	for i := range frames {
		sock.Send(ownedEvent(owner, i), "")
	}
	got := 0
	for got < frames {
		op, p, err := c.next(10 * time.Second)
		if err != nil {
			return fmt.Errorf("%s after %d of its frames: %w", owner, got, err)
		}
		switch {
		case op == opClose:
			return fmt.Errorf("%s was closed %q: an ended socket's close frame?", owner, p)
		case op != opText:
			continue
		case !strings.Contains(string(p), fmt.Sprintf(`"owner":%q,"event":"e%d"`, owner, got)):
			return fmt.Errorf("%s got %.80s as its frame %d", owner, p, got)
		}
		got++
	}
	return nil
}
