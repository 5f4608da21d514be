package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The centrifuge target's publisher: where streamwidgets gets goal actions
// from a manager socket, the baseline gets publications through its server
// API, as a backend publishes to Centrifugo: POST /api/publish
// {"channel", "data": {"seq": N, "sent": unix ns}} with X-API-Key.

// centrifugeChannel sets up the run's one channel (in place of creating a
// widget over REST) and its publisher. The viewers' connection token is
// the run's one user's: one credential per stream, as OBS views of a widget
// share its token.
func (r *run) centrifugeChannel(capacity int) []*widget {
	w := &widget{id: r.cfg.Channel, token: r.users[0].token, sent: make([]atomic.Int64, capacity)}
	r.users[0].widgets = []*widget{w}
	r.publisher = &session{id: r.cfg.ViewersPerWidget, manager: true, widgets: []*widget{w},
		index: map[string]int{w.id: 0}, last: make([]atomic.Int64, 1), initial: make([]atomic.Int64, 1)}
	return []*widget{w}
}

// publish sends ActionRate publications per second on a fixed schedule
// from start, one at a time and in order (a request still in flight when
// the next is due delays it: the stream's order is the publisher's). Each
// is timed from the moment it leaves; its API answer is the "response".
func (r *run) publish(ctx context.Context, start, end time.Time) {
	p := r.publisher
	if r.cfg.ActionRate <= 0 || p == nil {
		return
	}
	w := p.widgets[0]
	every := time.Duration(float64(time.Second) / r.cfg.ActionRate)
	var body []byte
	for k := 0; ; k++ {
		due := start.Add(time.Duration(k) * every)
		if !due.Before(end) || !sleepCtx(ctx, time.Until(due)) {
			return
		}
		seq := w.seq.Load() + 1
		if seq >= int64(len(w.sent)) {
			return
		}
		w.seq.Store(seq)
		now := time.Now()
		w.sent[seq].Store(now.UnixNano())
		r.at(now).sent.Add(1)
		r.sent.Add(1)
		body = publishBody(body, w.id, seq, now)
		code, err := r.postPublish(ctx, body)
		done := time.Now()
		p.record(r, 'r', done, done.Sub(now))
		if err != nil {
			r.at(done).failed.Add(1)
			r.countError(code, err)
			continue
		}
		r.at(done).acked.Add(1)
		r.acked.Add(1)
		w.final.Store(seq) // in order: each is the newest
	}
}

func publishBody(buf []byte, channel string, seq int64, sent time.Time) []byte {
	ch, _ := json.Marshal(channel)
	buf = append(buf[:0], `{"channel":`...)
	buf = append(buf, ch...)
	buf = append(buf, `,"data":{"seq":`...)
	buf = strconv.AppendInt(buf, seq, 10)
	buf = append(buf, `,"sent":`...)
	buf = strconv.AppendInt(buf, sent.UnixNano(), 10)
	return append(buf, `}}`...)
}

// postPublish sends one publish; on failure it returns an error code for
// the summary: http_401 (bad API key), centrifuge_102 (unknown channel), …
func (r *run) postPublish(ctx context.Context, body []byte) (code string, err error) {
	req, err := http.NewRequestWithContext(ctx, "POST", r.api.base+"/api/publish", bytes.NewReader(body))
	if err != nil {
		return "publish", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", r.cfg.APIKey)
	resp, err := r.api.client.Do(req)
	if err != nil {
		return "publish", fmt.Errorf("POST /api/publish: %w", err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("http_%d", resp.StatusCode), fmt.Errorf("POST /api/publish: HTTP %d %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    uint32 `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	switch err := json.Unmarshal(b, &out); {
	case err != nil:
		return "bad_reply", fmt.Errorf("POST /api/publish: %w: %s", err, b)
	case out.Error != nil:
		return fmt.Sprintf("centrifuge_%d", out.Error.Code), fmt.Errorf("POST /api/publish: error %d %s", out.Error.Code, out.Error.Message)
	case out.Result == nil:
		return "bad_reply", errors.New("POST /api/publish: neither result nor error")
	}
	return "", nil
}

// centrifugeErrors fills the centrifuge target's defaults and checks what
// it supports: the one-big-stream scenario (one channel, its viewers, a
// publish rate, a duration), no storm.
func (c *Config) centrifugeErrors() []error {
	if c.Channel == "" {
		c.Channel = "stream"
	}
	var errs []error
	if c.Profile != "one-big-stream" || c.Users != 1 || c.WidgetsPerUser != 1 || c.StormAt != 0 {
		errs = append(errs, errors.New("--target centrifuge runs the one-big-stream profile only (one channel: --viewers, --rate, --duration, --ramp-up, --settle)"))
	}
	if c.APIKey == "" {
		errs = append(errs, errors.New("--target centrifuge needs the server's API key (--centrifuge-api-key or $CENTRIFUGO_HTTP_API_KEY)"))
	}
	return errs
}

// centrifugeToken mints connection tokens as a Centrifugo application
// backend does with client.token.hmac_secret_key: HS256, "sub", "exp".
func centrifugeToken(secret string) func(user string) (string, error) {
	return func(user string) (string, error) {
		claims := jwt.RegisteredClaims{Subject: user, ExpiresAt: jwt.NewNumericDate(time.Now().Add(2 * time.Hour))}
		return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	}
}
