package ws

import (
	"errors"
	"net"
	"slices"
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
		var rest []byte
		if n > 0 {
			rest = wire[n:] // (a write(2) that fails takes nothing; defensive)
		}
		s.fail(err, rest)
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
		resumed := s.partial != nil // the first frame taken is the rest of one begun
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
			if !s.flush(frames, since, resumed) {
				return
			}
			deadlineSet = true
		}
		if closeReq != nil {
			s.writeClose(closeReq.code, closeReq.reason, nil)
			return
		}
	}
}

// flush writes frames in one writev(2), each before since+writeTimeout: no
// frame waits longer than writeTimeout from being queued to reaching the OS.
// resumed: frames[0] is the rest of a frame whose start went out already.
// It reports false when the socket is finished.
func (s *socket) flush(frames [][]byte, since time.Time, resumed bool) bool {
	if waited := s.now().Sub(since); waited >= s.writeTimeout {
		var rest []byte
		if resumed {
			rest = frames[0]
		}
		s.giveUp(waited, rest)
		return false
	}
	_ = s.conn.SetWriteDeadline(since.Add(s.writeTimeout))
	bufs := slices.Clone(net.Buffers(frames)) // WriteTo consumes its entries; frames stays whole
	n, err := bufs.WriteTo(s.conn)
	if err != nil {
		s.fail(err, restOfCut(frames, n, resumed))
		return false
	}
	for range frames {
		s.counts.Written()
	}
	return true
}

// restOfCut is what a write that took only the first n bytes of frames left
// unsent of the frame it stopped inside; nil when it stopped between frames.
// resumed: frames[0] is the rest of a frame begun earlier.
func restOfCut(frames [][]byte, n int64, resumed bool) []byte {
	if n <= 0 {
		if resumed {
			return frames[0]
		}
		return nil
	}
	for _, f := range frames {
		if n < int64(len(f)) {
			return f[n:]
		}
		n -= int64(len(f))
		if n == 0 {
			return nil
		}
	}
	return nil
}

// fail handles a failed write; rest is the unsent part of the frame it
// stopped inside (nil: it stopped between frames). A timeout is a client
// that stopped reading (a slow consumer, 4002) or an Abort's deadline
// cutting the write short: the close frame is attempted. A broken
// connection just ends.
func (s *socket) fail(err error, rest []byte) {
	if !isTimeout(err) {
		if !s.closing() {
			s.log.Debug("write failed", zap.Error(err))
		}
		s.endWrite()
		return
	}
	s.giveUp(s.writeTimeout, rest)
}

// giveUp ends a write side whose frames did not reach the client in time,
// with the close requested (an Abort cut the write short; whoever aborted
// logged why), else with 4002 (a slow consumer). rest is what is unsent of
// a frame already begun: it goes first, as nothing else may follow part of
// a frame (a close frame there would be read as that frame's payload).
func (s *socket) giveUp(waited time.Duration, rest []byte) {
	s.mu.Lock()
	req := s.closeReq
	s.mu.Unlock()
	code, reason := protocol.CloseSlowConsumer, protocol.CodeSlowConsumer
	if req != nil {
		code, reason = req.code, req.reason
	} else {
		s.slowConsumer(waited)
	}
	s.writeClose(code, reason, rest)
}

func (s *socket) slowConsumer(waited time.Duration) {
	s.counts.SlowConsumerClosed()
	s.log.Warn("slow consumer: frames unsent past the write timeout; closing",
		zap.Duration("waited", waited), zap.Duration("write_timeout", s.writeTimeout), zap.Int("close_code", protocol.CloseSlowConsumer))
}

// writeClose ends the write side with a close frame, best effort: within
// closeGrace, the rest of a frame begun (rest, nil if none) and the close
// frame go out in one write. A client that takes less just sees the
// connection end, at worst inside a frame, with nothing behind it. The
// caller holds the writing turn.
func (s *socket) writeClose(code int, reason string, rest []byte) {
	s.mu.Lock()
	if s.closeReq == nil {
		// Its own close (4002): a later Close or Abort is then a no-op, and
		// Abort's past deadline cannot cut this write short.
		s.closeReq = &closeRequest{code: code, reason: reason}
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(closeGrace)) // after any Abort's (both under s.mu)
	s.mu.Unlock()
	bufs := net.Buffers{closeFrame(code, reason)}
	if len(rest) > 0 {
		bufs = net.Buffers{rest, bufs[0]}
	}
	if n, err := bufs.WriteTo(s.conn); err != nil {
		s.log.Debug("close frame not sent: the client took too little within the grace", zap.Int("close_code", code),
			zap.Int64("bytes_written", n), zap.Int("rest_of_frame", len(rest)), zap.Error(err))
	}
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
