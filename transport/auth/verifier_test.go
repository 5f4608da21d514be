package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

func localVerifier(t *testing.T) (*LocalIssuer, *Verifier) {
	t.Helper()
	iss, err := LoadOrCreateLocalIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	trust, err := iss.Trust()
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(trust)
	if err != nil {
		t.Fatal(err)
	}
	return iss, v
}

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLocalIssuerRejections(t *testing.T) {
	iss, v := localVerifier(t)
	now := time.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": LocalIssuerName, "aud": LocalAudience, "sub": "alice",
			"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix()}
	}
	with := func(k string, val any) jwt.MapClaims { c := good(); c[k] = val; return c }
	without := func(k string) jwt.MapClaims { c := good(); delete(c, k); return c }
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pubDER, _ := x509.MarshalPKIXPublicKey(&iss.key.PublicKey)

	cases := []struct {
		name  string
		token string
		ok    bool
	}{
		{"minted token", must(iss.Mint("alice", time.Hour)), true},
		{"hand-signed good token", sign(t, jwt.SigningMethodES256, iss.key, iss.kid, good()), true},
		{"expired", sign(t, jwt.SigningMethodES256, iss.key, iss.kid, with("exp", now.Add(-time.Hour).Unix())), false},
		{"not valid yet", sign(t, jwt.SigningMethodES256, iss.key, iss.kid, with("nbf", now.Add(time.Hour).Unix())), false},
		{"missing exp", sign(t, jwt.SigningMethodES256, iss.key, iss.kid, without("exp")), false},
		{"wrong issuer", sign(t, jwt.SigningMethodES256, iss.key, iss.kid, with("iss", "https://evil.example")), false},
		{"wrong audience", sign(t, jwt.SigningMethodES256, iss.key, iss.kid, with("aud", "other-app")), false},
		{"no subject", sign(t, jwt.SigningMethodES256, iss.key, iss.kid, without("sub")), false},
		{"control characters in subject", sign(t, jwt.SigningMethodES256, iss.key, iss.kid, with("sub", "al\x00ice")), false},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, iss.kid, good()), false},
		{"HS256 keyed with the public key", sign(t, jwt.SigningMethodHS256, pubDER, iss.kid, good()), false},
		{"signed by another key", sign(t, jwt.SigningMethodES256, otherKey, iss.kid, good()), false},
		{"garbage", "eyJhbGciOi.not.a-token", false},
		{"empty", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), tc.token)
			if tc.ok {
				if err != nil || id.UserID != "alice" {
					t.Fatalf("valid token refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("accepted (id %+v, err %v)", id, err)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Fatal("error message contains the token")
			}
		})
	}
}

func TestLocalKeySurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrCreateLocalIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := first.Mint("alice", time.Hour)
	second, err := LoadOrCreateLocalIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := second.Trust()
	v, _ := NewVerifier(trust)
	if id, err := v.Verify(context.Background(), tok); err != nil || id.UserID != "alice" {
		t.Fatalf("token from before the restart refused: %v", err)
	}
}

// fakeIdP serves a JWKS like Cognito's and can rotate its key.
type fakeIdP struct {
	mu      sync.Mutex
	key     *rsa.PrivateKey
	kid     string
	fetches int
	srv     *httptest.Server
}

func newFakeIdP(t *testing.T) *fakeIdP {
	f := &fakeIdP{}
	f.rotate(t, "k1")
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.fetches++
		jwk, _ := jwkset.NewJWKFromKey(&f.key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.AlgRS256, KID: f.kid, USE: jwkset.UseSig}})
		set := jwkset.NewMemoryStorage()
		_ = set.KeyWrite(r.Context(), jwk)
		raw, _ := set.JSONPublic(r.Context())
		_, _ = w.Write(raw)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) rotate(t *testing.T, kid string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.key, f.kid = key, kid
	f.mu.Unlock()
}

func (f *fakeIdP) token(t *testing.T, c jwt.MapClaims) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return sign(t, jwt.SigningMethodRS256, f.key, f.kid, c)
}

func TestCognitoStyleIssuer(t *testing.T) {
	idp := newFakeIdP(t)
	issuer := "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	idTrust, err := NewTrustedOIDC(ctx, OIDCConfig{Issuer: issuer, JWKSURL: idp.srv.URL, Audience: "client123", TokenUse: "id"})
	if err != nil {
		t.Fatal(err)
	}
	idV, _ := NewVerifier(idTrust)
	now := time.Now()
	idClaims := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": issuer, "aud": "client123", "sub": "u-1", "token_use": "id", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	}
	if id, err := idV.Verify(ctx, idp.token(t, idClaims())); err != nil || id.UserID != "u-1" {
		t.Fatalf("cognito id token refused: %v", err)
	}
	access := idClaims()
	access["token_use"] = "access"
	if _, err := idV.Verify(ctx, idp.token(t, access)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("access token accepted where id tokens are required: %v", err)
	}

	// Key rotation: a token with an unknown kid triggers one refetch.
	idp.rotate(t, "k2")
	if id, err := idV.Verify(ctx, idp.token(t, idClaims())); err != nil || id.UserID != "u-1" {
		t.Fatalf("token signed with a rotated key refused: %v", err)
	}

	acTrust, err := NewTrustedOIDC(ctx, OIDCConfig{Issuer: issuer, JWKSURL: idp.srv.URL, Audience: "client123", TokenUse: "access"})
	if err != nil {
		t.Fatal(err)
	}
	acV, _ := NewVerifier(acTrust)
	ac := jwt.MapClaims{"iss": issuer, "client_id": "client123", "sub": "u-1", "token_use": "access", "exp": now.Add(time.Hour).Unix()}
	if _, err := acV.Verify(ctx, idp.token(t, ac)); err != nil {
		t.Fatalf("cognito access token refused: %v", err)
	}
	ac["client_id"] = "someone-else"
	if _, err := acV.Verify(ctx, idp.token(t, ac)); !errors.Is(err, ErrInvalidToken) {
		t.Fatal("access token for another client accepted")
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

// TestOnlyTheExactTokenVerifies: respellings of a valid token that decode to
// the same signature (a line break, a last character with the same
// significant bits) are refused, so nothing keyed on the token string can be
// sidestepped with them.
func TestOnlyTheExactTokenVerifies(t *testing.T) {
	iss, v := localVerifier(t)
	tok := must(iss.Mint("alice", time.Hour))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("the token itself: %v", err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	sig := strings.LastIndexByte(tok, '.') + 10
	for name, variant := range map[string]string{
		"last character, same bits": tok[:len(tok)-1] + string(alphabet[last^1]),
		"line break in signature":   tok[:sig] + "\n" + tok[sig:],
		"padding":                   tok + "==",
	} {
		if _, err := v.Verify(context.Background(), variant); err == nil {
			t.Errorf("%s: a respelled token verified", name)
		}
	}
}
