package rooms

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("popcorn")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "popcorn") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashPassword("popcorn")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if !VerifyPassword("popcorn", h) || !VerifyPassword("popcorn", h2) {
		t.Fatal("the right password is refused")
	}
	for _, wrong := range []string{"Popcorn", "popcorn ", "", "popcor", strings.Repeat("x", 200)} {
		if VerifyPassword(wrong, h) {
			t.Fatalf("%q accepted", wrong)
		}
	}
	for _, bad := range []string{"", "popcorn", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // 4 GiB: never computed
		"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaA"} {
		if VerifyPassword("popcorn", bad) {
			t.Fatalf("malformed hash %q matched", bad)
		}
	}
	for _, pw := range []string{"abc", strings.Repeat("x", MaxPasswordLen+1), "\xff\xfe\xfd\xfc"} {
		if _, err := HashPassword(pw); err == nil {
			t.Fatalf("password %q accepted", pw)
		}
	}
}
