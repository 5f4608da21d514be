package clustered_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
)

// TestActVersionIsTheActionsVersion: a socket's action response carries the
// version its action produced, and refusals keep their codes (another
// user's widget is not found, a bad payload is invalid).
func TestActVersionIsTheActionsVersion(t *testing.T) {
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute)
	alice, bob := actors.UserCaller("alice"), actors.UserCaller("bob")
	rec, err := n.w.Create(ctx, alice, "g", actors.CreateInput{Type: "goal", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 3; i++ {
		v, err := n.w.ActVersion(ctx, alice, "g", "increment", json.RawMessage(`{"by":1}`))
		if err != nil || v != rec.Version+i {
			t.Fatalf("action %d: version %d (%v), want %d", i, v, err, rec.Version+i)
		}
	}
	got, err := n.w.Get(ctx, alice, "g")
	if err != nil || got.Version != rec.Version+3 || string(got.State) != `{"current":3}` {
		t.Fatalf("after: version %d state %s (%v)", got.Version, got.State, err)
	}
	if _, err := n.w.ActVersion(ctx, bob, "g", "increment", json.RawMessage(`{"by":1}`)); code(err) != actors.CodeNotFound {
		t.Fatalf("another user's action: %v, want not_found", err)
	}
	if _, err := n.w.ActVersion(ctx, alice, "g", "set", json.RawMessage(`{"value":-1}`)); code(err) != "invalid_payload" {
		t.Fatalf("bad payload: %v (code %q), want invalid_payload", err, code(err))
	}
}
