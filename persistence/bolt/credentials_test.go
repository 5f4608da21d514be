package bolt_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

func TestCredentialsConformance(t *testing.T) {
	storetest.RunCredentials(t, func(t *testing.T) storetest.CredentialBackend {
		dir := t.TempDir()
		s, err := bolt.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return storetest.CredentialBackend{
			Open: func(keys *seal.Keyring) persistence.CredentialStore { return bolt.NewCredentials(s, keys) },
			Dump: func() string {
				raw, err := os.ReadFile(filepath.Join(dir, bolt.FileName))
				if err != nil {
					t.Fatal(err)
				}
				return string(raw)
			},
		}
	})
}
