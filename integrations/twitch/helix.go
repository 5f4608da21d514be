package twitch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/streamwidgets/streamwidgets/integrations"
)

// Helix calls the Twitch API with one account's token, sharing that
// account's rate-limit bucket. A 401 reports the token to the token keeper
// and retries once with the refreshed token.
type Helix struct {
	cfg    Config
	tokens *integrations.TokenSource
	limit  *RateLimiter
	// RefreshWait bounds how long a call refused with 401 waits for the
	// token keeper's new token before failing. Default 5s.
	RefreshWait time.Duration
}

// NewHelix returns a Helix client using tokens.
func NewHelix(cfg Config, tokens *integrations.TokenSource, limit *RateLimiter) *Helix {
	if limit == nil {
		limit = NewRateLimiter()
	}
	return &Helix{cfg: cfg.WithDefaults(), tokens: tokens, limit: limit, RefreshWait: 5 * time.Second}
}

// Limiter is the account's rate-limit bucket.
func (h *Helix) Limiter() *RateLimiter { return h.limit }

// call makes one Helix request and decodes a 2xx body into out.
func (h *Helix) call(ctx context.Context, method, path string, q url.Values, body, out any) error {
	tok := h.tokens.Token()
	if tok == "" {
		wctx, cancel := context.WithTimeout(ctx, h.RefreshWait)
		var err error
		tok, err = h.tokens.Await(wctx, "")
		cancel()
		if err != nil {
			return ErrNoToken
		}
	}
	for attempt := 0; ; attempt++ {
		if err := h.limit.Take(ctx); err != nil {
			return err
		}
		status, hdr, msg, err := h.once(ctx, method, path, q, body, out, tok.Reveal())
		if err != nil {
			return err
		}
		switch {
		case status >= 200 && status < 300:
			return nil
		case status == http.StatusUnauthorized:
			h.tokens.Rejected(tok)
			if attempt > 0 {
				return fmt.Errorf("%w: %s", ErrUnauthorized, msg)
			}
			wctx, cancel := context.WithTimeout(ctx, h.RefreshWait)
			next, err := h.tokens.Await(wctx, tok)
			cancel()
			if err != nil {
				return fmt.Errorf("%w: %s", ErrUnauthorized, msg)
			}
			tok = next
		case status == http.StatusTooManyRequests:
			return &RateLimitedError{Until: h.limit.Exhausted(hdr)}
		case status == http.StatusForbidden:
			return fmt.Errorf("%w: %s", ErrForbidden, msg)
		case status == http.StatusConflict:
			return fmt.Errorf("%w: %s", ErrConflict, msg)
		case status == http.StatusNotFound:
			return fmt.Errorf("%w: %s", ErrNotFound, msg)
		default:
			return &APIError{Status: status, Message: msg}
		}
	}
}

func (h *Helix) once(ctx context.Context, method, path string, q url.Values, body, out any, token string) (int, http.Header, string, error) {
	u := h.cfg.APIURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, "", fmt.Errorf("twitch: %s %s: encode: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, "", fmt.Errorf("twitch: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Client-Id", h.cfg.ClientID)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.cfg.HTTP.Do(req)
	if err != nil {
		return 0, nil, "", fmt.Errorf("twitch: %s %s: %w", method, path, unwrapURL(err))
	}
	defer resp.Body.Close()
	h.limit.Observe(resp.Header)
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return 0, nil, "", fmt.Errorf("twitch: %s %s: read: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return resp.StatusCode, resp.Header, twitchMessage(raw), nil
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return 0, nil, "", fmt.Errorf("twitch: %s %s: decode: %w", method, path, err)
		}
	}
	return resp.StatusCode, resp.Header, "", nil
}

// CreateSubscription subscribes the WebSocket session to t for broadcaster.
// ErrConflict means it exists already (fine after a retry).
func (h *Helix) CreateSubscription(ctx context.Context, t SubscriptionType, broadcaster, sessionID string) error {
	body := map[string]any{"type": t.Type, "version": t.Version, "condition": t.Condition(broadcaster),
		"transport": map[string]any{"method": "websocket", "session_id": sessionID}}
	return h.call(ctx, http.MethodPost, "/eventsub/subscriptions", nil, body, nil)
}

// FollowersTotal returns how many accounts follow broadcaster.
func (h *Helix) FollowersTotal(ctx context.Context, broadcaster string) (int, error) {
	var out struct {
		Total int `json:"total"`
	}
	err := h.call(ctx, http.MethodGet, "/channels/followers", url.Values{"broadcaster_id": {broadcaster}, "first": {"1"}}, nil, &out)
	return out.Total, err
}

// StreamInfo is the live stream, if any.
type StreamInfo struct {
	Live      bool
	Viewers   int
	StartedAt time.Time
	Title     string
	Game      string
}

// Stream returns the broadcaster's live stream (Live false: offline).
func (h *Helix) Stream(ctx context.Context, broadcaster string) (StreamInfo, error) {
	var out struct {
		Data []struct {
			Type      string    `json:"type"`
			Viewers   int       `json:"viewer_count"`
			StartedAt time.Time `json:"started_at"`
			Title     string    `json:"title"`
			Game      string    `json:"game_name"`
		} `json:"data"`
	}
	if err := h.call(ctx, http.MethodGet, "/streams", url.Values{"user_id": {broadcaster}}, nil, &out); err != nil {
		return StreamInfo{}, err
	}
	for _, d := range out.Data {
		if d.Type == "live" {
			return StreamInfo{Live: true, Viewers: d.Viewers, StartedAt: d.StartedAt, Title: d.Title, Game: d.Game}, nil
		}
	}
	return StreamInfo{}, nil
}

// ScheduleSegment is one planned broadcast.
type ScheduleSegment struct {
	ID       string
	Title    string
	Start    time.Time
	End      *time.Time
	Category string
}

// Schedule returns the broadcaster's upcoming segments (none: no schedule).
func (h *Helix) Schedule(ctx context.Context, broadcaster string) ([]ScheduleSegment, error) {
	var out struct {
		Data struct {
			Segments []struct {
				ID       string     `json:"id"`
				Title    string     `json:"title"`
				Start    time.Time  `json:"start_time"`
				End      *time.Time `json:"end_time"`
				Category *struct {
					Name string `json:"name"`
				} `json:"category"`
			} `json:"segments"`
		} `json:"data"`
	}
	err := h.call(ctx, http.MethodGet, "/schedule", url.Values{"broadcaster_id": {broadcaster}, "first": {"10"}}, nil, &out)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	segs := make([]ScheduleSegment, 0, len(out.Data.Segments))
	for _, s := range out.Data.Segments {
		seg := ScheduleSegment{ID: s.ID, Title: s.Title, Start: s.Start, End: s.End}
		if s.Category != nil {
			seg.Category = s.Category.Name
		}
		segs = append(segs, seg)
	}
	return segs, nil
}
