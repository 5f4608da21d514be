package httpapi

import (
	"errors"
	"testing"
)

func TestWidgetBodyRefusals(t *testing.T) {
	for name, tc := range map[string]struct{ body, code string }{
		"invalid UTF-8 in a title": {"{\"title\":\"bad \xff byte\"}", CodeMalformedJSON},
		"not JSON":                 {"{", CodeMalformedJSON},
		"an array":                 {"[]", CodeInvalidField},
		"unknown field":            {`{"colour":"red"}`, CodeUnknownField},
	} {
		_, err := parseWidgetBody([]byte(tc.body))
		var be *bodyError
		if !errors.As(err, &be) || be.code != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	if _, err := parseWidgetBody([]byte(`{"title":"Ünïcödé ✓"}`)); err != nil {
		t.Errorf("valid UTF-8 refused: %v", err)
	}
}
