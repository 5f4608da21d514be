package dynamo_test

import (
	"context"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// TestCredentialsConformance runs the shared credentials suite (the bolt
// store runs the same one) on DynamoDB Local; Dump is the raw table, so
// "sealed at rest" is checked on what DynamoDB holds.
func TestCredentialsConformance(t *testing.T) {
	storetest.RunCredentials(t, func(t *testing.T) storetest.CredentialBackend {
		_, cfg := newStore(t)
		db, err := dynamo.NewClient(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return storetest.CredentialBackend{
			Open: func(keys *seal.Keyring) persistence.CredentialStore { return dynamo.NewCredentials(db, cfg, keys) },
			Dump: func() string { return string(rawTable(t, db, cfg.CredentialsTable)) },
		}
	})
}
