package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify feeds arbitrary tokens, and one valid token mutated anywhere
// (a byte replaced, a byte removed, text inserted), to Verify: it never
// panics, every refusal wraps ErrInvalidToken, and nothing verifies except
// the valid token itself. "Itself" includes encodings that decode to the
// very same signature bytes (base64 ignores line breaks and, without strict
// decoding, a final character's unused bits): the signed header and payload
// are then unchanged, so the identity is too. CI runs it briefly (.ci/test).
func FuzzVerify(f *testing.F) {
	iss, err := LoadOrCreateLocalIssuer(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	trust, err := iss.Trust()
	if err != nil {
		f.Fatal(err)
	}
	v, err := NewVerifier(trust)
	if err != nil {
		f.Fatal(err)
	}
	valid, err := iss.Mint("alice", 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	claims := jwt.MapClaims{"iss": LocalIssuerName, "aud": LocalAudience, "sub": "alice",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pubDER, _ := x509.MarshalPKIXPublicKey(&iss.key.PublicKey)
	signed := func(m jwt.SigningMethod, key any) string {
		tok := jwt.NewWithClaims(m, claims)
		tok.Header["kid"] = iss.kid
		s, err := tok.SignedString(key)
		if err != nil {
			f.Fatal(err)
		}
		return s
	}
	for _, tok := range []string{
		valid, signed(jwt.SigningMethodES256, other), signed(jwt.SigningMethodHS256, pubDER),
		signed(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType), "", "a.b.c", "..", "e30.e30.", strings.Repeat("A", 9000),
	} {
		f.Add(tok, uint16(0), byte('A'), "")
	}
	f.Add("x", uint16(40), byte('.'), "\n")
	f.Add("x", uint16(len(valid)-1), byte('B'), "")
	f.Add("x", uint16(len(valid)/2), byte(0), "e30")

	ctx := context.Background()
	check := func(t *testing.T, what, tok string) {
		t.Helper()
		id, err := v.Verify(ctx, tok)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("%s: refusal does not wrap ErrInvalidToken: %v", what, err)
			}
			if strings.Contains(err.Error(), tok) && len(tok) > 8 {
				t.Fatalf("%s: the error repeats the token", what)
			}
			return
		}
		if tok != valid || id.UserID != "alice" {
			t.Fatalf("%s verified as %q: %q (valid token %q)", what, id.UserID, tok, valid)
		}
	}
	f.Fuzz(func(t *testing.T, token string, at uint16, b byte, insert string) {
		check(t, "fuzzed token", token)
		i := int(at) % len(valid)
		if b == valid[i] {
			b ^= 1
		}
		check(t, "valid token with a byte replaced", valid[:i]+string([]byte{b})+valid[i+1:])
		check(t, "valid token with a byte removed", valid[:i]+valid[i+1:])
		if insert != "" {
			check(t, "valid token with text inserted", valid[:i]+insert+valid[i:])
		}
	})
}
