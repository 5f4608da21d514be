package rooms

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Room passwords are stored as Argon2id hashes in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), compared in constant time. The
// parameters are OWASP's first recommendation (19 MiB, 2 passes, 1 lane):
// ~30-60 ms per hash here. Each hash holds its memory for that long, so
// hashes run at most one per CPU at a time; callers limit attempts (per user
// and per room) before they get here.

// PasswordParams are the Argon2id parameters of new hashes.
type PasswordParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultPasswordParams is what HashPassword uses.
var DefaultPasswordParams = PasswordParams{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// Password length limits (bytes of UTF-8).
const (
	MinPasswordLen = 4
	MaxPasswordLen = 128
)

const (
	saltLen = 16
	keyLen  = 32
)

var hashSlots = make(chan struct{}, max(1, runtime.NumCPU()))

// CheckPassword refuses passwords a room cannot use.
func CheckPassword(pw string) error {
	if !utf8.ValidString(pw) || len(pw) < MinPasswordLen || len(pw) > MaxPasswordLen {
		return fail(CodeInvalidField, "a room password is %d-%d characters", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// HashPassword returns the Argon2id hash of pw with a fresh random salt.
func HashPassword(pw string) (string, error) { return HashPasswordWith(pw, DefaultPasswordParams) }

// HashPasswordWith is HashPassword with other parameters (tests, benchmarks).
func HashPasswordWith(pw string, p PasswordParams) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("room password: salt: %w", err)
	}
	key := derive(pw, salt, p, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches encoded. A malformed hash, or
// one with parameters no hash of ours has (a tampered store could otherwise
// make a check allocate gigabytes), never matches.
func VerifyPassword(pw, encoded string) bool {
	if len(pw) > MaxPasswordLen {
		return false
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var p PasswordParams
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); n != 3 || err != nil {
		return false
	}
	if p.MemoryKiB < 8 || p.MemoryKiB > 256*1024 || p.Time < 1 || p.Time > 16 || p.Threads < 1 || p.Threads > 16 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := derive(pw, salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func derive(pw string, salt []byte, p PasswordParams, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, n)
}
