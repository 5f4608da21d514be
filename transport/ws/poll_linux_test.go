//go:build linux

package ws

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

// pollReader is a reader for conn as handle makes it, without a server:
// ended is closed when its session ends.
func pollReader(conn net.Conn) (r *reader, ended chan struct{}) {
	ended = make(chan struct{})
	sock := newSocket(conn, 8, time.Second, nil)
	r = &reader{sock: sock, conn: conn, frames: frameReader{r: conn, limit: 1 << 14}, polled: true,
		end: sync.OnceFunc(func() { close(ended) })}
	return r, ended
}

// fdOf is conn's descriptor number.
func fdOf(t *testing.T, conn net.Conn) int {
	t.Helper()
	fd := fdNum(conn)
	if fd < 0 {
		t.Fatal("no descriptor")
	}
	return fd
}

// isEpoll reports whether descriptor fd is open and an epoll set.
func isEpoll(fd int) bool {
	link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	return err == nil && link == "anon_inode:[eventpoll]"
}

// epollWatches reports whether epoll set epfd watches descriptor fd.
func epollWatches(t *testing.T, epfd, fd int) bool {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", epfd))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		var tfd int
		if _, err := fmt.Sscanf(line, "tfd: %d", &tfd); err == nil && tfd == fd {
			return true
		}
	}
	return false
}

// epollAt creates an epoll set numbered fd (the lowest free number, which
// the kernel gives out next), or skips the test when another descriptor
// took that number first.
func epollAt(t *testing.T, fd int) int {
	t.Helper()
	var extra []int
	defer func() {
		for _, e := range extra {
			_ = syscall.Close(e)
		}
	}()
	for range 64 {
		e, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case e == fd:
			t.Cleanup(func() { _ = syscall.Close(e) })
			return e
		case e > fd:
			_ = syscall.Close(e)
			t.Skipf("descriptor %d was taken by something else before the test could", fd)
		}
		extra = append(extra, e) // a lower number freed meanwhile: hold it, try again
	}
	t.Skip("could not reach the descriptor number")
	return -1
}

// TestStoppedPollerTouchesNoReusedDescriptor: once the poll loop has ended
// (Shutdown stops it, after at most its deadline, while sockets may still
// be ending or being detached), the numbers of its epoll set and pipe are
// free, and the kernel hands them to the next descriptor opened: here an
// epoll set of someone else, as another server's poller would be. A socket
// detached after the stop must not be registered into that set (nothing
// would read it, and that set's loop would spin on it), and a socket
// ending after the stop must not take that set's registrations out.
func TestStoppedPollerTouchesNoReusedDescriptor(t *testing.T) {
	p := newPoller(zap.NewNop())
	if p == nil {
		t.Skip("no epoll")
	}
	a := tcpPair(t)
	ra, endedA := pollReader(a)
	if !p.add(ra, a, nil) {
		t.Fatal("the poller refused a socket before stopping")
	}
	efd := p.efd
	p.stop()
	eventually(t, 5*time.Second, "the poll loop closes its epoll set", func() bool { return !isEpoll(efd) })
	other := epollAt(t, efd)
	// Another socket with a's descriptor number, watched by the other set:
	// stand in with a itself (what matters is the number).
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fdOf(t, a))}
	if err := syscall.EpollCtl(other, syscall.EPOLL_CTL_ADD, fdOf(t, a), &ev); err != nil {
		t.Fatal(err)
	}

	b := tcpPair(t)
	rb, _ := pollReader(b)
	if p.add(rb, b, nil) {
		t.Error("a stopped poller took a socket: nothing will ever read it (the caller must read it itself)")
	}
	if epollWatches(t, other, fdOf(t, b)) {
		t.Error("a socket detached after the stop was registered into another epoll set that took the poller's number")
	}

	ra.sock.endWrite() // a's write side ends (its close frame went out): the poller lets go of it
	select {
	case <-endedA:
	case <-time.After(5 * time.Second):
		t.Fatal("a socket ending after the stop never ended its session")
	}
	if !epollWatches(t, other, fdOf(t, a)) {
		t.Error("a socket ending after the stop took its number out of another epoll set")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.entries); n != 0 {
		t.Errorf("%d entries left in the stopped poller", n)
	}
}
