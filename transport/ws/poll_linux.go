//go:build linux

package ws

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"

	"go.uber.org/zap"
)

// poller reads every idle socket of a server from one goroutine with its
// own epoll set, so a socket has no goroutine (and no stack) of its own
// while nothing happens on it. When a socket has bytes to read, the loop
// reads them without blocking, parses the complete frames and hands them on
// as the reader goroutine would; the bytes of an incomplete frame wait in
// the socket's entry. Go's own poller keeps watching the same descriptors
// for the socket's writes.
type poller struct {
	efd  int
	wake [2]int // a pipe in the epoll set: a byte written ends the loop (stop)
	log  *zap.Logger

	stopOnce sync.Once

	mu      sync.Mutex
	entries map[int32]*pollEntry // fd -> socket
	// closed: the loop ended and closed efd and the pipe. Their numbers may
	// belong to any descriptor opened since (another server's epoll set),
	// so nothing may use them any more: epoll_ctl and the wake write check
	// this under mu, and the loop closes them under mu.
	closed bool
}

// pollEntry is one socket in the poller: the parse state between reads.
// Only the poll loop touches it.
type pollEntry struct {
	r    *reader
	raw  syscall.RawConn
	fd   int32
	pend []byte // bytes of an incomplete frame
	op   byte   // opcode of a fragmented message in progress (0: none)
	msg  []byte // its fragments so far
	done bool   // removed: read nothing more
}

func newPoller(log *zap.Logger) *poller {
	efd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		log.Warn("epoll unavailable: one reader goroutine per socket", zap.Error(err))
		return nil
	}
	p := &poller{efd: efd, log: log, entries: map[int32]*pollEntry{}}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		_ = syscall.Close(efd)
		log.Warn("epoll unavailable: one reader goroutine per socket", zap.Error(err))
		return nil
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wake[0])}
	if err := syscall.EpollCtl(efd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.closeFDs()
		log.Warn("epoll unavailable: one reader goroutine per socket", zap.Error(err))
		return nil
	}
	go p.loop()
	return p
}

// stop ends the loop (the server shut down; its sockets are closing).
// Sockets it still reads end with their write side (Shutdown closed them);
// sockets offered later are refused (add), so their handler reads them.
func (p *poller) stop() {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.closed {
			_, _ = syscall.Write(p.wake[1], []byte{1})
		}
	})
}

// shut closes the loop's descriptors, from the loop as it ends.
func (p *poller) shut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.closeFDs()
}

func (p *poller) closeFDs() {
	_ = syscall.Close(p.efd)
	_ = syscall.Close(p.wake[0])
	_ = syscall.Close(p.wake[1])
}

// add makes the poller read r's socket, starting with pending (bytes
// already read past the upgrade). It reports false when conn cannot be
// polled; the caller then reads it on a goroutine.
func (p *poller) add(r *reader, conn net.Conn, pending []byte) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	e := &pollEntry{r: r, raw: raw}
	_ = raw.Control(func(fd uintptr) { e.fd = int32(fd) })
	if len(pending) > 0 {
		e.pend = pending
	}
	// Under p.mu, so a remove (onEnd runs it on a goroutine of its own)
	// waits until the entry is in; the write side may already have ended
	// (Shutdown's close frame): then nothing would call onEnd, and the
	// caller's reader, which sees the ended socket, ends the session.
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false // stopped (a socket detached during Shutdown)
	}
	r.sock.mu.Lock()
	ended := r.sock.ended
	if !ended {
		r.sock.onEnd = func() { p.remove(e) } // the writer ended: stop reading
	}
	r.sock.mu.Unlock()
	if ended {
		return false
	}
	p.entries[e.fd] = e
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: e.fd}
	if err := syscall.EpollCtl(p.efd, syscall.EPOLL_CTL_ADD, int(e.fd), &ev); err != nil {
		delete(p.entries, e.fd)
		r.sock.mu.Lock()
		r.sock.onEnd = nil // (one already under way finds no entry; the session ends once)
		r.sock.mu.Unlock()
		return false
	}
	if len(pending) > 0 {
		p.readSoon(e) // frames sent with the handshake
	}
	return true
}

// remove stops reading e's socket and ends its session (once), off the
// poll loop: ending waits for a flush under way.
func (p *poller) remove(e *pollEntry) {
	p.mu.Lock()
	p.removeLocked(e)
	p.mu.Unlock()
}

// readSoon reads e now (bytes that came with the handshake), outside the loop.
func (p *poller) readSoon(e *pollEntry) {
	go func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.entries[e.fd] == e {
			p.readable(e)
		}
	}()
}

func (p *poller) loop() {
	events := make([]syscall.EpollEvent, 128)
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.EpollWait(p.efd, events, -1)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			p.log.Error("epoll wait failed; sockets are no longer read", zap.Error(err))
			p.shut()
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd == int32(p.wake[0]) {
				p.shut()
				return
			}
			p.mu.Lock()
			if e := p.entries[ev.Fd]; e != nil {
				p.readInto(e, buf)
			}
			p.mu.Unlock()
		}
	}
}

// readable reads e with a buffer of its own (outside the loop).
func (p *poller) readable(e *pollEntry) { p.readInto(e, make([]byte, 4096)) }

// readInto reads what e's socket has, without blocking, and handles its
// complete frames; under p.mu. A panic ends this socket only.
func (p *poller) readInto(e *pollEntry, buf []byte) {
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("socket read panicked", zap.Any("panic", v), zap.Stack("stack"))
			p.removeLocked(e)
		}
	}()
	for !e.done {
		var n int
		var rerr error
		err := e.raw.Read(func(fd uintptr) bool {
			n, rerr = syscall.Read(int(fd), buf)
			return true // one attempt: the loop waits, not this socket
		})
		switch {
		case errors.Is(rerr, syscall.EAGAIN):
			if len(e.pend) > 0 && !e.done {
				e.parse(nil, p)
			}
			return
		case errors.Is(rerr, syscall.EINTR):
			continue
		case err != nil || rerr != nil:
			p.removeLocked(e)
			return
		case n <= 0:
			e.r.readFailed(io.EOF)
			p.removeLocked(e)
			return
		}
		e.parse(buf[:n], p)
		if n < len(buf) {
			return // the kernel had no more; level-triggered epoll reports what comes next
		}
	}
}

// removeLocked is remove under p.mu. The entry is only deleted when it is
// still e's: the number may already be another socket's.
func (p *poller) removeLocked(e *pollEntry) {
	e.done = true
	if p.entries[e.fd] == e {
		delete(p.entries, e.fd)
		if !p.closed { // (a closed set took its registrations with it)
			_ = syscall.EpollCtl(p.efd, syscall.EPOLL_CTL_DEL, int(e.fd), nil)
		}
	}
	go e.r.end()
}

// parse handles the complete frames of e.pend+in, keeping the rest.
func (e *pollEntry) parse(in []byte, p *poller) {
	data := in
	if len(e.pend) > 0 {
		data = append(e.pend, in...)
	}
	src := bytes.NewReader(data)
	f := frameReader{r: src, limit: e.r.frames.limit}
	for !e.done {
		start := len(data) - src.Len()
		if start == len(data) {
			e.pend = nil
			return
		}
		if !complete(data[start:], f.limit-int64(len(e.msg))) {
			// An incomplete frame: wait for the rest. When it was already
			// pending, data is its own growing slice: keep it rather than
			// copy the frame on every read (a trickle would cost O(n²)).
			if start == 0 && len(e.pend) > 0 {
				e.pend = data
			} else {
				e.pend = bytes.Clone(data[start:]) // in is the loop's buffer
			}
			return
		}
		fr, err := f.next(int64(len(e.msg)))
		if err == nil {
			err = e.frame(fr)
		}
		if err != nil {
			e.r.readFailed(err)
			p.removeLocked(e)
			return
		}
	}
}

// frame handles one frame as frameReader.message and the read loop do.
func (e *pollEntry) frame(fr frame) error {
	r := e.r
	if fr.op >= opClose {
		if err := r.onControl(fr.op, fr.payload); err != nil {
			return err
		}
		if fr.op == opClose {
			return io.EOF
		}
		return nil
	}
	switch {
	case fr.op == opContinuation && e.op == 0:
		return protocolErr("continuation without a message")
	case fr.op != opContinuation && e.op != 0:
		return protocolErr("new message inside a fragmented one")
	case fr.op != opContinuation:
		e.op = fr.op
	}
	if e.msg == nil {
		e.msg = fr.payload
	} else {
		e.msg = append(e.msg, fr.payload...)
	}
	if !fr.fin {
		return nil
	}
	op, msg := e.op, e.msg
	if msg == nil {
		msg = []byte{}
	}
	e.op, e.msg = 0, nil
	r.extendIdle()
	r.onFrame(op, msg)
	return nil
}
