package kinds

import (
	"net/url"
	"strings"
)

// maxURLLen bounds media links (images, sounds, album art).
const maxURLLen = 2048

// validURL accepts an empty string or an absolute http(s) link: a
// javascript: or data: URL in an overlay would run or embed anything.
func validURL(raw string) bool {
	if raw == "" {
		return true
	}
	if len(raw) > maxURLLen || strings.ContainsAny(raw, " \t\r\n\"'<>\\`") {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http")
}

// checkURL is validURL for a config field.
func checkURL(field, raw string) error {
	if !validURL(raw) {
		return InvalidConfig("%s must be an https:// or http:// link of at most %d characters", field, maxURLLen)
	}
	return nil
}
