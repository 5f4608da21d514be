package protocol

// Error codes of ERROR messages and failed WIDGET_ACTION_RESPONSEs. Widget
// errors keep the grain's code (not_found, forbidden, invalid_payload,
// unknown_action, action_rejected, rate_limited, store_unavailable, …).
const (
	CodeBadMessage         = "bad_message"   // not JSON, unknown type, missing or malformed field
	CodeAuthRequired       = "auth_required" // a message other than AUTH before AUTH
	CodeAuthFailed         = "auth_failed"   // the token is invalid, expired or revoked
	CodeAlreadyAuthed      = "already_authenticated"
	CodeNotFound           = "not_found"    // no such widget, or not yours
	CodeForbidden          = "forbidden"    // a read-only session tried to act
	CodeRateLimited        = "rate_limited" // too many messages: slow down
	CodeTooManySubs        = "too_many_subscriptions"
	CodeTokenRevoked       = "token_revoked"        // the widget's token was regenerated
	CodeWidgetDeleted      = "widget_deleted"       // AUTH with the token of a widget deleted in the last 30 days
	CodeSlowConsumer       = "slow_consumer"        // the client did not read fast enough
	CodeTooManyConnections = "too_many_connections" // per user or per address
	CodeUnavailable        = "unavailable"          // try again shortly
	CodeInternal           = "internal"
)

// Close codes the server uses (RFC 6455 and the 4000-4999 private range).
const (
	CloseNormal          = 1000 // the client asked to close
	CloseGoingAway       = 1001 // the server is shutting down: reconnect
	ClosePolicyViolation = 1008 // no AUTH within the deadline, failed AUTH, or sustained flooding
	CloseMessageTooBig   = 1009 // a frame over the size limit (16 KiB)
	CloseInternalError   = 1011
	CloseTokenRevoked    = 4001 // the widget token was regenerated: get the new OBS URL
	CloseSlowConsumer    = 4002 // outbound queue overflowed: reconnect and resubscribe
	CloseTooMany         = 4003 // connection cap per user or address reached
	CloseIdleTimeout     = 4004 // no pong / no traffic within the idle timeout
)
