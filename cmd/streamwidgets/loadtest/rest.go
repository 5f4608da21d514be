package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// rest is the service's REST API as the tool uses it.
type rest struct {
	base   string
	client *http.Client
}

// do sends one request, waiting out 429s (Retry-After) a few times.
func (a *rest) do(ctx context.Context, method, path, token string, body any, out any) error {
	var data []byte
	if body != nil {
		data, _ = json.Marshal(body)
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(data))
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := a.client.Do(req)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 20 {
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			if !sleepCtx(ctx, time.Duration(max(wait, 1))*time.Second) {
				return ctx.Err()
			}
			continue
		}
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
		}
		if out != nil {
			return json.Unmarshal(b, out)
		}
		return nil
	}
}

// createWidgets creates each user's goal widgets, a few requests at once.
func (a *rest) createWidgets(ctx context.Context, users []*user, perUser int, capacity int) ([]*widget, error) {
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8)
	for _, u := range users {
		u.widgets = make([]*widget, perUser)
		for i := range u.widgets {
			wg.Add(1)
			slots <- struct{}{}
			go func(u *user, i int) {
				defer func() { <-slots; wg.Done() }()
				var env struct {
					Data struct {
						ID          string `json:"id"`
						AccessToken string `json:"access_token"`
						Version     int64  `json:"version"`
					} `json:"data"`
				}
				body := map[string]any{"type": "goal", "title": fmt.Sprintf("load %s #%d", u.id, i),
					"active": true, "config": map[string]any{"title": "Load test", "target": 1e12}}
				err := a.do(ctx, "POST", "/records/stream_widgets", u.token, body, &env)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("create widget for %s: %w", u.id, err)
					}
					return
				}
				w := &widget{id: env.Data.ID, token: env.Data.AccessToken, sent: make([]atomic.Int64, capacity)}
				w.final.Store(env.Data.Version)
				u.widgets[i] = w
			}(u, i)
		}
	}
	wg.Wait()
	var all []*widget
	for _, u := range users {
		for _, w := range u.widgets {
			if w != nil {
				all = append(all, w)
			}
		}
	}
	return all, firstErr
}

// deleteWidgets removes what the run created.
func (a *rest) deleteWidgets(ctx context.Context, users []*user) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs int
	slots := make(chan struct{}, 8)
	for _, u := range users {
		for _, w := range u.widgets {
			if w == nil {
				continue
			}
			wg.Add(1)
			slots <- struct{}{}
			go func(token, id string) {
				defer func() { <-slots; wg.Done() }()
				if err := a.do(ctx, "DELETE", "/records/stream_widgets/"+id, token, nil, nil); err != nil {
					mu.Lock()
					errs++
					mu.Unlock()
				}
			}(u.token, w.id)
		}
	}
	wg.Wait()
	if errs > 0 {
		return fmt.Errorf("%d widgets could not be deleted", errs)
	}
	return nil
}

// user is one signed-in owner of the run's widgets.
type user struct {
	id, token string
	widgets   []*widget
}
