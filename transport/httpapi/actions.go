package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// Actions over REST: what the socket's WIDGET_ACTION does, for a Stream Deck
// button, a chat bot or a shell script. The caller is a user (JWT: any
// action of their own widgets) or a widget's control token ("swc_…": that
// widget's actions, nothing else). A widget's access token (the read-only
// OBS token) is refused, as on every /records route.

// maxActionLen bounds the action name, as the socket does.
const maxActionLen = 64

// localControlToken holds a control token from Authorization, for the
// actions route only (authenticate).
const localControlToken = "control_token"

// actionResponse is the socket's WIDGET_ACTION_RESPONSE, as a successful
// REST answer; failures use the API's one error shape with the same code.
type actionResponse = protocol.ActionResponse

// isActionPath reports whether path is /records/stream_widgets/{id}/actions/{action}.
func isActionPath(path string) bool {
	rest, ok := strings.CutPrefix(path, recordsPath+"/")
	if !ok {
		return false
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	return len(parts) == 3 && parts[1] == "actions" && parts[0] != "" && parts[2] != ""
}

// caller is who runs the action: the control token when one was sent,
// else the signed-in user.
func caller(c *fiber.Ctx) *widgetpb.Caller {
	if token, ok := c.Locals(localControlToken).(string); ok {
		return actors.ControlCaller(token)
	}
	return actors.UserCaller(userID(c))
}

func (h *handlers) act(c *fiber.Ctx) error {
	id, action := c.Params("id"), c.Params("action")
	if action == "" || len(action) > maxActionLen || !utf8.ValidString(action) || strings.ContainsFunc(action, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return writeError(c, fiber.StatusBadRequest, CodeInvalidField, "the action name must be 1-64 printable characters (GET /kinds lists each kind's actions)")
	}
	payload := bytes.TrimSpace(c.Body())
	switch {
	case len(payload) == 0:
		payload = nil // an action without a payload
	case !json.Valid(payload):
		return writeError(c, fiber.StatusBadRequest, CodeMalformedJSON, "the body is the action's payload and must be JSON (or empty)")
	case !utf8.Valid(payload):
		return writeError(c, fiber.StatusBadRequest, CodeMalformedJSON, "the body is not valid UTF-8")
	}
	ctx, cancel := h.ctx(c)
	defer cancel()
	rec, err := h.d.Widgets.Act(ctx, caller(c), id, action, json.RawMessage(payload))
	if err != nil {
		return widgetError(c, err)
	}
	return c.JSON(actionResponse{Type: protocol.TypeActionResponse, WidgetID: id, Action: action, Success: true, Version: rec.Version})
}

// controlTokenHash keys a control token's own rate limit bucket.
func controlTokenHash(c *fiber.Ctx) string {
	token, _ := c.Locals(localControlToken).(string)
	return persistence.TokenHash(token)
}
