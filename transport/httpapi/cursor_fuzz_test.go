package httpapi

import (
	"strings"
	"testing"
)

// FuzzCursor feeds arbitrary cursors, users, filters and store positions to
// the list cursor: open never panics and never accepts a cursor that was not
// signed for exactly that user and query, and sign→open gives back the
// position, whatever its bytes. CI runs it briefly (.ci/test).
func FuzzCursor(f *testing.F) {
	s := cursorSigner{key: []byte("0123456789abcdef0123456789abcdef")}
	for _, c := range []struct{ user, filter, pos string }{
		{"alice", "0123456789abcdef", "00000190a1b2c3d4e5f6"},
		{"bob", "fedcba9876543210", "eyJwayI6IngifQ"},
		{"", "", ""},
		{"al\"ice", "f", "\xff\x00pos"},
	} {
		f.Add(s.sign(c.user, c.filter, c.pos), c.user, c.filter, c.pos)
	}
	f.Add("", "alice", "f", "")
	f.Add(".", "alice", "f", "p")
	f.Add("e30.AAAA", "", "", "")
	f.Add(strings.Repeat("A", 3000)+".x", "alice", "f", "p")
	f.Fuzz(func(t *testing.T, cursor, user, filter, pos string) {
		if got, err := s.open(cursor, user, filter); err == nil {
			// Accepted: its signed payload must be the one sign makes for
			// this user, this filter and the position it returned.
			payload, _, _ := strings.Cut(cursor, ".")
			want, _, _ := strings.Cut(s.sign(user, filter, got), ".")
			if payload != want {
				t.Fatalf("open accepted %q for user %q filter %q: not signed for them", cursor, user, filter)
			}
		}
		c := s.sign(user, filter, pos)
		if len(c) > maxCursorLen {
			return // open refuses oversized cursors by design
		}
		got, err := s.open(c, user, filter)
		if err != nil || got != pos {
			t.Fatalf("sign→open(%q, %q, %q) = %q, %v", user, filter, pos, got, err)
		}
		if _, err := s.open(c, user+"x", filter); err == nil {
			t.Fatalf("cursor for user %q opened for %q", user, user+"x")
		}
		if _, err := s.open(c, user, filter+"x"); err == nil {
			t.Fatalf("cursor for filter %q opened for %q", filter, filter+"x")
		}
	})
}
