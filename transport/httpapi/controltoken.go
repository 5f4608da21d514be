package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/streamwidgets/streamwidgets/actors"
)

// issueControlToken gives the widget a new control token for a Stream Deck,
// a chat bot or a script: it runs the widget's actions (POST …/actions/:action
// with "Authorization: Bearer swc_…") and nothing else. The token is in this
// answer only (control_token); a new one replaces the old at once.
func (h *handlers) issueControlToken(c *fiber.Ctx) error {
	return h.controlToken(c, false)
}

// revokeControlToken removes the widget's control token.
func (h *handlers) revokeControlToken(c *fiber.Ctx) error {
	return h.controlToken(c, true)
}

func (h *handlers) controlToken(c *fiber.Ctx, revoke bool) error {
	ctx, cancel := h.ctx(c)
	defer cancel()
	rec, err := h.d.Widgets.ControlToken(ctx, actors.UserCaller(userID(c)), c.Params("id"), revoke)
	if err != nil {
		return widgetError(c, err)
	}
	// The answer holds a secret shown once: no cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(envelope{Data: rec})
}
