package protocol

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestProtocolDocCoversTheContract keeps docs/protocol.md true: every
// message type, error code and close code of this package is documented.
func TestProtocolDocCoversTheContract(t *testing.T) {
	data, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	names := []string{TypeAuth, TypeSubscribe, TypeUnsubscribe, TypeAction, TypeAuthOK, TypeInitialState,
		TypeStateUpdate, TypeConfigUpdate, TypeActionResponse, TypeDeleted, TypeError,
		CodeBadMessage, CodeAuthRequired, CodeAuthFailed, CodeAlreadyAuthed, CodeNotFound, CodeForbidden,
		CodeRateLimited, CodeTooManySubs, CodeTokenRevoked, CodeSlowConsumer, CodeTooManyConnections,
		CodeUnavailable, CodeInternal}
	for _, n := range names {
		if !strings.Contains(doc, "`"+n+"`") {
			t.Errorf("docs/protocol.md does not document `%s`", n)
		}
	}
	for _, code := range []int{CloseNormal, CloseGoingAway, ClosePolicyViolation, CloseMessageTooBig, CloseInternalError,
		CloseTokenRevoked, CloseSlowConsumer, CloseTooMany, CloseIdleTimeout} {
		if !strings.Contains(doc, "| "+strconv.Itoa(code)+" |") {
			t.Errorf("docs/protocol.md has no row for close code %d", code)
		}
	}
}
