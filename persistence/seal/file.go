package seal

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LoadOrCreateFile reads a keyring (ParseKeyring's "kid:base64key[,…]") from
// path, creating the file with one new random key if it does not exist. The
// file appears whole (a hard link of a finished temporary file), so a
// concurrent reader never sees it half-written and two creators agree on
// one key. Rotate by putting a new key first: "knew:…,kold:…".
func LoadOrCreateFile(path string) (*Keyring, error) {
	spec, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		spec, err = create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: %w", path, err)
	}
	kr, err := ParseKeyring(strings.TrimSpace(string(spec)))
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: %w", path, err)
	}
	return kr, nil
}

func create(path string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	spec := []byte("k" + time.Now().UTC().Format("20060102") + ":" + base64.StdEncoding.EncodeToString(key) + "\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".seal-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(spec); err != nil {
		_ = tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path) // another process created it first: use its key
	} else if err != nil {
		return nil, err
	}
	return spec, nil
}
