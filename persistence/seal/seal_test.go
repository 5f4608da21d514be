package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
)

func key(t *testing.T) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestRotationTamperingAndBinding(t *testing.T) {
	k1, k2 := key(t), key(t)
	old, err := ParseKeyring("k1:" + k1)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("oauth-refresh-token-123")
	sealed, err := old.Seal(secret, []byte("alice#twitch"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, string(secret)) || KeyID(sealed) != "k1" {
		t.Fatalf("sealed value %q", sealed)
	}
	rotated, _ := ParseKeyring("k2:" + k2 + ",k1:" + k1)
	if got, err := rotated.Open(sealed, []byte("alice#twitch")); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("after rotation the old value does not open: %v", err)
	}
	fresh, _ := rotated.Seal(secret, []byte("alice#twitch"))
	if KeyID(fresh) != "k2" {
		t.Fatalf("new writes use key %q, want the primary k2", KeyID(fresh))
	}
	retired, _ := ParseKeyring("k2:" + k2)
	if _, err := retired.Open(sealed, []byte("alice#twitch")); !errors.Is(err, ErrOpen) {
		t.Fatal("a value sealed with a retired key opened")
	}
	if _, err := rotated.Open(sealed, []byte("mallory#twitch")); !errors.Is(err, ErrOpen) {
		t.Fatal("a value moved to another user's row opened")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := rotated.Open(tampered, []byte("alice#twitch")); !errors.Is(err, ErrOpen) {
		t.Fatal("a tampered value opened")
	}
	for _, bad := range []string{"", "k1", "k1:short", "a.b:" + k1, "k1:" + k1 + ",k1:" + k2} {
		if _, err := ParseKeyring(bad); err == nil {
			t.Errorf("keyring %q accepted", bad)
		}
	}
}

func TestKeyFileIsCreatedOnceAndKept(t *testing.T) {
	path := t.TempDir() + "/keys/seal.keys"
	first, err := LoadOrCreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := first.Seal([]byte("tok"), []byte("w1"))
	again, err := LoadOrCreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open(sealed, []byte("w1")); err != nil || string(got) != "tok" {
		t.Fatalf("the reloaded key file does not open what the first sealed: %v", err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v, want 0600", info.Mode(), err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateFile(path); err == nil {
		t.Fatal("a corrupt key file was accepted")
	}
}
