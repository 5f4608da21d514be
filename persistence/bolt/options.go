package bolt

import (
	"path/filepath"

	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// KeyFile is where Open keeps the token sealing keys when none are given:
// inside the data dir, created on first open (see seal.LoadOrCreateFile).
const KeyFile = "keys/seal.keys"

// Option configures Open.
type Option func(*options)

type options struct {
	keys *seal.Keyring
}

// WithTokenKeys seals widget access tokens with keys (configured keys,
// shared with other nodes or kept outside the data dir). Default: the
// keyring in DIR/KeyFile, created on first open.
func WithTokenKeys(keys *seal.Keyring) Option {
	return func(o *options) { o.keys = keys }
}

func keyFile(dir string) string { return filepath.Join(dir, filepath.FromSlash(KeyFile)) }
