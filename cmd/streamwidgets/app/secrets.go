package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
