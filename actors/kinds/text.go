package kinds

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkText refuses control characters (a NUL, an escape, a bidi override
// sequence's C0 cousins) in any string of a config: they end up on stream
// and in a console. Line breaks and tabs are text.
func checkText(config json.RawMessage) error {
	var v any
	if err := json.Unmarshal(config, &v); err != nil {
		return nil // not ours to judge: the kind's own decoding already passed
	}
	return walkText("", v)
}

func walkText(path string, v any) error {
	switch t := v.(type) {
	case string:
		if strings.IndexFunc(t, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
			return InvalidConfig("%s must not contain control characters", fieldName(path))
		}
	case map[string]any:
		for k, e := range t {
			if err := walkText(join(path, k), e); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range t {
			if err := walkText(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldName(path string) string {
	if path == "" {
		return "config"
	}
	return path
}

// checkPayloadText is checkText for an action's payload: every kind's
// payload strings reach a stream, so control characters are refused for all.
func checkPayloadText(payload json.RawMessage) error {
	if len(payload) == 0 || !mayHoldControl(payload) {
		return nil
	}
	var v any
	if json.Unmarshal(payload, &v) != nil {
		return nil // the kind's strict decoding reports it
	}
	if err := walkText("payload", v); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return InvalidPayload("%s", e.Message)
		}
		return err
	}
	return nil
}

// textField checks one free-text payload field: at most max characters.
func textField(name, value string, max int, required bool) error {
	switch n := utf8.RuneCountInString(value); {
	case required && strings.TrimSpace(value) == "":
		return InvalidPayload("%s is required", name)
	case n > max:
		return InvalidPayload("%s must be at most %d characters", name, max)
	}
	return nil
}

// mayHoldControl reports whether a JSON text can hold a control character
// in a string. Raw bytes below 0x20 are invalid inside JSON strings (and
// whitespace outside them), so a control character arrives escaped (a
// backslash), as DEL (0x7f), or as a C1 character (0xc2 0x80–0x9f in UTF-8).
// Most payloads ({"value":42}) have none of these and skip the decode.
func mayHoldControl(data []byte) bool {
	for _, b := range data {
		if b == '\\' || b == 0x7f || b == 0xc2 {
			return true
		}
	}
	return false
}
