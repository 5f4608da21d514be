package rooms

import "testing"

// BenchmarkVerifyPassword is the cost of one join attempt with a password
// (the figure behind the per-room and per-user attempt limits).
func BenchmarkVerifyPassword(b *testing.B) {
	h, err := HashPassword("popcorn")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !VerifyPassword("popcorn", h) {
			b.Fatal("refused")
		}
	}
}
