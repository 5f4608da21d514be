package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// widget is one goal widget of the run. sent[seq] is when the action that
// sets the goal to seq left (unix ns): the value travels in the state, so a
// subscriber that sees it knows that action's age.
type widget struct {
	id, token string
	sent      []atomic.Int64
	seq       atomic.Int64 // last seq sent
	final     atomic.Int64 // highest version acknowledged
}

// session is one socket: an OBS view (widget token, one widget) or a
// manager (user JWT: subscribes to and acts on its widgets). It reconnects
// by itself, as the overlay does.
type session struct {
	id      int
	manager bool
	token   string
	widgets []*widget
	index   map[string]int
	last    []atomic.Int64 // per widget: last version applied; -1: subscription refused
	initial []atomic.Int64 // per widget: version of the last initial state
	c       atomic.Pointer[conn]
	ready   atomic.Bool // authenticated, every initial state received
	storm   atomic.Bool // the tool cut this socket on purpose: not a disconnect
	samples []sample    // owned by the session's goroutine
}

// sample is one measured latency, for samples.csv.
type sample struct {
	at      time.Duration // since the first connect
	kind    byte          // 'u' update, 'r' response, 'c' connect
	latency time.Duration
}

var errStopping = errors.New("stopping")

// loop connects, reads until the socket ends, and reconnects until the run stops.
func (s *session) loop(ctx context.Context, r *run, delay time.Duration) {
	if !sleepCtx(ctx, delay) {
		return
	}
	backoff := 250 * time.Millisecond
	for ctx.Err() == nil {
		err := s.connectAndRead(ctx, r)
		if ctx.Err() != nil || errors.Is(err, errStopping) {
			return
		}
		if s.storm.Swap(false) {
			backoff = 250 * time.Millisecond
			continue // everyone reconnects at once
		}
		r.countError("connect", err)
		if !sleepCtx(ctx, backoff/2+time.Duration(rand.Int64N(int64(backoff)))) {
			return
		}
		backoff = min(backoff*2, 4*time.Second)
	}
}

// dial takes a dial slot and opens one connection for the session; the
// returned func closes it and takes it off the connected count. The slot
// is the caller's to give back once the connection is set up.
func (s *session) dial(ctx context.Context, r *run) (*conn, time.Time, func(), error) {
	select {
	case r.dialSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, time.Time{}, nil, errStopping
	}
	t0 := time.Now()
	ws, err := r.dialer.dial(ctx)
	if err != nil {
		<-r.dialSlots
		return nil, t0, nil, err
	}
	c := &conn{ws: ws}
	s.c.Store(c)
	stop := context.AfterFunc(ctx, c.abort)
	return c, t0, func() {
		stop()
		s.c.Store(nil)
		if s.ready.Swap(false) {
			r.connected.Add(-1)
		}
		_ = ws.Close()
	}, nil
}

// connectAndRead runs one connection; its error says how it ended.
func (s *session) connectAndRead(ctx context.Context, r *run) error {
	if r.cfg.Target == TargetCentrifuge {
		return s.connectAndReadCentrifuge(ctx, r)
	}
	c, t0, closeConn, err := s.dial(ctx, r)
	if err != nil {
		return err
	}
	defer closeConn()
	ws := c.ws
	err = c.write(authFrame(s.token))
	for _, w := range s.widgets {
		if err == nil {
			err = c.write(subscribeFrame(w.id))
		}
	}
	if err != nil {
		<-r.dialSlots
		return err
	}
	pending := len(s.widgets)
	released := false
	release := func() {
		if !released {
			released = true
			<-r.dialSlots
		}
	}
	defer release()
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			if ctx.Err() != nil || r.stopping.Load() {
				return errStopping
			}
			if !s.storm.Load() {
				r.countClose(closeCode(err))
			}
			return fmt.Errorf("read: %w", err)
		}
		now := time.Now()
		f, current, err := parseFrame(data)
		if err != nil {
			r.countError("bad_frame", err)
			continue
		}
		switch f.Type {
		case "WIDGET_STATE_UPDATE":
			s.onUpdate(r, f, current, now)
		case "WIDGET_INITIAL_STATE":
			if i, ok := s.index[f.WidgetID]; ok {
				r.onInitial(s, i, f.Version)
				if pending--; pending == 0 {
					s.ready.Store(true)
					r.connected.Add(1)
					s.record(r, 'c', now, now.Sub(t0))
					release()
					_ = ws.SetReadDeadline(time.Time{})
				}
			}
		case "WIDGET_ACTION_RESPONSE":
			s.onResponse(r, f, now)
		case "ERROR":
			r.countError(f.Code, nil)
			if strings.HasPrefix(f.RequestID, "sub:") {
				if i, ok := s.index[f.WidgetID]; ok {
					s.last[i].Store(-1)
					if pending--; pending == 0 {
						release()
						_ = ws.SetReadDeadline(time.Time{})
					}
				}
			}
		}
	}
}

func (s *session) onUpdate(r *run, f frame, current int64, now time.Time) {
	i, ok := s.index[f.WidgetID]
	if !ok {
		return
	}
	r.at(now).deliveries.Add(1)
	r.deliveries.Add(1)
	last := s.last[i].Load()
	switch {
	case f.Version == last && last == s.initial[i].Load():
		r.initialRepeats.Add(1) // the update of the state the initial state already had
	case f.Version == last:
		r.duplicates.Add(1)
	case f.Version < last:
		r.outOfOrder.Add(1)
		return
	default:
		if last > 0 {
			r.coalesced.Add(f.Version - last - 1)
		}
		s.last[i].Store(f.Version)
	}
	w := s.widgets[i]
	if current > 0 && current < int64(len(w.sent)) {
		if t := w.sent[current].Load(); t != 0 {
			s.record(r, 'u', now, now.Sub(time.Unix(0, t)))
		}
	}
}

func (r *run) onInitial(s *session, i int, version int64) {
	last := s.last[i].Load()
	switch {
	case last > 0 && version < last:
		r.outOfOrder.Add(1) // a reconnect must never go back in time
		return
	case last > 0:
		r.skippedAway.Add(version - last) // changes made while this socket was away
	}
	s.last[i].Store(version)
	s.initial[i].Store(version)
}

func (s *session) onResponse(r *run, f frame, now time.Time) {
	i, ok := s.index[f.WidgetID]
	seq, err := strconv.ParseInt(f.RequestID, 10, 64)
	if !ok || err != nil {
		return
	}
	w := s.widgets[i]
	if seq > 0 && seq < int64(len(w.sent)) {
		if t := w.sent[seq].Load(); t != 0 {
			s.record(r, 'r', now, now.Sub(time.Unix(0, t)))
		}
	}
	if !f.Success {
		r.at(now).failed.Add(1)
		r.countError(f.Code, nil)
		return
	}
	r.at(now).acked.Add(1)
	r.acked.Add(1)
	for {
		v := w.final.Load()
		if f.Version <= v || w.final.CompareAndSwap(v, f.Version) {
			return
		}
	}
}

func (s *session) record(r *run, kind byte, now time.Time, d time.Duration) {
	sec := r.at(now)
	switch kind {
	case 'u':
		sec.update.record(d)
		r.updates.record(d)
	case 'r':
		sec.response.record(d)
		r.responses.record(d)
	case 'c':
		sec.connect.record(d)
		r.connects.record(d)
	}
	if r.keepSamples {
		s.samples = append(s.samples, sample{at: now.Sub(r.ser.start), kind: kind, latency: d})
	}
}

// send runs a manager's actions: its widgets in turn, ActionRate each, on a
// fixed schedule from start; actions due while disconnected are skipped.
func (s *session) send(ctx context.Context, r *run, start, end time.Time) {
	if r.cfg.ActionRate <= 0 || len(s.widgets) == 0 {
		return
	}
	every := time.Duration(float64(time.Second) / (r.cfg.ActionRate * float64(len(s.widgets))))
	// Stagger managers so their actions do not all leave in the same instant.
	offset := time.Duration(rand.Int64N(int64(every) + 1))
	var buf []byte
	for k := 0; ; k++ {
		due := start.Add(offset + time.Duration(k)*every)
		if !due.Before(end) || !sleepCtx(ctx, time.Until(due)) {
			return
		}
		w := s.widgets[k%len(s.widgets)]
		c := s.c.Load()
		if c == nil || !s.ready.Load() {
			r.skipped.Add(1)
			continue
		}
		seq := w.seq.Load() + 1
		if seq >= int64(len(w.sent)) {
			continue
		}
		w.seq.Store(seq)
		now := time.Now()
		w.sent[seq].Store(now.UnixNano())
		r.at(now).sent.Add(1)
		r.sent.Add(1)
		buf = actionFrame(buf, w.id, seq)
		if err := c.write(buf); err != nil {
			r.countError("send", err)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
