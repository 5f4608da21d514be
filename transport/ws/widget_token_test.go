package ws

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/transport/auth"
)

// TestWidgetTokenThatStartsLikeAJWTSignsIn: widget access tokens are 43
// random base64url characters (actors.NewAccessToken), so about one widget
// in 262,144 gets one starting "eyJ" — the way every JWT starts. Such a
// widget's OBS views must still sign in, not be sent to the JWT verifier
// and refused auth_failed ("malformed"): every view of that widget would be.
func TestWidgetTokenThatStartsLikeAJWTSignsIn(t *testing.T) {
	var token string
	for {
		tok, err := actors.NewAccessToken()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(tok, "eyJ") {
			token = tok
			break
		}
	}
	iss, err := auth.LoadOrCreateLocalIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := iss.Trust()
	verifier, _ := auth.NewVerifier(tr)
	ts := startServerWith(t, Config{}, actors.ConnDeps{
		VerifyUser: func(ctx context.Context, tok string) (string, time.Time, error) {
			id, err := verifier.Verify(ctx, tok)
			return id.UserID, id.ExpiresAt, err
		},
		WidgetForToken: func(_ context.Context, tok string) (string, error) {
			if tok != token {
				return "", errors.New("unknown token")
			}
			return "w1", nil
		},
		Widgets: readOnlyGrains{},
	})
	c := ts.rawDial(t, clientFrame(opText, true, []byte(`{"type":"AUTH","token":"`+token+`"}`)))
	op, p, err := c.next(3 * time.Second)
	if err != nil || op != opText || !strings.Contains(string(p), "AUTH_OK") {
		t.Fatalf("widget token %s…: answered op %d %q (%v)", token[:6], op, p, err)
	}
}
