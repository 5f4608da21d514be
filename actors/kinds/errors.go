package kinds

import "fmt"

// Error codes shared with the REST and WebSocket error bodies.
const (
	CodeInvalidConfig  = "invalid_config"
	CodeUnknownAction  = "unknown_action"
	CodeInvalidPayload = "invalid_payload"
	CodeRejected       = "action_rejected"
	CodeUnknownType    = "unknown_type"
	CodeCorruptState   = "corrupt_state"
)

// Error is a client-facing validation or transition error with a stable code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidConfig reports a config field that fails validation.
func InvalidConfig(format string, args ...any) error {
	return errorf(CodeInvalidConfig, format, args...)
}

// InvalidPayload reports an action payload that fails validation.
func InvalidPayload(format string, args ...any) error {
	return errorf(CodeInvalidPayload, format, args...)
}

// Rejected reports an action that is valid but not allowed in this state.
func Rejected(format string, args ...any) error {
	return errorf(CodeRejected, format, args...)
}

// UnknownAction reports an action name the kind does not have.
func UnknownAction(kind, name string) error {
	return errorf(CodeUnknownAction, "%s widgets have no action %q", kind, name)
}
