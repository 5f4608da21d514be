package bolt_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// backend is one data dir; bbolt allows one open store per file.
type backend struct {
	dir string
	s   *bolt.Store
}

func newBackend(t *testing.T) storetest.Backend {
	b := &backend{dir: t.TempDir()}
	t.Cleanup(func() {
		if b.s != nil {
			_ = b.s.Close()
		}
	})
	return b
}

func (b *backend) Open(t *testing.T, keys *seal.Keyring) persistence.Store {
	t.Helper()
	if b.s != nil {
		_ = b.s.Close()
	}
	s, err := bolt.Open(b.dir, bolt.WithTokenKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	b.s = s
	return s
}

func (b *backend) current(t *testing.T) *bolt.Store {
	if b.s == nil {
		b.Open(t, storetest.NewKeyring(t, "setup"))
	}
	return b.s
}

func (b *backend) Raw(t *testing.T) []byte { return b.current(t).RawDump() }

func (b *backend) PutLegacy(t *testing.T, rec persistence.Record) {
	if err := b.current(t).PutLegacy(rec); err != nil {
		t.Fatal(err)
	}
}

func TestAtRest(t *testing.T) {
	storetest.RunAtRest(t, newBackend)
}

// TestTokenNeverInTheFile scans the whole database file, free pages
// included: a token sealed from its first write never touches the disk.
func TestTokenNeverInTheFile(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var tokens []string
	for _, id := range []string{"w1", "w2", "w3"} {
		rec := storetest.NewRecord(id, "alice", len(tokens))
		rec.AccessToken = "PLAINTEXT-TOKEN-" + id + "-x9Qz"
		tokens = append(tokens, rec.AccessToken)
		rec, err = s.Put(ctx, rec, 0)
		if err != nil {
			t.Fatal(err)
		}
		rec.AccessToken = "PLAINTEXT-TOKEN-" + id + "-regenerated"
		tokens = append(tokens, rec.AccessToken)
		if _, err := s.Put(ctx, rec, rec.Version); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	file, err := os.ReadFile(filepath.Join(dir, bolt.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if bytes.Contains(file, []byte(tok)) {
			t.Fatalf("%s holds token %q in plaintext", bolt.FileName, tok)
		}
	}
	// The default keys are in the data dir's key file, and reopening reads them.
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(bolt.KeyFile))); err != nil {
		t.Fatalf("default key file: %v", err)
	}
	s, err = bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Get(ctx, "w2"); err != nil || got.AccessToken != "PLAINTEXT-TOKEN-w2-regenerated" {
		t.Fatalf("after reopen: token %q %v", got.AccessToken, err)
	}
}
