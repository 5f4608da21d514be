package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// CredentialBackend is one empty credentials backend: Open returns a store
// over it sealing with keys (several opens share the data, as nodes with
// rotated keys do), Dump returns everything it holds as stored, to show
// that no secret is in clear.
type CredentialBackend struct {
	Open func(keys *seal.Keyring) persistence.CredentialStore
	Dump func() string
}

// CredentialFactory makes a new empty backend for each case.
type CredentialFactory func(t *testing.T) CredentialBackend

// RunCredentials runs the credentials conformance cases.
func RunCredentials(t *testing.T, newBackend CredentialFactory) {
	cases := []struct {
		name string
		run  func(t *testing.T, b CredentialBackend)
	}{
		{"SealedAtRestAndNeverPrinted", testCredSealed},
		{"KeysRotate", testCredRotation},
		{"VersionedWrites", testCredVersions},
		{"ConcurrentRefreshesOneWins", testCredConcurrent},
		{"MissingDeleteAndIsolation", testCredMissing},
		{"ListConnections", testCredList},
		{"StateRoundTripAndVersions", testCredState},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newBackend(t)) })
	}
}

// NewCredentialKey returns a random "kid:base64key" keyring entry.
func NewCredentialKey(kid string) string {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return kid + ":" + base64.StdEncoding.EncodeToString(k)
}

func credKeys(t *testing.T, spec ...string) *seal.Keyring {
	t.Helper()
	kr, err := seal.ParseKeyring(strings.Join(spec, ","))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func twitchCreds(access, refresh string) persistence.Credentials {
	return persistence.Credentials{AccessToken: persistence.Secret(access), RefreshToken: persistence.Secret(refresh),
		ExpiresAt: time.Now().Add(4 * time.Hour).UTC().Truncate(time.Second), Scopes: []string{"bits:read", "moderator:read:followers"},
		AccountID: "141981764", AccountName: "twitchdev"}
}

func testCredSealed(t *testing.T, b CredentialBackend) {
	ctx := context.Background()
	st := b.Open(credKeys(t, NewCredentialKey("k1")))
	c := twitchCreds("access-SECRET-1", "refresh-SECRET-1")
	put, err := st.PutCredentials(ctx, "alice", "twitch", c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if put.Version != 1 || put.UpdatedAt.IsZero() {
		t.Fatalf("first write: version %d, updated %v", put.Version, put.UpdatedAt)
	}
	got, err := st.GetCredentials(ctx, "alice", "twitch")
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken.Reveal() != "access-SECRET-1" || got.RefreshToken.Reveal() != "refresh-SECRET-1" ||
		!got.ExpiresAt.Equal(c.ExpiresAt) || strings.Join(got.Scopes, " ") != "bits:read moderator:read:followers" ||
		got.AccountID != "141981764" || got.AccountName != "twitchdev" || got.Version != 1 {
		t.Fatalf("read back: %+v", got)
	}
	if dump := b.Dump(); strings.Contains(dump, "SECRET") {
		t.Fatal("a secret is stored in clear")
	}
	// Nothing that prints, marshals or logs credentials shows a secret.
	js, _ := json.Marshal(got)
	core, logs := observer.New(zapcore.DebugLevel)
	zap.New(core).Info("creds", zap.Any("c", got), zap.Any("token", got.AccessToken), zap.Reflect("r", got), zap.Stringer("s", got.RefreshToken))
	var logged strings.Builder
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			fmt.Fprintf(&logged, "%s=%v ", k, v)
		}
	}
	wrapped := fmt.Errorf("refresh failed for %v: %w", got.RefreshToken, errors.New("x"))
	for what, s := range map[string]string{"json": string(js), "%v": fmt.Sprintf("%v", got), "%+v": fmt.Sprintf("%+v", got),
		"%#v": fmt.Sprintf("%#v", got), "%s": fmt.Sprintf("%s", got.AccessToken), "%q": fmt.Sprintf("%q", got.AccessToken),
		"zap": logged.String(), "error": wrapped.Error()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("%s shows a secret: %s", what, s)
		}
	}
}

func testCredRotation(t *testing.T, b CredentialBackend) {
	ctx := context.Background()
	k1, k2 := NewCredentialKey("k1"), NewCredentialKey("k2")
	if _, err := b.Open(credKeys(t, k1)).PutCredentials(ctx, "alice", "twitch", twitchCreds("a1", "r1"), 0); err != nil {
		t.Fatal(err)
	}
	rotated := b.Open(credKeys(t, k2, k1))
	got, err := rotated.GetCredentials(ctx, "alice", "twitch")
	if err != nil || got.RefreshToken.Reveal() != "r1" {
		t.Fatalf("after rotation the old key's value does not open: %v", err)
	}
	if _, err := b.Open(credKeys(t, k2)).GetCredentials(ctx, "alice", "twitch"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("opened without its key: %v", err)
	}
	if _, err := rotated.PutCredentials(ctx, "alice", "twitch", got, got.Version); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.Dump(), "v1.k2.") {
		t.Fatal("a rewrite is not sealed with the new primary key")
	}
	if got, err := b.Open(credKeys(t, k2)).GetCredentials(ctx, "alice", "twitch"); err != nil || got.AccessToken.Reveal() != "a1" {
		t.Fatalf("the rewritten value needs the retired key: %v", err)
	}
}

func testCredVersions(t *testing.T, b CredentialBackend) {
	ctx := context.Background()
	st := b.Open(credKeys(t, NewCredentialKey("k1")))
	v1, err := st.PutCredentials(ctx, "alice", "twitch", twitchCreds("a1", "r1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutCredentials(ctx, "alice", "twitch", twitchCreds("a2", "r2"), 0); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("a second create: %v, want ErrConflict", err)
	}
	v2, err := st.PutCredentials(ctx, "alice", "twitch", twitchCreds("a2", "r2"), v1.Version)
	if err != nil || v2.Version != 2 {
		t.Fatalf("update at the stored version: %v %d", err, v2.Version)
	}
	if _, err := st.PutCredentials(ctx, "alice", "twitch", twitchCreds("a3", "r3"), v1.Version); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("a stale write: %v, want ErrConflict", err)
	}
	if got, _ := st.GetCredentials(ctx, "alice", "twitch"); got.RefreshToken.Reveal() != "r2" {
		t.Fatalf("a refused write changed the stored token to %q", got.RefreshToken.Reveal())
	}
	v3, err := st.PutCredentials(ctx, "alice", "twitch", twitchCreds("a4", "r4"), persistence.AnyVersion)
	if err != nil || v3.Version != 3 {
		t.Fatalf("overwrite: %v %d", err, v3.Version)
	}
	if _, err := st.PutCredentials(ctx, "bob", "twitch", twitchCreds("b", "b"), 5); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("an update of nothing: %v, want ErrConflict", err)
	}
}

// testCredConcurrent: two activations refreshing at once (a failover): of
// writers that read the same version exactly one stores its rotated
// refresh token; the others learn it and must read again.
func testCredConcurrent(t *testing.T, b CredentialBackend) {
	ctx := context.Background()
	st := b.Open(credKeys(t, NewCredentialKey("k1")))
	base, err := st.PutCredentials(ctx, "alice", "twitch", twitchCreds("a0", "r0"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.PutCredentials(ctx, "alice", "twitch", twitchCreds(fmt.Sprint("a", i), fmt.Sprint("r", i+1)), base.Version)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, persistence.ErrConflict):
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins.Load())
	}
	if got, _ := st.GetCredentials(ctx, "alice", "twitch"); got.Version != 2 || got.RefreshToken.Reveal() == "r0" {
		t.Fatalf("after the race: version %d, refresh %q", got.Version, got.RefreshToken.Reveal())
	}
}

func testCredMissing(t *testing.T, b CredentialBackend) {
	ctx := context.Background()
	st := b.Open(credKeys(t, NewCredentialKey("k1")))
	if _, err := st.GetCredentials(ctx, "alice", "twitch"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
	if _, err := st.PutCredentials(ctx, "alice", "twitch", twitchCreds("a", "r"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetCredentials(ctx, "bob", "twitch"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("bob reads alice's: %v", err)
	}
	if _, err := st.GetCredentials(ctx, "alice", "spotify"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("another service: %v", err)
	}
	if err := st.DeleteCredentials(ctx, "alice", "twitch"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetCredentials(ctx, "alice", "twitch"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := st.DeleteCredentials(ctx, "alice", "twitch"); err != nil {
		t.Fatalf("deleting again: %v", err)
	}
}

func testCredList(t *testing.T, b CredentialBackend) {
	ctx := context.Background()
	st := b.Open(credKeys(t, NewCredentialKey("k1")))
	for _, u := range []string{"alice", "bob"} {
		c := twitchCreds("a", "r")
		c.AccountID, c.AccountName = u+"-id", u
		if _, err := st.PutCredentials(ctx, u, "twitch", c, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.PutCredentials(ctx, "carol", "spotify", twitchCreds("a", "r"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutState(ctx, "alice", "twitch.eventsub", []byte(`{}`), 0); err != nil {
		t.Fatal(err)
	}
	list, err := st.ListConnections(ctx, "twitch")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]persistence.Connection{}
	for _, c := range list {
		got[c.UserID] = c
	}
	if len(list) != 2 || got["alice"].AccountID != "alice-id" || got["bob"].AccountName != "bob" || got["alice"].Service != "twitch" {
		t.Fatalf("twitch connections: %+v", list)
	}
}

func testCredState(t *testing.T, b CredentialBackend) {
	ctx := context.Background()
	st := b.Open(credKeys(t, NewCredentialKey("k1")))
	if _, _, err := st.GetState(ctx, "alice", "twitch.eventsub"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("missing state: %v", err)
	}
	v, err := st.PutState(ctx, "alice", "twitch.eventsub", []byte(`{"seen":["m-SECRETISH"]}`), 0)
	if err != nil || v != 1 {
		t.Fatalf("first state write: %v %d", err, v)
	}
	if _, err := st.PutState(ctx, "alice", "twitch.eventsub", []byte(`{}`), 0); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
	if v, err = st.PutState(ctx, "alice", "twitch.eventsub", []byte(`{"seen":["m2"]}`), v); err != nil || v != 2 {
		t.Fatalf("update: %v %d", err, v)
	}
	data, ver, err := st.GetState(ctx, "alice", "twitch.eventsub")
	if err != nil || string(data) != `{"seen":["m2"]}` || ver != 2 {
		t.Fatalf("read: %s %d %v", data, ver, err)
	}
	if _, _, err := st.GetState(ctx, "bob", "twitch.eventsub"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("bob reads alice's state: %v", err)
	}
	if _, err := st.GetCredentials(ctx, "alice", "twitch.eventsub"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("state reads as credentials: %v", err)
	}
	if err := st.DeleteState(ctx, "alice", "twitch.eventsub"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.GetState(ctx, "alice", "twitch.eventsub"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}
