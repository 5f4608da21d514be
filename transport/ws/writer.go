package ws

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// writerCount counts the writer goroutines running on this server: an idle
// socket has none (docs/PERFORMANCE.md, memory per idle socket).
type writerCount struct{ n atomic.Int64 }

func (w *writerCount) add(d int64) {
	if w != nil {
		w.n.Add(d)
	}
}

// writeFirst writes a frame that found nothing queued and no writer, from
// the goroutine that queued it (the relay, the connection actor), without
// blocking. What the kernel does not take waits for a writer goroutine.
// The caller set s.writing.
func (s *socket) writeFirst(wire []byte) {
	n, err := s.tryWrite(wire)
	if err != nil {
		s.fail(err, n > 0)
		s.wg.Done() // the writing turn ends with the write side
		return
	}
	s.counts.Written()
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < len(wire) {
		s.partial = wire[n:] // EAGAIN or a partial write: the rest goes first
		s.since = s.now()
	}
	if s.partial == nil && s.live == 0 && s.closeReq == nil {
		s.writing = false
		s.wg.Done()
		return
	}
	s.spawnLocked()
}

// tryWrite is one non-blocking write(2); EAGAIN and EINTR count as nothing
// written, not as errors.
func (s *socket) tryWrite(b []byte) (int, error) {
	var n int
	var werr error
	err := s.raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true // one attempt: never wait for the socket to drain
	})
	if n < 0 {
		n = 0
	}
	if errors.Is(werr, syscall.EAGAIN) || errors.Is(werr, syscall.EINTR) {
		werr = nil
	}
	if werr == nil {
		werr = err // e.g. a deadline in the past (Abort), or a closed connection
	}
	return n, werr
}

// startWriter makes sure a writer will send what is queued; under s.mu.
func (s *socket) startWriter() {
	if s.writing || s.stopped || s.ended || s.conn == nil {
		return
	}
	s.writing = true
	s.wg.Add(1)
	s.spawnLocked()
}

// spawnLocked starts the writer goroutine; the caller holds s.mu and a
// writing turn (s.writing, counted in s.wg), which the goroutine takes over.
func (s *socket) spawnLocked() {
	s.writers.add(1)
	go s.drain()
}

// drain writes until the queue is empty, then ends: a socket has a writer
// goroutine only while frames wait for the client.
func (s *socket) drain() {
	defer s.writers.add(-1)
	defer s.wg.Done()
	deadlineSet := false
	for {
		s.mu.Lock()
		if s.stopped && s.closeReq == nil {
			// The reader ended (the client went away): nothing to send to.
			s.endLocked()
			s.mu.Unlock()
			return
		}
		frames, since, closeReq := s.takeLocked()
		if len(frames) == 0 && closeReq == nil {
			if deadlineSet {
				// First attempts write without waiting, but a deadline in
				// the past would fail them. Cleared while this writer still
				// holds the turn, so it cannot clear the next writer's.
				s.mu.Unlock()
				_ = s.conn.SetWriteDeadline(time.Time{})
				deadlineSet = false
				continue
			}
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if len(frames) > 0 {
			if !s.flush(frames, since) {
				return
			}
			deadlineSet = true
		}
		if closeReq != nil {
			s.writeClose(closeReq.code, closeReq.reason)
			return
		}
	}
}

// flush writes frames in one writev(2), each before since+writeTimeout: no
// frame waits longer than writeTimeout from being queued to reaching the OS.
// It reports false when the socket is finished.
func (s *socket) flush(frames [][]byte, since time.Time) bool {
	if waited := s.now().Sub(since); waited >= s.writeTimeout {
		// Stuck between frames: the close frame may still get through.
		s.slowConsumer(waited)
		s.writeClose(protocol.CloseSlowConsumer, protocol.CodeSlowConsumer)
		return false
	}
	_ = s.conn.SetWriteDeadline(since.Add(s.writeTimeout))
	bufs := net.Buffers(frames)
	n, err := bufs.WriteTo(s.conn)
	if err != nil {
		s.fail(err, n > 0)
		return false
	}
	for range frames {
		s.counts.Written()
	}
	return true
}

// fail handles a failed write. A timeout means the client stopped reading:
// that is a slow consumer (4002). After part of a frame nothing else can be
// written, so the client just sees the TCP connection end; otherwise the
// close frame is attempted.
func (s *socket) fail(err error, midFrame bool) {
	if s.closing() {
		s.endWrite() // an Abort cut the write short; whoever aborted has logged why
		return
	}
	if !isTimeout(err) {
		s.log.Debug("write failed", zap.Error(err))
		s.endWrite()
		return
	}
	s.slowConsumer(s.writeTimeout)
	if midFrame {
		s.endWrite()
		return
	}
	s.writeClose(protocol.CloseSlowConsumer, protocol.CodeSlowConsumer)
}

func (s *socket) slowConsumer(waited time.Duration) {
	s.counts.SlowConsumerClosed()
	s.log.Warn("slow consumer: frames unsent past the write timeout; closing",
		zap.Duration("waited", waited), zap.Duration("write_timeout", s.writeTimeout), zap.Int("close_code", protocol.CloseSlowConsumer))
}

// writeClose sends a close frame, best effort, and ends the write side.
func (s *socket) writeClose(code int, reason string) {
	s.mu.Lock() // ordered with Abort's deadline
	_ = s.conn.SetWriteDeadline(time.Now().Add(closeGrace))
	s.mu.Unlock()
	_, _ = s.conn.Write(closeFrame(code, reason))
	s.endWrite()
}

// endWrite ends the write side for good: no more frames, the reader is
// unblocked (so the handler, and with it the connection actor, end too).
func (s *socket) endWrite() {
	s.mu.Lock()
	s.endLocked()
	s.mu.Unlock()
}

func (s *socket) endLocked() {
	if s.ended {
		return
	}
	s.ended = true
	s.queue, s.partial, s.byKey, s.classes = nil, nil, nil, nil
	close(s.done)
	// conn.Close alone does not end a read in progress; a past deadline does.
	_ = s.conn.SetReadDeadline(time.Now())
	if s.onEnd != nil {
		go s.onEnd() // the poller's reader (poll_linux.go); not under s.mu
	}
}
