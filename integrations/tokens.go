package integrations

import (
	"context"
	"sync"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// TokenSource hands the current access token of one connection to the
// parts that call the platform. The token keeper sets it; a part whose call
// was refused (401) reports the token with Rejected, which asks the keeper
// to refresh, and may wait for a newer token with Await.
type TokenSource struct {
	mu       sync.Mutex
	token    persistence.Secret
	changed  chan struct{}
	onReject func(persistence.Secret)
}

// NewTokenSource returns an empty source; onReject (may be nil) is called,
// outside any lock, when a part reports the current token refused.
func NewTokenSource(onReject func(persistence.Secret)) *TokenSource {
	return &TokenSource{changed: make(chan struct{}), onReject: onReject}
}

// Token returns the current token, empty until the keeper set one.
func (t *TokenSource) Token() persistence.Secret {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token
}

// Set installs a new token and wakes everyone waiting in Await.
func (t *TokenSource) Set(tok persistence.Secret) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok == t.token {
		return
	}
	t.token = tok
	close(t.changed)
	t.changed = make(chan struct{})
}

// SetOnReject sets the function told about refused tokens.
func (t *TokenSource) SetOnReject(f func(persistence.Secret)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onReject = f
}

// Rejected reports that the platform refused bad. Only the current token
// triggers a refresh: a late report about an older token does nothing.
func (t *TokenSource) Rejected(bad persistence.Secret) {
	t.mu.Lock()
	current, f := t.token == bad, t.onReject
	t.mu.Unlock()
	if current && f != nil {
		f(bad)
	}
}

// Await returns a token other than old (non-empty), waiting for the keeper
// to set one, or ctx's error.
func (t *TokenSource) Await(ctx context.Context, old persistence.Secret) (persistence.Secret, error) {
	for {
		t.mu.Lock()
		tok, ch := t.token, t.changed
		t.mu.Unlock()
		if tok != "" && tok != old {
			return tok, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}
