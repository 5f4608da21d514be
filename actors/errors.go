// Package actors holds the widget grain (a protoactor cluster virtual actor
// that alone owns a widget's record) and the client the transports use to
// reach it wherever in the cluster it lives.
package actors

import (
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
)

// Error codes a grain call can fail with. They cross the cluster as the
// GrainErrorResponse reason and end up, unchanged, in REST and WebSocket errors.
const (
	CodeNotFound         = "not_found"
	CodeForbidden        = "forbidden"
	CodeConflict         = "conflict"
	CodeStoreUnavailable = "store_unavailable"
	CodeUnavailable      = "unavailable"
	CodeTooLarge         = "too_large"
	CodeInternal         = "internal"
	CodeRateLimited      = "rate_limited"
	// CodeInvalidField: a record field (not the kind's config) is unusable, e.g. a title.
	CodeInvalidField = "invalid_field"
	// CodeTooManySubscribers: a widget has MaxSubscribers viewers already.
	CodeTooManySubscribers = "too_many_subscribers"
	// CodeInactive: the widget is switched off; it runs no actions.
	CodeInactive = "inactive"
)

// Error is a grain call failure with a stable, client-facing code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "widget: " + e.Code + ": " + e.Message }

// Is matches errors by code, so errors.Is(err, ErrNotFound) works.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrNotFound         = &Error{Code: CodeNotFound}
	ErrForbidden        = &Error{Code: CodeForbidden}
	ErrConflict         = &Error{Code: CodeConflict}
	ErrStoreUnavailable = &Error{Code: CodeStoreUnavailable}
)

// grainError turns an error inside the grain into the response that crosses the wire.
func grainError(err error) *cluster.GrainErrorResponse {
	var ke *kinds.Error
	var we *Error
	switch {
	case errors.As(err, &ke):
		return cluster.NewGrainErrorResponse(ke.Code, ke.Message)
	case errors.As(err, &we):
		return cluster.NewGrainErrorResponse(we.Code, we.Message)
	default:
		return cluster.NewGrainErrorResponse(CodeInternal, "internal error")
	}
}

// fromGrainError turns what a grain call returned into an *Error.
func fromGrainError(err error) error {
	var ge *cluster.GrainErrorResponse
	if errors.As(err, &ge) {
		return &Error{Code: ge.Reason, Message: ge.Message}
	}
	return &Error{Code: CodeUnavailable, Message: fmt.Sprintf("widget service unreachable: %v", err)}
}

func notFound() error { return &Error{Code: CodeNotFound, Message: "widget not found"} }
