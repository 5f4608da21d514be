// Package storetest is the conformance suite every persistence.Store passes:
// the embedded store and the DynamoDB store run the same cases.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// Factory returns an empty store; the suite closes it.
type Factory func(t *testing.T) persistence.Store

// Run runs every conformance case against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	cases := []struct {
		name string
		run  func(t *testing.T, s persistence.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"CreateTwiceConflicts", testCreateTwice},
		{"StaleWriteConflicts", testStaleWrite},
		{"ConcurrentWritersOneWins", testConcurrentWriters},
		{"MissingIsNotFound", testMissing},
		{"TokenHashIndex", testTokenIndex},
		{"DuplicateTokenConflicts", testDuplicateToken},
		{"DeleteIsVersioned", testDelete},
		{"DeletedTokenIsRemembered", testDeletedTokenIsRemembered},
		{"ListIsOwnerScopedNewestFirst", testListOwnerScoped},
		{"ListPagesCoverEverythingOnce", testListPaging},
		{"ListFilters", testListFilters},
		{"ListRejectsGarbageCursor", testGarbageCursor},
		{"ClaimOnce", testClaimOnce},
		{"ClaimAfterExpiry", testClaimAfterExpiry},
		{"ConcurrentClaimsOneWins", testConcurrentClaimsOneWins},
		{"ClaimsAreNotWidgets", testClaimsAreNotWidgets},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.run(t, s)
		})
	}
}

var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// NewRecord builds a valid record owned by user, created n seconds after a fixed base.
func NewRecord(id, user string, n int) persistence.Record {
	at := base.Add(time.Duration(n) * time.Second)
	return persistence.Record{
		ID: id, Title: "Widget " + id, UserID: user, Type: "countdown",
		AccessToken: "tok-" + id,
		Config:      json.RawMessage(`{"duration":300,"title":"Soon"}`),
		State:       json.RawMessage(`{"duration_left":300,"enabled":false}`),
		Active:      true, CreatedAt: at, UpdatedAt: at,
	}
}

func mustPut(t *testing.T, s persistence.Store, rec persistence.Record, v int64) persistence.Record {
	t.Helper()
	out, err := s.Put(context.Background(), rec, v)
	if err != nil {
		t.Fatalf("put %s@%d: %v", rec.ID, v, err)
	}
	return out
}

func testRoundTrip(t *testing.T, s persistence.Store) {
	in := NewRecord("w1", "alice", 0)
	in.ControlTokenHash = persistence.TokenHash("control-w1")
	out := mustPut(t, s, in, 0)
	if out.Version != 1 {
		t.Fatalf("version after create = %d, want 1", out.Version)
	}
	got, err := s.Get(context.Background(), "w1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != in.Title || got.UserID != "alice" || got.Type != "countdown" || !got.Active ||
		got.AccessToken != in.AccessToken || got.Version != 1 || !got.CreatedAt.Equal(in.CreatedAt) ||
		got.ControlTokenHash != in.ControlTokenHash {
		t.Fatalf("round trip changed the record: %+v", got)
	}
	assertJSONEqual(t, got.Config, in.Config)
	assertJSONEqual(t, got.State, in.State)
}

func testCreateTwice(t *testing.T, s persistence.Store) {
	mustPut(t, s, NewRecord("w1", "alice", 0), 0)
	second := NewRecord("w1", "mallory", 1)
	second.AccessToken = "other"
	if _, err := s.Put(context.Background(), second, 0); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("second create: err = %v, want ErrConflict", err)
	}
	got, _ := s.Get(context.Background(), "w1")
	if got.UserID != "alice" {
		t.Fatalf("second create replaced the owner: %q", got.UserID)
	}
}

func testStaleWrite(t *testing.T, s persistence.Store) {
	rec := mustPut(t, s, NewRecord("w1", "alice", 0), 0)
	rec.Title = "first"
	mustPut(t, s, rec, 1)
	rec.Title = "stale"
	if _, err := s.Put(context.Background(), rec, 1); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("stale write: err = %v, want ErrConflict", err)
	}
	got, _ := s.Get(context.Background(), "w1")
	if got.Title != "first" || got.Version != 2 {
		t.Fatalf("stale write changed data: title %q version %d", got.Title, got.Version)
	}
}

func testConcurrentWriters(t *testing.T, s persistence.Store) {
	mustPut(t, s, NewRecord("w1", "alice", 0), 0)
	const writers = 8
	var wg sync.WaitGroup
	wins := make(chan string, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rec := NewRecord("w1", "alice", 0)
			rec.Title = fmt.Sprintf("writer %d", i)
			if _, err := s.Put(context.Background(), rec, 1); err == nil {
				wins <- rec.Title
			} else if !errors.Is(err, persistence.ErrConflict) {
				t.Errorf("writer %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(wins)
	var won []string
	for w := range wins {
		won = append(won, w)
	}
	if len(won) != 1 {
		t.Fatalf("%d writers won the same version, want exactly 1: %v", len(won), won)
	}
	got, _ := s.Get(context.Background(), "w1")
	if got.Title != won[0] || got.Version != 2 {
		t.Fatalf("stored %q@%d, winner was %q", got.Title, got.Version, won[0])
	}
}

func testMissing(t *testing.T, s persistence.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	if _, err := s.GetByTokenHash(ctx, persistence.TokenHash("nope")); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("token lookup missing: %v", err)
	}
	if err := s.Delete(ctx, "nope", 1); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
	if _, err := s.Put(ctx, NewRecord("nope", "alice", 0), 3); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("update of missing record: %v, want ErrConflict", err)
	}
}

func testTokenIndex(t *testing.T, s persistence.Store) {
	ctx := context.Background()
	rec := mustPut(t, s, NewRecord("w1", "alice", 0), 0)
	got, err := s.GetByTokenHash(ctx, persistence.TokenHash("tok-w1"))
	if err != nil || got.ID != "w1" {
		t.Fatalf("lookup by token: %+v %v", got.ID, err)
	}
	rec.AccessToken = "rotated"
	mustPut(t, s, rec, rec.Version)
	if _, err := s.GetByTokenHash(ctx, persistence.TokenHash("tok-w1")); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("old token still resolves after rotation: %v", err)
	}
	if got, err := s.GetByTokenHash(ctx, persistence.TokenHash("rotated")); err != nil || got.ID != "w1" {
		t.Fatalf("new token does not resolve: %v", err)
	}
}

func testDuplicateToken(t *testing.T, s persistence.Store) {
	mustPut(t, s, NewRecord("w1", "alice", 0), 0)
	dup := NewRecord("w2", "bob", 1)
	dup.AccessToken = "tok-w1"
	if _, err := s.Put(context.Background(), dup, 0); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("duplicate token: err = %v, want ErrConflict", err)
	}
	if _, err := s.Get(context.Background(), "w2"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("refused write left a record behind: %v", err)
	}
	got, err := s.GetByTokenHash(context.Background(), persistence.TokenHash("tok-w1"))
	if err != nil || got.ID != "w1" {
		t.Fatalf("token now resolves to %q (%v), want w1", got.ID, err)
	}
}

func testDelete(t *testing.T, s persistence.Store) {
	ctx := context.Background()
	mustPut(t, s, NewRecord("w1", "alice", 0), 0)
	if err := s.Delete(ctx, "w1", 7); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("delete with stale version: %v", err)
	}
	if err := s.Delete(ctx, "w1", 1); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Get(ctx, "w1"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := s.GetByTokenHash(ctx, persistence.TokenHash("tok-w1")); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("token resolves after delete: %v", err)
	}
	page, err := s.List(ctx, persistence.ListQuery{UserID: "alice"})
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("deleted record still listed: %v %v", page.Records, err)
	}
}

func testListOwnerScoped(t *testing.T, s persistence.Store) {
	for i, owner := range []string{"alice", "bob", "alice", "alicex", "alice"} {
		mustPut(t, s, NewRecord(fmt.Sprintf("w%d", i), owner, i), 0)
	}
	page, err := s.List(context.Background(), persistence.ListQuery{UserID: "alice", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page.Records); fmt.Sprint(got) != "[w4 w2 w0]" {
		t.Fatalf("alice's list = %v, want [w4 w2 w0] (newest first, only hers)", got)
	}
	if page.Next != "" {
		t.Fatalf("single page has a next cursor %q", page.Next)
	}
}

func testListPaging(t *testing.T, s persistence.Store) {
	const n = 23
	for i := 0; i < n; i++ {
		mustPut(t, s, NewRecord(fmt.Sprintf("w%02d", i), "alice", i), 0)
	}
	seen := map[string]bool{}
	after, pages := "", 0
	for {
		page, err := s.List(context.Background(), persistence.ListQuery{UserID: "alice", Limit: 5, After: after})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.Records {
			if seen[r.ID] {
				t.Fatalf("%s listed twice", r.ID)
			}
			seen[r.ID] = true
		}
		if page.Next == "" {
			break
		}
		if pages > n {
			t.Fatal("paging does not terminate")
		}
		after = page.Next
	}
	if len(seen) != n {
		t.Fatalf("paging saw %d records, want %d", len(seen), n)
	}
}

func testListFilters(t *testing.T, s persistence.Store) {
	recs := []persistence.Record{
		NewRecord("a", "alice", 0), NewRecord("b", "alice", 1), NewRecord("c", "alice", 2), NewRecord("d", "alice", 3),
	}
	recs[0].Title, recs[1].Title, recs[2].Title, recs[3].Title = "Starting Soon", "Sub goal", "BRB timer", "starting SOON 2"
	recs[1].Type, recs[3].Type = "goal", "goal"
	recs[2].Active = false
	for _, r := range recs {
		mustPut(t, s, r, 0)
	}
	yes, no := true, false
	cases := []struct {
		name string
		q    persistence.ListQuery
		want string
	}{
		{"type", persistence.ListQuery{Type: "goal"}, "[d b]"},
		{"active", persistence.ListQuery{Active: &no}, "[c]"},
		{"active and type", persistence.ListQuery{Active: &yes, Type: "countdown"}, "[a]"},
		{"title contains, any case", persistence.ListQuery{TitleContains: "soon"}, "[d a]"},
		{"paged filter", persistence.ListQuery{TitleContains: "soon", Limit: 1}, "[d]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.UserID = "alice"
			page, err := s.List(context.Background(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(ids(page.Records)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	// The filtered page of one must continue to the other match.
	page, _ := s.List(context.Background(), persistence.ListQuery{UserID: "alice", TitleContains: "soon", Limit: 1})
	next, err := s.List(context.Background(), persistence.ListQuery{UserID: "alice", TitleContains: "soon", Limit: 1, After: page.Next})
	if err != nil || fmt.Sprint(ids(next.Records)) != "[a]" {
		t.Fatalf("second filtered page = %v (%v), want [a]", ids(next.Records), err)
	}
}

func testGarbageCursor(t *testing.T, s persistence.Store) {
	_, err := s.List(context.Background(), persistence.ListQuery{UserID: "alice", After: "not a cursor!"})
	if !errors.Is(err, persistence.ErrInvalidCursor) {
		t.Fatalf("garbage cursor: err = %v, want ErrInvalidCursor", err)
	}
}

func ids(recs []persistence.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func assertJSONEqual(t *testing.T, got, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("stored JSON invalid: %v", err)
	}
	_ = json.Unmarshal(want, &w)
	if fmt.Sprint(g) != fmt.Sprint(w) {
		t.Fatalf("JSON changed: got %s want %s", got, want)
	}
}
