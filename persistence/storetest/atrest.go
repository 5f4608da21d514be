package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// Backend is one empty data set of a store implementation, for the cases
// that look beneath persistence.Store: what is at rest, records written
// before tokens were sealed, and key rotation.
type Backend interface {
	// Open returns a store on the data set that seals tokens with keys,
	// closing the store the previous Open returned if the data set allows
	// one open store at a time. The backend closes the last one.
	Open(t *testing.T, keys *seal.Keyring) persistence.Store
	// Raw returns everything the data set holds now, as stored: keys and
	// values, each string value as its bytes.
	Raw(t *testing.T) []byte
	// PutLegacy creates rec as stores did before tokens were sealed: the
	// token in plaintext, with its hash index.
	PutLegacy(t *testing.T, rec persistence.Record)
}

// BackendFactory returns a new empty data set.
type BackendFactory func(t *testing.T) Backend

// RunAtRest runs the at-rest cases against backends made by newBackend.
func RunAtRest(t *testing.T, newBackend BackendFactory) {
	cases := []struct {
		name string
		run  func(t *testing.T, b Backend)
	}{
		{"TokenNeverStoredInPlaintext", testTokenSealed},
		{"LegacyPlaintextReadsAndIsSealedOnWrite", testLegacyToken},
		{"OldKeyOpensAfterRotation", testKeyRotation},
		{"ResealRewritesPlaintextAndOldKeys", testReseal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newBackend(t)) })
	}
}

// NewKeyring returns a keyring of one new random key named kid.
func NewKeyring(t *testing.T, kid string) *seal.Keyring {
	t.Helper()
	return keyring(t, kid+":"+newKey())
}

func newKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func keyring(t *testing.T, spec string) *seal.Keyring {
	t.Helper()
	kr, err := seal.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// secretRecord is NewRecord with a token easy to search for in raw bytes.
func secretRecord(id string) persistence.Record {
	rec := NewRecord(id, "alice", 0)
	rec.AccessToken = "PLAINTEXT-TOKEN-" + id + "-x9Qz"
	return rec
}

func assertNotAtRest(t *testing.T, b Backend, tokens ...string) {
	t.Helper()
	raw := b.Raw(t)
	for _, tok := range tokens {
		if bytes.Contains(raw, []byte(tok)) {
			t.Fatalf("token %q is stored in plaintext", tok)
		}
	}
}

// assertReads checks every read path returns the plaintext token.
func assertReads(t *testing.T, s persistence.Store, id, token string) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Get(ctx, id)
	if err != nil || got.AccessToken != token {
		t.Fatalf("get %s: token %q (%v), want %q", id, got.AccessToken, err, token)
	}
	got, err = s.GetByTokenHash(ctx, persistence.TokenHash(token))
	if err != nil || got.ID != id || got.AccessToken != token {
		t.Fatalf("get by token hash: %s token %q (%v), want %s", got.ID, got.AccessToken, err, id)
	}
	page, err := s.List(ctx, persistence.ListQuery{UserID: got.UserID})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Records {
		if r.ID == id {
			if r.AccessToken != token {
				t.Fatalf("list: token %q, want %q", r.AccessToken, token)
			}
			return
		}
	}
	t.Fatalf("list does not have %s", id)
}

func testTokenSealed(t *testing.T, b Backend) {
	s := b.Open(t, NewKeyring(t, "k1"))
	rec := mustPut(t, s, secretRecord("w1"), 0)
	assertNotAtRest(t, b, rec.AccessToken)
	assertReads(t, s, "w1", rec.AccessToken)

	// A state write and a token regeneration store no plaintext either.
	rec.State = []byte(`{"duration_left":120,"enabled":true}`)
	rec = mustPut(t, s, rec, rec.Version)
	old := rec.AccessToken
	rec.AccessToken = "PLAINTEXT-TOKEN-rotated-x9Qz"
	mustPut(t, s, rec, rec.Version)
	assertNotAtRest(t, b, old, rec.AccessToken)
	assertReads(t, s, "w1", rec.AccessToken)
	if !bytes.Contains(b.Raw(t), []byte(persistence.TokenHash(rec.AccessToken))) {
		t.Fatal("the token hash index is not stored (is Raw blind?)")
	}
}

func testLegacyToken(t *testing.T, b Backend) {
	legacy := secretRecord("w1")
	b.PutLegacy(t, legacy)
	if !bytes.Contains(b.Raw(t), []byte(legacy.AccessToken)) {
		t.Fatal("Raw does not show the legacy plaintext token: the at-rest checks would be blind")
	}
	s := b.Open(t, NewKeyring(t, "k1"))
	assertReads(t, s, "w1", legacy.AccessToken)
	got, _ := s.Get(context.Background(), "w1")
	got.Title = "renamed"
	mustPut(t, s, got, got.Version)
	assertNotAtRest(t, b, legacy.AccessToken)
	assertReads(t, s, "w1", legacy.AccessToken)
}

func testKeyRotation(t *testing.T, b Backend) {
	k1, k2 := "k1:"+newKey(), "k2:"+newKey()
	s := b.Open(t, keyring(t, k1))
	rec := mustPut(t, s, secretRecord("w1"), 0)

	s = b.Open(t, keyring(t, k2+","+k1)) // k2 primary, k1 still configured
	assertReads(t, s, "w1", rec.AccessToken)

	s = b.Open(t, keyring(t, k2)) // k1 retired too early
	if _, err := s.Get(context.Background(), "w1"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("a token sealed with a retired key: %v, want seal.ErrOpen (never an empty token)", err)
	}

	s = b.Open(t, keyring(t, k2+","+k1))
	got, _ := s.Get(context.Background(), "w1")
	mustPut(t, s, got, got.Version) // the next write re-seals with k2
	s = b.Open(t, keyring(t, k2))
	assertReads(t, s, "w1", rec.AccessToken)
	assertNotAtRest(t, b, rec.AccessToken)
}

func testReseal(t *testing.T, b Backend) {
	ctx := context.Background()
	k1, k2 := "k1:"+newKey(), "k2:"+newKey()
	legacy := secretRecord("w1")
	b.PutLegacy(t, legacy)
	s := b.Open(t, keyring(t, k1))
	old := mustPut(t, s, secretRecord("w2"), 0)
	untouched := NewRecord("w3", "alice", 3)
	untouched.AccessToken = ""
	mustPut(t, s, untouched, 0)

	s = b.Open(t, keyring(t, k2+","+k1))
	resealer, ok := s.(persistence.TokenResealer)
	if !ok {
		t.Fatal("the store cannot reseal tokens")
	}
	if n, err := resealer.ResealTokens(ctx); err != nil || n != 2 {
		t.Fatalf("reseal: %d records (%v), want 2 (the plaintext one and the one on k1)", n, err)
	}
	assertNotAtRest(t, b, legacy.AccessToken, old.AccessToken)
	if n, err := resealer.ResealTokens(ctx); err != nil || n != 0 {
		t.Fatalf("second reseal: %d records (%v), want 0", n, err)
	}

	s = b.Open(t, keyring(t, k2)) // k1 can be retired now
	assertReads(t, s, "w1", legacy.AccessToken)
	assertReads(t, s, "w2", old.AccessToken)
	for id, version := range map[string]int64{"w1": 1, "w2": 1, "w3": 1} {
		if got, err := s.Get(ctx, id); err != nil || got.Version != version {
			t.Fatalf("%s after reseal: version %d (%v), want %d unchanged", id, got.Version, err, version)
		}
	}
}
