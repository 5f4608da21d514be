package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidToken is returned for every token that must not be accepted.
var ErrInvalidToken = errors.New("auth: invalid token")

// Identity is who a verified token belongs to.
type Identity struct {
	UserID string
	// ExpiresAt is when the token stops being valid; long-lived sessions
	// (WebSockets) end then.
	ExpiresAt time.Time
}

// Trusted is one issuer the verifier accepts.
type Trusted struct {
	Issuer string
	// Audience is the required `aud`; for Cognito access tokens (which have
	// no `aud`) it is the required `client_id`.
	Audience string
	// TokenUse, if set, is Cognito's required `token_use` ("id" or "access").
	TokenUse string
	// Algorithms the issuer signs with; anything else (`none`, HS*) is refused.
	Algorithms []string
	keys       keyfunc.Keyfunc
}

// NewTrustedFromJWKS trusts an issuer whose keys are given as a JWKS document.
func NewTrustedFromJWKS(issuer, audience, tokenUse string, jwks json.RawMessage) (Trusted, error) {
	kf, err := keyfunc.NewJWKSetJSON(jwks)
	if err != nil {
		return Trusted{}, fmt.Errorf("auth: jwks for %s: %w", issuer, err)
	}
	return Trusted{Issuer: issuer, Audience: audience, TokenUse: tokenUse, Algorithms: []string{"ES256"}, keys: kf}, nil
}

// OIDCConfig configures a production issuer such as AWS Cognito.
type OIDCConfig struct {
	Issuer   string // e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>
	JWKSURL  string // default: Issuer + "/.well-known/jwks.json"
	Audience string // app client id
	TokenUse string // Cognito: "id" or "access"; empty for other issuers
}

// NewTrustedOIDC trusts an OIDC issuer whose keys are fetched from its JWKS
// URL, cached, and refetched (rate-limited) when a token names an unknown kid.
func NewTrustedOIDC(ctx context.Context, c OIDCConfig) (Trusted, error) {
	if c.Issuer == "" || c.Audience == "" {
		return Trusted{}, errors.New("auth: an OIDC issuer needs an issuer URL and an audience (client id)")
	}
	if c.TokenUse != "" && c.TokenUse != "id" && c.TokenUse != "access" {
		return Trusted{}, fmt.Errorf("auth: token use %q: want id or access", c.TokenUse)
	}
	url := c.JWKSURL
	if url == "" {
		url = strings.TrimSuffix(c.Issuer, "/") + "/.well-known/jwks.json"
	}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{url}, keyfunc.Override{
		RateLimitWaitMax: 2 * time.Second, // never hold a request a minute for a refetch
		HTTPTimeout:      5 * time.Second,
	})
	if err != nil {
		return Trusted{}, fmt.Errorf("auth: jwks %s: %w", url, err)
	}
	return Trusted{Issuer: c.Issuer, Audience: c.Audience, TokenUse: c.TokenUse, Algorithms: []string{"RS256"}, keys: kf}, nil
}

// Verifier checks user JWTs against a fixed set of trusted issuers.
type Verifier struct {
	trusted map[string]Trusted
}

// NewVerifier returns a verifier for the given issuers.
func NewVerifier(trusted ...Trusted) (*Verifier, error) {
	v := &Verifier{trusted: map[string]Trusted{}}
	for _, t := range trusted {
		if _, dup := v.trusted[t.Issuer]; dup {
			return nil, fmt.Errorf("auth: issuer %q configured twice", t.Issuer)
		}
		v.trusted[t.Issuer] = t
	}
	if len(v.trusted) == 0 {
		return nil, errors.New("auth: no trusted issuer")
	}
	return v, nil
}

type claims struct {
	jwt.RegisteredClaims
	TokenUse string `json:"token_use,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}

// Verify checks signature, algorithm, exp, nbf, iss, aud (and Cognito's
// token_use) and returns the token's identity. Errors wrap ErrInvalidToken
// with a reason a client may see; they never contain the token.
func (v *Verifier) Verify(ctx context.Context, token string) (Identity, error) {
	if token == "" || len(token) > 8192 {
		return Identity{}, fmt.Errorf("%w: missing or oversized", ErrInvalidToken)
	}
	// One token, one spelling: base64url without padding only, strictly
	// decoded, so no variant of a valid token (a line break, a last character
	// that decodes to the same bits) verifies and slips past anything keyed
	// on the token string.
	if !compactJWS(token) {
		return Identity{}, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	var peek claims
	if _, _, err := jwt.NewParser(jwt.WithStrictDecoding()).ParseUnverified(token, &peek); err != nil {
		return Identity{}, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	t, ok := v.trusted[peek.Issuer]
	if !ok {
		return Identity{}, fmt.Errorf("%w: untrusted issuer", ErrInvalidToken)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(t.Algorithms), jwt.WithIssuer(t.Issuer),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(30 * time.Second), jwt.WithStrictDecoding(),
	}
	if t.TokenUse != "access" {
		opts = append(opts, jwt.WithAudience(t.Audience))
	}
	var c claims
	if _, err := jwt.ParseWithClaims(token, &c, t.keys.KeyfuncCtx(ctx), opts...); err != nil {
		return Identity{}, fmt.Errorf("%w: %s", ErrInvalidToken, reason(err))
	}
	if t.TokenUse != "" && c.TokenUse != t.TokenUse {
		return Identity{}, fmt.Errorf("%w: token_use must be %s", ErrInvalidToken, t.TokenUse)
	}
	if t.TokenUse == "access" && c.ClientID != t.Audience {
		return Identity{}, fmt.Errorf("%w: wrong client_id", ErrInvalidToken)
	}
	if err := checkSubject(c.Subject); err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	return Identity{UserID: c.Subject, ExpiresAt: c.ExpiresAt.Time}, nil
}

func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "untrusted issuer"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "a required claim is missing"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "bad signature or algorithm"
	default:
		return "rejected"
	}
}

// checkSubject keeps user ids printable and bounded: they become store keys.
func checkSubject(sub string) error {
	if sub == "" || len(sub) > 128 {
		return errors.New("subject must be 1-128 characters")
	}
	if strings.IndexFunc(sub, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar }) >= 0 {
		return errors.New("subject has control characters")
	}
	return nil
}

// compactJWS reports whether token has only base64url characters and dots.
func compactJWS(token string) bool {
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
