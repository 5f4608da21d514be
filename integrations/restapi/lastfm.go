package restapi

import (
	"encoding/json"
	"errors"
	"regexp"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations/grain"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// lastfmUser is Last.fm's user name rule: 2-15 characters, a letter first.
var lastfmUser = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{1,14}$`)

// lastfmPut connects Last.fm by user name (recent tracks are public; the
// server's API key reads them). The account id is the owner's id: one
// Last.fm poller per streamwidgets user.
func (a *api) lastfmPut(c *fiber.Ctx) error {
	if !a.d.LastfmEnabled {
		return writeError(c, fiber.StatusConflict, CodeNotConfigured, "the server has no Last.fm API key (--lastfm-api-key)")
	}
	var body struct {
		Username string `json:"username"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return writeError(c, fiber.StatusBadRequest, CodeMalformedJSON, "send {\"username\": \"…\"}")
	}
	if !lastfmUser.MatchString(body.Username) {
		return writeError(c, fiber.StatusBadRequest, CodeInvalidField, "username: 2-15 letters, digits, _ or -, starting with a letter")
	}
	ctx, cancel := a.ctx(c)
	defer cancel()
	user := userOf(c)
	creds := persistence.Credentials{AccountID: user, AccountName: body.Username}
	if _, err := a.d.Creds.PutCredentials(ctx, user, grain.ServiceLastfm, creds, persistence.AnyVersion); err != nil {
		return writeError(c, fiber.StatusServiceUnavailable, CodeUnavailable, "the store is unavailable; try again")
	}
	st, err := a.d.Connections.Ensure(user, grain.ServiceLastfm, user, true)
	if err != nil {
		a.d.Log.Warn("the Last.fm integration did not start yet; the activator retries", zap.Error(err))
	}
	return c.JSON(fiber.Map{"data": st})
}

func (a *api) lastfmDelete(c *fiber.Ctx) error {
	ctx, cancel := a.ctx(c)
	defer cancel()
	user := userOf(c)
	if _, err := a.d.Creds.GetCredentials(ctx, user, grain.ServiceLastfm); errors.Is(err, persistence.ErrNotFound) {
		return c.JSON(fiber.Map{"data": disconnected(grain.ServiceLastfm)})
	}
	if err := a.d.Creds.DeleteCredentials(ctx, user, grain.ServiceLastfm); err != nil {
		return writeError(c, fiber.StatusServiceUnavailable, CodeUnavailable, "the store is unavailable; try again")
	}
	if _, err := a.d.Connections.Stop(user, grain.ServiceLastfm, user); err != nil {
		a.d.Log.Warn("could not stop the Last.fm integration", zap.Error(err))
	}
	return c.JSON(fiber.Map{"data": disconnected(grain.ServiceLastfm)})
}
