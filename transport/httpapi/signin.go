package httpapi

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
)

// SignIn exchanges a one-time sign-in ticket for a session token.
type SignIn func(ticket string) (token, userID string, expires time.Time, err error)

// registerSignIn mounts POST /auth/session when the self-hosted issuer is on.
func registerSignIn(app *fiber.App, signIn SignIn) {
	if signIn == nil {
		return
	}
	perAddress := limiter.New(limiter.Config{Max: 20, Expiration: time.Minute,
		LimitReached: func(c *fiber.Ctx) error {
			return writeError(c, fiber.StatusTooManyRequests, CodeRateLimited, "too many sign-in attempts; wait a minute")
		}})
	app.Post("/auth/session", perAddress, func(c *fiber.Ctx) error {
		var body struct {
			Ticket string `json:"ticket"`
		}
		if err := json.Unmarshal(c.Body(), &body); err != nil || body.Ticket == "" {
			return writeError(c, fiber.StatusBadRequest, CodeMalformedJSON, `send {"ticket":"…"} from a sign-in link`)
		}
		token, user, expires, err := signIn(body.Ticket)
		if err != nil {
			return writeError(c, fiber.StatusUnauthorized, CodeUnauthorized, "this sign-in link is invalid, expired or already used; make a new one with: streamwidgets login-link --user NAME")
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(envelope{Data: fiber.Map{"token": token, "user_id": user, "expires_at": expires.UTC().Format(time.RFC3339)}})
	})
}
