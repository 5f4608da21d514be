package ws

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

// Hostile and crowded clients against the hand-written frame reader and the
// poller (frames.go, poll_linux.go): a raw TCP client speaks the protocol
// byte by byte.

const upgradeRequest = "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// rawClient is a socket spoken to with hand-made frames.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

// rawDial upgrades a raw TCP connection, sending extra in the same write as
// the request, and reads the 101.
func (ts *testServer) rawDial(t testing.TB, extra []byte) *rawClient {
	t.Helper()
	return ts.rawDialBuf(t, extra, 0)
}

// rawDialBuf is rawDial with the client's kernel receive buffer (SO_RCVBUF)
// set to readBuffer bytes before connecting (0: the OS's), so a client that
// stops reading backs the server's writes up within a few kilobytes.
func (ts *testServer) rawDialBuf(t testing.TB, extra []byte, readBuffer int) *rawClient {
	t.Helper()
	c, err := rawDialErr(ts.addr, extra, readBuffer)
	if err != nil {
		t.Fatal(err)
	}
	c.t = t
	t.Cleanup(func() { _ = c.conn.Close() })
	return c
}

// rawDialErr is rawDialBuf for other goroutines than the test's: it
// reports errors, and the caller closes the connection.
func rawDialErr(addr string, extra []byte, readBuffer int) (*rawClient, error) {
	var d net.Dialer
	if readBuffer > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, readBuffer)
			})
		}
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(append([]byte(fmt.Sprintf(upgradeRequest, addr)), extra...)); err != nil {
		_ = conn.Close()
		return nil, err
	}
	c := &rawClient{conn: conn, br: bufio.NewReader(conn)}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	status, err := c.br.ReadString('\n')
	if err != nil || !bytes.HasPrefix([]byte(status), []byte("HTTP/1.1 101")) {
		_ = conn.Close()
		return nil, fmt.Errorf("handshake answered %q, %v", status, err)
	}
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("handshake headers: %w", err)
		}
		if line == "\r\n" {
			break
		}
	}
	return c, nil
}

func authFrame(requestID string) []byte {
	return clientFrame(opText, true, []byte(`{"type":"AUTH","token":"`+widgetToken+`","requestId":"`+requestID+`"}`))
}

// next reads one server frame (unmasked) within d.
func (c *rawClient) next(d time.Duration) (op byte, payload []byte, err error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(c.br, payload)
	return h[0] & 0x0f, payload, err
}

// awaitText reads server frames until a text frame containing want, within 3 s.
func (c *rawClient) awaitText(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	var seen []string
	for {
		op, p, err := c.next(time.Until(deadline))
		if err != nil {
			t.Fatalf("no text frame with %q (read: %v); frames so far %q", want, err, seen)
		}
		if op == opText && bytes.Contains(p, []byte(want)) {
			return
		}
		seen = append(seen, string(p))
	}
}

// closeCodeWithin reads until a close frame and returns its code; it fails
// the test when none comes within d (-1: the connection just ended).
func (c *rawClient) closeCodeWithin(d time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		op, p, err := c.next(time.Until(deadline))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			c.t.Fatalf("no close frame within %v", d)
		}
		if err != nil {
			return -1
		}
		if op == opClose {
			if len(p) < 2 {
				return 1005
			}
			return int(binary.BigEndian.Uint16(p))
		}
	}
}

// message reads text messages until one of the given type.
func (c *rawClient) message(typ string, d time.Duration) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		op, p, err := c.next(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", typ, err)
		}
		if op != opText {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(p, &m); err != nil {
			c.t.Fatalf("non-JSON %q", p)
		}
		if m["type"] == typ {
			return m
		}
	}
}

// TestControlFrameWithExtendedLengthIsRefusedAtOnce: a ping (or a reserved
// control opcode) announcing a 16- or 64-bit length is a protocol error the
// header alone shows (RFC 6455 §5.5). The poller must refuse it then, not
// keep buffering everything the client sends after it waiting for a
// payload that may be terabytes long.
func TestControlFrameWithExtendedLengthIsRefusedAtOnce(t *testing.T) {
	ts := startServer(t, Config{})
	headers := map[string][]byte{
		"ping 64-bit length":   binary.BigEndian.AppendUint64([]byte{0x80 | opPing, 0x80 | 127}, 1<<40),
		"ping 16-bit length":   binary.BigEndian.AppendUint16([]byte{0x80 | opPing, 0x80 | 126}, 60000),
		"opcode 0xB 64 bits":   binary.BigEndian.AppendUint64([]byte{0x80 | 0xB, 0x80 | 127}, 1<<40),
		"unfinished close":     {opClose, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0},
		"unmasked text, small": {0x80 | opText, 100},
	}
	for name, h := range headers {
		t.Run(name, func(t *testing.T) {
			c := ts.rawDial(t, authFrame("a"))
			c.message("AUTH_OK", 3*time.Second)
			if _, err := c.conn.Write(h); err != nil {
				t.Fatal(err)
			}
			if code := c.closeCodeWithin(2 * time.Second); code != 1002 && code != 1009 {
				t.Fatalf("closed with %d, want 1002 (protocol error)", code)
			}
		})
	}
}

// TestFramesAtEveryByteBoundary: a fragmented text message with a ping
// between its fragments, then a whole one, each byte in its own write,
// and then everything in one write (many frames in one segment): every
// message is answered, in order, and the ping gets its pong.
func TestFramesAtEveryByteBoundary(t *testing.T) {
	ts := startServer(t, Config{})
	req := func(id string) []byte { return []byte(`{"type":"NOPE","requestId":"` + id + `"}`) }
	stream := func(a, b string) []byte {
		m := req(a)
		return cat(
			clientFrame(opText, false, m[:5]),
			clientFrame(opPing, true, []byte("hi")),
			clientFrame(opContinuation, false, m[5:12]),
			clientFrame(opContinuation, true, m[12:]),
			clientFrame(opText, true, req(b)),
		)
	}
	// A pong waiting unsent is replaced by a newer one (RFC 6455 §5.5.3
	// allows answering only the latest ping): two streams in one write may
	// get a single pong.
	check := func(c *rawClient, want ...string) {
		t.Helper()
		var ids []string
		pong := false
		deadline := time.Now().Add(3 * time.Second)
		for len(ids) < len(want) || !pong {
			op, p, err := c.next(time.Until(deadline))
			if err != nil {
				t.Fatalf("after ids %v pong %v: %v", ids, pong, err)
			}
			switch op {
			case opPong:
				if string(p) != "hi" {
					t.Fatalf("pong %q", p)
				}
				pong = true
			case opText:
				var m map[string]any
				_ = json.Unmarshal(p, &m)
				if m["type"] != "ERROR" {
					t.Fatalf("answer %s", p)
				}
				ids = append(ids, fmt.Sprint(m["requestId"]))
			case opClose:
				t.Fatalf("closed: %q", p)
			}
		}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Fatalf("answers %v, want %v", ids, want)
		}
	}

	c := ts.rawDial(t, authFrame("a"))
	c.message("AUTH_OK", 3*time.Second)
	if tc, ok := c.conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	for _, b := range stream("b1", "b2") {
		if _, err := c.conn.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	check(c, "b1", "b2")
	if _, err := c.conn.Write(cat(stream("c1", "c2"), stream("c3", "c4"))); err != nil {
		t.Fatal(err)
	}
	check(c, "c1", "c2", "c3", "c4")

	// Split in two at every boundary, on sockets of their own.
	all := stream("d1", "d2")
	for i := 1; i < len(all); i += 7 {
		c := ts.rawDial(t, authFrame("a"))
		c.message("AUTH_OK", 3*time.Second)
		if _, err := c.conn.Write(all[:i]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
		if _, err := c.conn.Write(all[i:]); err != nil {
			t.Fatal(err)
		}
		check(c, "d1", "d2")
		_ = c.conn.Close()
	}
}

// TestInvalidUTF8TextIsClosed1007: RFC 6455 §8.1: a text message that is
// not UTF-8 fails the connection with 1007.
func TestInvalidUTF8TextIsClosed1007(t *testing.T) {
	ts := startServer(t, Config{})
	c := ts.rawDial(t, authFrame("a"))
	c.message("AUTH_OK", 3*time.Second)
	if _, err := c.conn.Write(clientFrame(opText, true, []byte("{\"type\":\"NOPE\",\"requestId\":\"\xff\xfe\"}"))); err != nil {
		t.Fatal(err)
	}
	if code := c.closeCodeWithin(3 * time.Second); code != 1007 {
		t.Fatalf("closed with %d, want 1007", code)
	}
}

// openFDs counts this process's descriptors.
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestSocketChurnNeverMixesSessions: many sockets connect, sign in, ask,
// and go away (politely, abruptly, or mid-frame) at once, so descriptor
// numbers are reused while others are being read. Every answer a socket
// gets is to its own request, and afterwards every socket, writer and
// descriptor is released.
func TestSocketChurnNeverMixesSessions(t *testing.T) {
	ts := startServer(t, Config{MessagesPerSecond: 1000, MessageBurst: 1000, MaxConnsPerIP: 1000})
	// Warm up (the server's listener, the poller).
	w := ts.rawDial(t, authFrame("w"))
	w.message("AUTH_OK", 3*time.Second)
	_ = w.conn.Close()
	eventually(t, 3*time.Second, "warm-up socket closed", func() bool { return ts.openSockets() == 0 })
	before := openFDs(t)

	const workers, rounds = 24, 12
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				if err := churnOnce(ts, g, r); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	eventually(t, 5*time.Second, "every socket untracked", func() bool { return ts.openSockets() == 0 })
	eventually(t, 5*time.Second, "every writer ended", func() bool { return ts.srv.writers.n.Load() == 0 })
	eventually(t, 5*time.Second, "every descriptor closed", func() bool { return openFDs(t) <= before })
	eventually(t, 3*time.Second, "every address slot returned", func() bool {
		ts.srv.ips.mu.Lock()
		defer ts.srv.ips.mu.Unlock()
		return len(ts.srv.ips.count) == 0
	})
	ts.srv.poll.mu.Lock()
	defer ts.srv.poll.mu.Unlock()
	if n := len(ts.srv.poll.entries); n != 0 {
		t.Fatalf("%d poller entries left", n)
	}
}

// churnOnce is one socket's life: sign in, ask a few times, check every
// answer is its own, leave one of three ways.
func churnOnce(ts *testServer, g, r int) error {
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	me := fmt.Sprintf("g%d-r%d", g, r)
	var out []byte
	out = append(out, fmt.Sprintf(upgradeRequest, ts.addr)...)
	out = append(out, authFrame(me+"-auth")...)
	for i := range 5 {
		out = append(out, clientFrame(opText, true, []byte(fmt.Sprintf(`{"type":"NOPE","requestId":"%s-%d"}`, me, i)))...)
	}
	if _, err := conn.Write(out); err != nil {
		return err
	}
	c := &rawClient{conn: conn, br: bufio.NewReader(conn)}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("%s handshake: %w", me, err)
		}
		if line == "\r\n" {
			break
		}
	}
	want := 0
	for want < 5 {
		op, p, err := c.next(5 * time.Second)
		if err != nil {
			return fmt.Errorf("%s after %d answers: %w", me, want, err)
		}
		if op != opText {
			if op == opClose {
				return fmt.Errorf("%s closed: %q", me, p)
			}
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(p, &m); err != nil {
			return fmt.Errorf("%s got non-JSON %q", me, p)
		}
		if m["type"] == "AUTH_OK" {
			continue
		}
		if id := fmt.Sprint(m["requestId"]); id != fmt.Sprintf("%s-%d", me, want) {
			return fmt.Errorf("%s got %s (%s)", me, id, p)
		}
		want++
	}
	switch r % 4 {
	case 3: // refused by the server (protocol error) while others read
		_, _ = conn.Write([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'})
		for {
			op, p, err := c.next(3 * time.Second)
			if err != nil {
				return fmt.Errorf("%s: no 1002 close: %w", me, err)
			}
			if op == opClose {
				if len(p) < 2 || binary.BigEndian.Uint16(p) != 1002 {
					return fmt.Errorf("%s: closed %q, want 1002", me, p)
				}
				return nil
			}
		}
	case 0: // polite
		_, _ = conn.Write(clientFrame(opClose, true, []byte{0x03, 0xe8}))
		_, _, _ = c.next(2 * time.Second)
	case 1: // mid-frame
		_, _ = conn.Write(clientFrame(opText, true, bytes.Repeat([]byte("z"), 500))[:100])
	}
	return nil
}

// TestPollerRefusesASocketAlreadyEnded: when a socket's write side ends
// before the poller takes it (Shutdown's close frame, a failed first write
// between the upgrade and add), nothing would ever end its session: the
// poller must not take it, and must keep no entry for its descriptor (a new
// connection given the same number would otherwise be read as the old one,
// or not at all).
func TestPollerRefusesASocketAlreadyEnded(t *testing.T) {
	p := newPoller(zap.NewNop())
	if p == nil {
		t.Skip("no epoll")
	}
	defer p.stop()
	conn := tcpPair(t)
	sock := newSocket(conn, 8, time.Second, nil)
	sock.endWrite() // e.g. Shutdown's close frame went out first
	ended := make(chan struct{})
	r := &reader{sock: sock, conn: conn, frames: frameReader{r: conn, limit: 1 << 14}, end: sync.OnceFunc(func() { close(ended) })}
	if p.add(r, conn, nil) {
		select {
		case <-ended:
		case <-time.After(2 * time.Second):
			t.Fatal("the poller took a socket whose write side had ended, and nothing ends its session")
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.entries) != 0 {
		t.Fatalf("%d entries left for an ended socket", len(p.entries))
	}
}

// TestShutdownReleasesSocketsMidFrame: sockets signed in and in the middle
// of a frame (a header, part of a payload) when the server shuts down are
// sent 1001, and every socket, poller entry, writer and descriptor goes.
func TestShutdownReleasesSocketsMidFrame(t *testing.T) {
	ts := startServer(t, Config{})
	before := openFDs(t)
	var clients []*rawClient
	for i := range 12 {
		c := ts.rawDial(t, authFrame("a"))
		c.message("AUTH_OK", 3*time.Second)
		f := clientFrame(opText, true, bytes.Repeat([]byte("q"), 300))
		switch i % 3 {
		case 0:
			_, _ = c.conn.Write(f[:1])
		case 1:
			_, _ = c.conn.Write(f[:50])
		}
		clients = append(clients, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts.srv.Shutdown(ctx)
	for i, c := range clients {
		if code := c.closeCodeWithin(3 * time.Second); code != 1001 {
			t.Errorf("socket %d closed with %d, want 1001", i, code)
		}
		_ = c.conn.Close()
	}
	if n := ts.openSockets(); n != 0 {
		t.Fatalf("%d sockets still tracked after Shutdown", n)
	}
	eventually(t, 3*time.Second, "every writer ended", func() bool { return ts.srv.writers.n.Load() == 0 })
	eventually(t, 3*time.Second, "every descriptor closed", func() bool { return openFDs(t) <= before })
}

// TestTrickledFrameIsNotCopiedPerRead: a frame arriving a byte per read
// (a slow link, or a client doing it on purpose) is kept as it grows, not
// copied whole on every read: 16 KiB sent that way must not make the
// server allocate O(n²) bytes (some 130 MB per message).
func TestTrickledFrameIsNotCopiedPerRead(t *testing.T) {
	f := clientFrame(opText, true, bytes.Repeat([]byte("t"), 16<<10-64))
	e := &pollEntry{r: &reader{frames: frameReader{limit: 16 << 10}}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range len(f) - 1 {
		e.parse(f[i:i+1], nil)
	}
	runtime.ReadMemStats(&after)
	if len(e.pend) != len(f)-1 {
		t.Fatalf("%d bytes pending, want %d", len(e.pend), len(f)-1)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 { // copied per read: ~130 MiB
		t.Fatalf("a %d-byte frame read a byte at a time allocated %d KiB", len(f), got>>10)
	}
}

// FuzzCompleteAgreesWithNext: the poller parses a frame once complete says
// it can, so the two must agree: while complete says "wait", next must only
// be short of bytes (never able to refuse the frame already); once it says
// "go", next must never be short of bytes (a refusal would otherwise end
// the socket without its close code).
func FuzzCompleteAgreesWithNext(f *testing.F) {
	f.Add(clientFrame(opText, true, []byte(`{"type":"AUTH"}`)))
	f.Add(binary.BigEndian.AppendUint16([]byte{0x81, 0x80 | 126}, 60000))
	f.Add(binary.BigEndian.AppendUint64([]byte{0x89, 0x80 | 127}, 1<<40))
	f.Add([]byte{0x81, 100})
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 1024
		fr := frameReader{r: bytes.NewReader(in), limit: limit}
		_, err := fr.next(0)
		short := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if c := complete(in, limit); c == short {
			t.Fatalf("complete=%v but next: %v", c, err)
		}
	})
}

// TestOversizeHeaderIsRefused1009: a length over the limit is refused
// with 1009 from the header and mask, before any of the payload.
func TestOversizeHeaderIsRefused1009(t *testing.T) {
	ts := startServer(t, Config{})
	c := ts.rawDial(t, authFrame("a"))
	c.message("AUTH_OK", 3*time.Second)
	if _, err := c.conn.Write(append(binary.BigEndian.AppendUint16([]byte{0x81, 0x80 | 126}, 60000), 1, 2, 3, 4)); err != nil {
		t.Fatal(err)
	}
	if code := c.closeCodeWithin(3 * time.Second); code != 1009 {
		t.Fatalf("closed with %d, want 1009", code)
	}
}
