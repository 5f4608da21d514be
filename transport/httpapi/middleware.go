package httpapi

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
)

const (
	localRequestID = "request_id"
	localUserID    = "user_id"
)

// requestContext gives each request an id, recovers panics, records metrics
// and writes one access log line. It logs the path only: a query string may
// carry a token (the widgets plan's ?token= form), so it never reaches a log.
func requestContext(log *zap.Logger, m *metrics) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		start := time.Now()
		id := uuid.NewString()
		c.Locals(localRequestID, id)
		c.Set("X-Request-Id", id)
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", zap.String("request_id", id), zap.Any("panic", r), zap.Stack("stack"))
				err = writeError(c, fiber.StatusInternalServerError, CodeInternal, "internal error; the request id is "+id)
			}
		}()
		err = c.Next()
		if err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
			err = nil
		}
		status := c.Response().StatusCode()
		route := c.Route().Path
		m.observe(c.Method(), route, status, time.Since(start))
		fields := []zap.Field{
			zap.String("request_id", id), zap.String("method", c.Method()), zap.String("path", c.Path()),
			zap.Int("status", status), zap.Duration("latency", time.Since(start)),
		}
		if uid, ok := c.Locals(localUserID).(string); ok {
			fields = append(fields, zap.String("user_id", uid))
		}
		switch {
		case strings.HasPrefix(route, "/healthz") || strings.HasPrefix(route, "/metrics"):
		case status == fiber.StatusTooManyRequests:
			// A flood must not become a flood of log lines: the limiter logs
			// its first refusal and streamwidgets_http_rate_limited_total counts all.
			log.Debug("request", fields...)
		default:
			log.Info("request", fields...)
		}
		return nil
	}
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

func userID(c *fiber.Ctx) string {
	id, _ := c.Locals(localUserID).(string)
	return id
}

// authenticate requires "Authorization: Bearer <user JWT>" and puts the
// verified user id in the request's locals; on the actions route it also
// takes a widget's control token (actions.go).
func (h *handlers) authenticate(c *fiber.Ctx) error {
	header := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		h.limits.chargeAddress(c)
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="streamwidgets"`)
		return writeError(c, fiber.StatusUnauthorized, CodeUnauthorized, "sign in: send Authorization: Bearer <token>")
	}
	token = strings.TrimSpace(token)
	if strings.HasPrefix(token, actors.ControlTokenPrefix) {
		// A control token signs no one in; its widget's grain checks it. Its
		// holder is unknown until then, so the address pays for the request.
		h.limits.chargeAddress(c)
		if c.Method() != fiber.MethodPost || !isActionPath(c.Path()) {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="streamwidgets", error="insufficient_scope"`)
			return writeError(c, fiber.StatusUnauthorized, CodeUnauthorized,
				"a control token only runs its widget's actions: POST "+recordsPath+"/{id}/actions/{action}")
		}
		c.Locals(localControlToken, token)
		return c.Next()
	}
	id, err := h.d.Verifier.Verify(c.UserContext(), token)
	if err != nil {
		h.limits.chargeAddress(c) // a failed sign-in counts against its address
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="streamwidgets", error="invalid_token"`)
		return writeError(c, fiber.StatusUnauthorized, CodeUnauthorized, strings.TrimPrefix(err.Error(), "auth: "))
	}
	c.Locals(localUserID, id.UserID)
	return c.Next()
}

// createLimitKey keys the create rate limit by user, not by IP (many streamers share NATs).
func createLimitKey(c *fiber.Ctx) string { return "u:" + userID(c) }
