package httpapi

import "testing"

// TestOneUserBehindASharedAddressDoesNotLockOutTheOthers: a signed-in
// user's flood is refused by the user limit and spends nothing of the
// address's, so another user behind the same NAT keeps working.
func TestOneUserBehindASharedAddressDoesNotLockOutTheOthers(t *testing.T) {
	cfg := noLimits
	cfg.UserReads = Rate{PerSecond: 0.1, Burst: 5}
	cfg.AddressReads = Rate{PerSecond: 0.1, Burst: 10}
	a := startAPI(t, cfg)
	mallory, bob := a.token("mallory"), a.token("bob")
	got := a.flood(60, 4, "GET", "/records/stream_widgets", mallory, "")
	if got[429] < 50 {
		t.Fatalf("the flooding user: %v, want most refused", got)
	}
	for i := range 5 {
		if r := a.do("GET", "/records/stream_widgets", bob, ""); r.status == 429 {
			t.Fatalf("bob's read %d behind the same address: 429", i+1)
		}
	}
}

// TestForgedTokensSpendTheAddressBudget: requests whose sign-in fails are
// charged to their address, so a flood of forged tokens is stopped there.
func TestForgedTokensSpendTheAddressBudget(t *testing.T) {
	cfg := noLimits
	cfg.AddressReads = Rate{PerSecond: 0.1, Burst: 5}
	a := startAPI(t, cfg)
	got := a.flood(30, 2, "GET", "/records/stream_widgets", "eyJhbGciOiJFUzI1NiJ9.e30.forged", "")
	if got[401] < 5 || got[401] > 7 || got[429] != 30-got[401] {
		t.Fatalf("30 forged tokens, address burst 5: %v, want ~5 answered 401 and the rest 429", got)
	}
}
