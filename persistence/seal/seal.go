// Package seal encrypts secrets at rest: AES-256-GCM with a key id in every
// sealed value, so keys can be rotated (new writes use the primary key, old
// values stay readable while their key is still configured).
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrOpen means a sealed value cannot be opened: unknown key, or tampered
// with, or sealed for another row (the associated data differs).
var ErrOpen = errors.New("seal: cannot open sealed value")

// Keyring holds the keys by id; Primary seals.
type Keyring struct {
	Primary string
	keys    map[string]cipher.AEAD
}

// ParseKeyring reads "kid:base64key[,kid:base64key…]"; the first key is
// primary. Keys are 32 random bytes (openssl rand -base64 32).
func ParseKeyring(spec string) (*Keyring, error) {
	kr := &Keyring{keys: map[string]cipher.AEAD{}}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kid, b64, ok := strings.Cut(part, ":")
		if !ok || kid == "" || strings.ContainsAny(kid, ".:") {
			return nil, fmt.Errorf("seal: key %q: want kid:base64key (kid without '.' or ':')", kid)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("seal: key %q: want 32 bytes in base64", kid)
		}
		if _, dup := kr.keys[kid]; dup {
			return nil, fmt.Errorf("seal: key id %q given twice", kid)
		}
		block, _ := aes.NewCipher(key)
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", kid, err)
		}
		kr.keys[kid] = aead
		if kr.Primary == "" {
			kr.Primary = kid
		}
	}
	if kr.Primary == "" {
		return nil, errors.New("seal: no key configured")
	}
	return kr, nil
}

// Seal encrypts plain with the primary key, bound to aad (e.g. the row's id).
// The result is "v1.<kid>.<base64(nonce|ciphertext)>".
func (kr *Keyring) Seal(plain, aad []byte) (string, error) {
	aead := kr.keys[kr.Primary]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, plain, aad)
	return "v1." + kr.Primary + "." + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed value with the key it names.
func (kr *Keyring) Open(sealed string, aad []byte) ([]byte, error) {
	parts := strings.SplitN(sealed, ".", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return nil, fmt.Errorf("%w: not a v1 sealed value", ErrOpen)
	}
	aead, ok := kr.keys[parts[1]]
	if !ok {
		return nil, fmt.Errorf("%w: key %q is not configured", ErrOpen, parts[1])
	}
	raw, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, fmt.Errorf("%w: malformed", ErrOpen)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrOpen)
	}
	return plain, nil
}

// KeyID names the key a sealed value was sealed with.
func KeyID(sealed string) string {
	parts := strings.SplitN(sealed, ".", 3)
	if len(parts) != 3 {
		return ""
	}
	return parts[1]
}
