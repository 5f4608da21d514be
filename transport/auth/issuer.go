// Package auth verifies user JWTs. There is one verification path for every
// trusted issuer: the production OIDC issuer (e.g. AWS Cognito, keys from its
// JWKS URL) and the self-hosted issuer (this service, key in the data dir).
package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// Defaults of the self-hosted issuer.
const (
	LocalIssuerName = "streamwidgets-local"
	LocalAudience   = "streamwidgets"
	keyFile         = "issuer-es256.pem"
)

// LocalIssuer is the self-hosted issuer: an ES256 key created in the data dir
// on first start, so tokens minted by `streamwidgets token` keep working for a
// server started on the same data dir, across restarts.
type LocalIssuer struct {
	key      *ecdsa.PrivateKey
	kid      string
	issuer   string
	audience string
	jwks     json.RawMessage
}

// ErrNoKey means the data dir has no signing key: no server has started on it.
var ErrNoKey = errors.New("auth: no signing key")

// LoadOrCreateLocalIssuer reads the signing key from dir/keys, creating it if
// absent (the server does this on its first start).
func LoadOrCreateLocalIssuer(dir string) (*LocalIssuer, error) {
	return loadIssuer(dir, true)
}

// LoadLocalIssuer reads an existing signing key. The CLI uses it: a token
// signed with a key the server does not have would fail with no useful hint.
func LoadLocalIssuer(dir string) (*LocalIssuer, error) {
	return loadIssuer(dir, false)
}

func loadIssuer(dir string, create bool) (*LocalIssuer, error) {
	keysDir := filepath.Join(dir, "keys")
	path := filepath.Join(keysDir, keyFile)
	key, err := readKey(path)
	if errors.Is(err, os.ErrNotExist) {
		if !create {
			return nil, fmt.Errorf("%w in %s: start the server with this --data first, or pass the --data the server uses", ErrNoKey, keysDir)
		}
		key, err = createKey(keysDir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: signing key %s: %w", path, err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("auth: public key: %w", err)
	}
	sum := sha256.Sum256(der)
	iss := &LocalIssuer{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:12]), issuer: LocalIssuerName, audience: LocalAudience}
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
		ALG: jwkset.AlgES256, KID: iss.kid, USE: jwkset.UseSig,
	}})
	if err != nil {
		return nil, fmt.Errorf("auth: jwk: %w", err)
	}
	set := jwkset.NewMemoryStorage()
	if err := set.KeyWrite(context.Background(), jwk); err != nil {
		return nil, fmt.Errorf("auth: jwks: %w", err)
	}
	if iss.jwks, err = set.JSONPublic(context.Background()); err != nil {
		return nil, fmt.Errorf("auth: jwks json: %w", err)
	}
	return iss, nil
}

// JWKS is the issuer's public key set, served at /.well-known/jwks.json.
func (i *LocalIssuer) JWKS() json.RawMessage { return i.jwks }

// Mint signs a user token valid for ttl.
func (i *LocalIssuer) Mint(userID string, ttl time.Duration) (string, error) {
	if err := checkSubject(userID); err != nil {
		return "", err
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer: i.issuer, Subject: userID, Audience: jwt.ClaimStrings{i.audience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	})
	tok.Header["kid"] = i.kid
	s, err := tok.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return s, nil
}

// Trust returns the verifier entry for this issuer.
func (i *LocalIssuer) Trust() (Trusted, error) {
	return NewTrustedFromJWKS(i.issuer, i.audience, "", i.jwks)
}

func readKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM file")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("not a P-256 key")
	}
	return key, nil
}

// createKey writes a new key atomically, readable by this user only.
func createKey(dir, path string) (*ecdsa.PrivateKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	// Link, not rename: if another process created the key meanwhile, keep theirs.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return readKey(path)
		}
		return nil, err
	}
	return key, nil
}
