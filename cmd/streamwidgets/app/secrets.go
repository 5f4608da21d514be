package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

const cursorKeyFile = "cursor.key"

// loadCursorKey returns the configured secret, or one kept in the data dir.
func loadCursorKey(dir, configured string) ([]byte, error) {
	if configured != "" {
		if len(configured) < 32 {
			return nil, errors.New("app: the cursor secret must be at least 32 characters")
		}
		return []byte(configured), nil
	}
	path := filepath.Join(dir, "keys", cursorKeyFile)
	if key, err := os.ReadFile(path); err == nil && len(key) >= 32 {
		return key, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("app: cursor key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("app: cursor key: %w", err)
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("app: cursor key: %w", err)
	}
	return key, nil
}

// errNoSealKeys: DynamoDB nodes cannot each make their own token keys, or a
// token sealed on one node would not open on the next.
var errNoSealKeys = errors.New("app: the DynamoDB store needs --seal-keys (STREAMWIDGETS_SEAL_KEYS), the same on every node: " +
	"kid:base64key, e.g. k1:$(openssl rand -base64 32)")

// sealKeys parses the configured token sealing keys; nil when none are
// configured (the embedded store then keeps its own in the data dir).
func sealKeys(spec persistence.Secret) (*seal.Keyring, error) {
	if spec == "" {
		return nil, nil
	}
	keys, err := seal.ParseKeyring(spec.Reveal())
	if err != nil {
		return nil, fmt.Errorf("app: seal keys: %w", err)
	}
	return keys, nil
}

// resealEmbedded seals the embedded store's plaintext (pre-sealing) and
// old-key tokens at start: it is this process's alone, and small. The
// DynamoDB store does it in `streamwidgets migrate` (a table scan).
func (a *App) resealEmbedded() {
	if a.cfg.Store != "" && a.cfg.Store != "bolt" {
		return
	}
	r, ok := a.store.(persistence.TokenResealer)
	if !ok {
		return
	}
	n, err := r.ResealTokens(context.Background())
	if n > 0 {
		a.log.Info("sealed widget tokens stored in plaintext or with an old key", zap.Int("records", n))
	}
	if err != nil {
		a.log.Warn("some widget tokens could not be resealed", zap.Error(err))
	}
}
