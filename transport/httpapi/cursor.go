package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

var errBadCursor = errors.New("invalid cursor")

// cursorSigner makes list cursors opaque and tamper-proof: the store's
// position is bound to the user and the filter it was issued for and signed,
// so no one can craft a cursor that reads another user's widgets.
type cursorSigner struct{ key []byte }

type cursorBody struct {
	User   string `json:"u"`
	Filter string `json:"f"`
	Pos    string `json:"p"`
}

func (s cursorSigner) sign(user, filter, pos string) string {
	body, _ := json.Marshal(cursorBody{User: user, Filter: filter, Pos: pos})
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

func (s cursorSigner) open(cursor, user, filter string) (string, error) {
	payload, sig, ok := strings.Cut(cursor, ".")
	if !ok || len(cursor) > 2048 {
		return "", errBadCursor
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return "", errBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", errBadCursor
	}
	var b cursorBody
	if json.Unmarshal(raw, &b) != nil || b.User != user || b.Filter != filter {
		return "", errBadCursor
	}
	return b.Pos, nil
}

func (s cursorSigner) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("streamwidgets-cursor-v1\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}
