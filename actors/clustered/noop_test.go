package clustered_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/actortest"
)

// TestAChangeThatChangesNothingKeepsTheVersion: echoing a record back, or
// setting what is already set, writes nothing and bumps no version.
func TestAChangeThatChangesNothingKeepsTheVersion(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), actortest.NewClock(start), time.Minute)
	alice := actors.UserCaller("alice")
	rec := createCountdown(t, n, "noop-1", "alice", 60)
	title := rec.Title
	same, err := n.w.Update(ctx, alice, rec.ID, actors.UpdateInput{Title: &title, Config: json.RawMessage(`{"duration":60}`)})
	if err != nil || same.Version != rec.Version {
		t.Fatalf("an update that changes nothing: version %d -> %d (%v)", rec.Version, same.Version, err)
	}
	newTitle := "Back soon"
	changed, err := n.w.Update(ctx, alice, rec.ID, actors.UpdateInput{Title: &newTitle})
	if err != nil || changed.Version != rec.Version+1 {
		t.Fatalf("a real change: version %d -> %d (%v)", rec.Version, changed.Version, err)
	}
}
