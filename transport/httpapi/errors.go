package httpapi

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/kinds"
)

// Stable error codes of the REST API (also listed in openapi.json).
const (
	CodeMalformedJSON  = "malformed_json"
	CodeInvalidField   = "invalid_field"
	CodeUnknownField   = "unknown_field"
	CodeReadOnlyField  = "read_only_field"
	CodeInvalidQuery   = "invalid_query"
	CodeInvalidCursor  = "invalid_cursor"
	CodeUnauthorized   = "unauthorized"
	CodeNotFound       = "not_found"
	CodeTooLarge       = "body_too_large"
	CodeRateLimited    = "rate_limited"
	CodeInternal       = "internal"
	CodeNotImplemented = "method_not_allowed"
)

// errorBody is the one error shape of every route: {"error":{"code","message"}}.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(c *fiber.Ctx, status int, code, message string) error {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	return c.Status(status).JSON(b)
}

// widgetError maps a grain error to its HTTP status, keeping the grain's code.
func widgetError(c *fiber.Ctx, err error) error {
	var ke *kinds.Error
	var we *actors.Error
	switch {
	case errors.As(err, &ke):
		return writeError(c, fiber.StatusUnprocessableEntity, ke.Code, ke.Message)
	case errors.As(err, &we):
		if we.Code == actors.CodeRateLimited {
			c.Set(fiber.HeaderRetryAfter, "1") // the widget's budget refills continuously
		}
		return writeError(c, statusOf(we.Code), we.Code, we.Message)
	default:
		return err // logged and answered 500 by the error handler
	}
}

func statusOf(code string) int {
	switch code {
	case actors.CodeNotFound:
		return fiber.StatusNotFound
	case actors.CodeForbidden:
		return fiber.StatusForbidden
	case actors.CodeConflict, actors.CodeInactive:
		return fiber.StatusConflict
	case actors.CodeInvalidField:
		return fiber.StatusBadRequest
	case actors.CodeStoreUnavailable, actors.CodeUnavailable:
		return fiber.StatusServiceUnavailable
	case actors.CodeTooLarge:
		return fiber.StatusRequestEntityTooLarge
	case actors.CodeRateLimited: // a widget's own action budget
		return fiber.StatusTooManyRequests
	case kinds.CodeInvalidConfig, kinds.CodeUnknownType, kinds.CodeInvalidPayload, kinds.CodeUnknownAction, kinds.CodeRejected:
		return fiber.StatusUnprocessableEntity
	default:
		return fiber.StatusInternalServerError
	}
}
