package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// testDeletedTokenIsRemembered: the token of a deleted widget says so
// (persistence.ErrWidgetDeleted, still ErrNotFound); a token never issued
// and a regenerated one say only "not found".
func testDeletedTokenIsRemembered(t *testing.T, s persistence.Store) {
	ctx := context.Background()
	mustPut(t, s, NewRecord("w1", "alice", 0), 0)
	w2 := mustPut(t, s, NewRecord("w2", "alice", 1), 0)
	if err := s.Delete(ctx, "w1", 1); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetByTokenHash(ctx, persistence.TokenHash("tok-w1"))
	if !errors.Is(err, persistence.ErrWidgetDeleted) || !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("token of a deleted widget: %v, want ErrWidgetDeleted (and ErrNotFound)", err)
	}
	w2.AccessToken = "tok-w2-new"
	mustPut(t, s, w2, w2.Version)
	for name, token := range map[string]string{"never issued": "tok-guess", "regenerated": "tok-w2"} {
		_, err := s.GetByTokenHash(ctx, persistence.TokenHash(token))
		if !errors.Is(err, persistence.ErrNotFound) || errors.Is(err, persistence.ErrWidgetDeleted) {
			t.Fatalf("%s token: %v, want ErrNotFound only", name, err)
		}
	}
	// The tombstone is no widget: not readable by id, not listed, and the
	// id can be used again.
	if _, err := s.Get(ctx, "w1"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("get of a deleted widget: %v", err)
	}
	page, err := s.List(ctx, persistence.ListQuery{UserID: "alice"})
	if err != nil || len(page.Records) != 1 || page.Records[0].ID != "w2" {
		t.Fatalf("list after delete = %v (%v), want [w2]", ids(page.Records), err)
	}
	again := NewRecord("w1", "alice", 2)
	again.AccessToken = "tok-w1-again"
	mustPut(t, s, again, 0)
	if got, err := s.GetByTokenHash(ctx, persistence.TokenHash("tok-w1-again")); err != nil || got.ID != "w1" {
		t.Fatalf("a new widget with the deleted one's id: %+v %v", got.ID, err)
	}
}

// TombstoneExpiry checks that a deleted widget's token says "deleted" for
// persistence.TombstoneTTL and then only "not found". s must be empty;
// setNow moves the store's clock.
func TombstoneExpiry(t *testing.T, s persistence.Store, setNow func(time.Time)) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	setNow(start)
	mustPut(t, s, NewRecord("w1", "alice", 0), 0)
	if err := s.Delete(ctx, "w1", 1); err != nil {
		t.Fatal(err)
	}
	hash := persistence.TokenHash("tok-w1")
	setNow(start.Add(persistence.TombstoneTTL - time.Minute))
	if _, err := s.GetByTokenHash(ctx, hash); !errors.Is(err, persistence.ErrWidgetDeleted) {
		t.Fatalf("a minute before the tombstone expires: %v, want ErrWidgetDeleted", err)
	}
	setNow(start.Add(persistence.TombstoneTTL + time.Minute))
	if _, err := s.GetByTokenHash(ctx, hash); !errors.Is(err, persistence.ErrNotFound) || errors.Is(err, persistence.ErrWidgetDeleted) {
		t.Fatalf("after the tombstone expired: %v, want ErrNotFound only", err)
	}
}
