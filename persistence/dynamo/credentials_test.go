package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

func TestCredentialsAreSealedAtRestAndKeysRotate(t *testing.T) {
	_, cfg := newStore(t)
	db, _ := dynamo.NewClient(context.Background(), cfg)
	k1, k2 := newKey(), newKey()
	ring1, _ := seal.ParseKeyring("k1:" + k1)
	ctx := context.Background()
	creds := persistence.Credentials{AccessToken: "twitch-access-SECRET", RefreshToken: "twitch-refresh-SECRET", ExpiresAt: time.Now().Add(time.Hour).UTC(), Scopes: []string{"moderator:read:followers"}}
	if err := dynamo.NewCredentials(db, cfg, ring1).PutCredentials(ctx, "alice", "twitch", creds); err != nil {
		t.Fatal(err)
	}

	// What DynamoDB holds has no secret in it (rawTable prints the values).
	if dump := string(rawTable(t, db, cfg.CredentialsTable)); strings.Contains(dump, "SECRET") || !strings.Contains(dump, "credentials=v1.k1.") {
		t.Fatal("the stored item is not sealed")
	}
	// Nor does anything that prints or marshals credentials.
	if js, _ := json.Marshal(creds); strings.Contains(string(js), "SECRET") || strings.Contains(fmt.Sprintf("%v %+v", creds, creds), "SECRET") {
		t.Fatal("credentials print their secrets")
	}

	rotated, _ := seal.ParseKeyring("k2:" + k2 + ",k1:" + k1)
	store := dynamo.NewCredentials(db, cfg, rotated)
	got, err := store.GetCredentials(ctx, "alice", "twitch")
	if err != nil || got.AccessToken.Reveal() != "twitch-access-SECRET" || got.RefreshToken.Reveal() != "twitch-refresh-SECRET" {
		t.Fatalf("read after rotation: %v", err)
	}
	if err := store.PutCredentials(ctx, "alice", "twitch", got); err != nil {
		t.Fatal(err)
	}
	retired, _ := seal.ParseKeyring("k2:" + k2)
	if _, err := dynamo.NewCredentials(db, cfg, retired).GetCredentials(ctx, "alice", "twitch"); err != nil {
		t.Fatalf("re-written credentials still need the old key: %v", err)
	}
	if _, err := store.GetCredentials(ctx, "bob", "twitch"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("bob reads: %v", err)
	}
	if err := store.DeleteCredentials(ctx, "alice", "twitch"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.GetCredentials(ctx, "alice", "twitch"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}
