package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The centrifuge target's viewers: the same dialer, socket wrapper, dial
// slots and bookkeeping as streamwidgets viewers (client.go, session.go),
// speaking Centrifuge's client protocol v2 in JSON — a connect command with
// the token, a subscribe, then publication pushes; the server's pings ({})
// are answered with a pong ({}) as the SDKs do.

const centrifugeWSPath = "/connection/websocket"

// Commands: ids 1 and 2 tell their replies apart.
const (
	cfConnectID   = 1
	cfSubscribeID = 2
)

func centrifugeConnectCmd(token string) []byte {
	b, _ := json.Marshal(map[string]any{"id": cfConnectID, "connect": map[string]string{"token": token, "name": "loadtest"}})
	return b
}

func centrifugeSubscribeCmd(channel string) []byte {
	b, _ := json.Marshal(map[string]any{"id": cfSubscribeID, "subscribe": map[string]string{"channel": channel}})
	return b
}

// cfReply is what the tool reads of a reply or push.
type cfReply struct {
	ID    uint32 `json:"id"`
	Error *struct {
		Code    uint32 `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Connect *struct {
		Pong bool `json:"pong"`
	} `json:"connect"`
	Subscribe json.RawMessage `json:"subscribe"`
	Push      *struct {
		Channel string `json:"channel"`
		Pub     *struct {
			Data json.RawMessage `json:"data"`
		} `json:"pub"`
		Disconnect *struct {
			Code   uint32 `json:"code"`
			Reason string `json:"reason"`
		} `json:"disconnect"`
	} `json:"push"`
}

// Kinds of server message.
const (
	cfPing = iota
	cfPublication
	cfOther
)

var cfPushPrefix = []byte(`{"push":{"channel":"`)

// parseCentrifuge reads one server message (a frame holds one or more, a
// line each). Publication pushes, nearly all the traffic, take a fast path
// (the library writes channel, then pub, then data as published) so the
// client's CPU stays small; anything else goes through encoding/json.
func parseCentrifuge(line []byte) (kind int, channel string, seq int64, rep cfReply, err error) {
	if len(line) == 2 && line[0] == '{' && line[1] == '}' {
		return cfPing, "", 0, rep, nil
	}
	if bytes.HasPrefix(line, cfPushPrefix) && bytes.Contains(line, []byte(`"pub":{`)) {
		ch, ok1 := stringField(line, `"channel":"`)
		n, ok2 := intField(line, `"seq":`)
		if ok1 && ok2 {
			return cfPublication, ch, n, rep, nil
		}
	}
	if err := json.Unmarshal(line, &rep); err != nil {
		return cfOther, "", 0, rep, err
	}
	if rep.Push != nil && rep.Push.Pub != nil {
		var d struct {
			Seq int64 `json:"seq"`
		}
		if err := json.Unmarshal(rep.Push.Pub.Data, &d); err != nil || d.Seq <= 0 {
			return cfOther, "", 0, rep, fmt.Errorf("publication without a sequence number: %s", rep.Push.Pub.Data)
		}
		return cfPublication, rep.Push.Channel, d.Seq, rep, nil
	}
	return cfOther, "", 0, rep, nil
}

// connectAndReadCentrifuge is connectAndRead for the centrifuge target:
// one connection's life, its error saying how it ended.
func (s *session) connectAndReadCentrifuge(ctx context.Context, r *run) error {
	c, t0, closeConn, err := s.dial(ctx, r)
	if err != nil {
		return err
	}
	defer closeConn()
	ws := c.ws
	w := s.widgets[0]
	err = c.write(centrifugeConnectCmd(s.token))
	if err == nil {
		err = c.write(centrifugeSubscribeCmd(w.id))
	}
	if err != nil {
		<-r.dialSlots
		return err
	}
	released := false
	release := func() {
		if !released {
			released = true
			<-r.dialSlots
			_ = ws.SetReadDeadline(time.Time{})
		}
	}
	defer release()
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	pong := false
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			if ctx.Err() != nil || r.stopping.Load() {
				return errStopping
			}
			r.countClose(closeCode(err))
			return fmt.Errorf("read: %w", err)
		}
		now := time.Now()
		for len(data) > 0 {
			var line []byte
			line, data, _ = bytes.Cut(data, []byte("\n"))
			if len(line) == 0 {
				continue
			}
			kind, channel, seq, rep, err := parseCentrifuge(line)
			switch {
			case err != nil:
				r.countError("bad_frame", err)
			case kind == cfPing:
				if pong {
					if err := c.write([]byte("{}")); err != nil {
						// At the end of a run the closing frame may
						// already be out when a ping arrives.
						if ctx.Err() != nil || r.stopping.Load() {
							return errStopping
						}
						return fmt.Errorf("pong: %w", err)
					}
				}
			case kind == cfPublication:
				if channel == w.id {
					s.onPublication(r, seq, now)
				}
			case rep.Error != nil:
				code := fmt.Sprintf("centrifuge_%d", rep.Error.Code)
				r.countError(code, errors.New(rep.Error.Message))
				switch rep.ID {
				case cfConnectID:
					return fmt.Errorf("connect: error %d %s", rep.Error.Code, rep.Error.Message)
				case cfSubscribeID:
					s.last[0].Store(-1)
					release()
				}
			case rep.ID == cfConnectID && rep.Connect != nil:
				pong = rep.Connect.Pong
			case rep.ID == cfSubscribeID && rep.Subscribe != nil:
				r.onCentrifugeSubscribed(s)
				s.ready.Store(true)
				r.connected.Add(1)
				s.record(r, 'c', now, now.Sub(t0))
				release()
			case rep.Push != nil && rep.Push.Disconnect != nil:
				r.countError(fmt.Sprintf("centrifuge_disconnect_%d", rep.Push.Disconnect.Code), errors.New(rep.Push.Disconnect.Reason))
			}
		}
	}
}

// onCentrifugeSubscribed: a first subscribe starts before any publication
// (the ramp-up ends before the publisher starts). A resubscribe after a
// reconnect does not get what was published meanwhile (Centrifugo recovers
// only channels with history, off by default): those count as skipped while
// reconnecting, as on streamwidgets, where the new initial state covers them.
func (r *run) onCentrifugeSubscribed(s *session) {
	last := s.last[0].Load()
	if now := s.widgets[0].seq.Load(); last > 0 && now > last {
		r.skippedAway.Add(now - last)
		s.last[0].Store(now)
	}
}

// onPublication checks and times one publication at a viewer. Centrifuge
// never coalesces: a gap is a publication this viewer lost (missing).
func (s *session) onPublication(r *run, seq int64, now time.Time) {
	r.at(now).deliveries.Add(1)
	r.deliveries.Add(1)
	last := s.last[0].Load()
	switch {
	case seq == last:
		r.duplicates.Add(1)
	case seq < last:
		r.outOfOrder.Add(1)
		return
	default:
		if seq > last+1 {
			r.missing.Add(seq - last - 1)
		}
		s.last[0].Store(seq)
	}
	w := s.widgets[0]
	if seq > 0 && seq < int64(len(w.sent)) {
		if t := w.sent[seq].Load(); t != 0 {
			s.record(r, 'u', now, now.Sub(time.Unix(0, t)))
		}
	}
}
