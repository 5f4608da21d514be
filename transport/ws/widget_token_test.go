package ws

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

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
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	srv := New(Config{}, system, actors.ConnDeps{
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
	}, zap.NewNop())
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	srv.Register(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		_ = app.ShutdownWithContext(ctx)
		system.Shutdown()
	})
	ts := &testServer{t: t, srv: srv, addr: ln.Addr().String()}
	c := ts.rawDial(t, clientFrame(opText, true, []byte(`{"type":"AUTH","token":"`+token+`"}`)))
	op, p, err := c.next(3 * time.Second)
	if err != nil || op != opText || !strings.Contains(string(p), "AUTH_OK") {
		t.Fatalf("widget token %s…: answered op %d %q (%v)", token[:6], op, p, err)
	}
}
