package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
)

var errBadCursor = errors.New("invalid cursor")

// maxCursorLen bounds the cursors open reads (store positions are short).
const maxCursorLen = 2048

// cursorVersion is the first byte of a cursor's body. Version 1 was JSON,
// which replaced bytes that are not UTF-8 and so could not carry every
// store position; its MAC domain differs, so its cursors are refused as
// invalid (the client starts from the first page).
const cursorVersion = 2

// cursorSigner makes list cursors opaque and tamper-proof: the store's
// position is bound to the user and the filter it was issued for and signed,
// so no one can craft a cursor that reads another user's widgets.
//
// A cursor is base64url(body) "." base64url(HMAC-SHA256(key, domain, payload)),
// where body = version, uvarint len(user), user, uvarint len(filter), filter,
// position: every byte of each string survives exactly.
type cursorSigner struct{ key []byte }

func (s cursorSigner) sign(user, filter, pos string) string {
	body := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(user)+len(filter)+len(pos))
	body = append(body, cursorVersion)
	body = binary.AppendUvarint(body, uint64(len(user)))
	body = append(body, user...)
	body = binary.AppendUvarint(body, uint64(len(filter)))
	body = append(body, filter...)
	body = append(body, pos...)
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

func (s cursorSigner) open(cursor, user, filter string) (string, error) {
	payload, sig, ok := strings.Cut(cursor, ".")
	if !ok || len(cursor) > maxCursorLen {
		return "", errBadCursor
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return "", errBadCursor
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(body) == 0 || body[0] != cursorVersion {
		return "", errBadCursor
	}
	rest := body[1:]
	u, rest, ok := cutString(rest)
	if !ok || u != user {
		return "", errBadCursor
	}
	f, rest, ok := cutString(rest)
	if !ok || f != filter {
		return "", errBadCursor
	}
	return string(rest), nil
}

// cutString reads one uvarint-length-prefixed string off the front of b.
func cutString(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, false
	}
	end := k + int(n)
	return string(b[k:end]), b[end:], true
}

func (s cursorSigner) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("streamwidgets-cursor-v2\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}
