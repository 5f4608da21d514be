package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// FuzzParseFilter feeds arbitrary ?filter= values to parseFilter: it never
// panics, accepts only one JSON object whose fields are "active" (boolean),
// "type" and "q" (strings), sets exactly those, and refuses everything else
// without touching the query. CI runs it briefly (.ci/test).
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"active":true}`, `{"active":false,"type":"goal","q":"sub"}`, `{"type":"countdown"}`,
		`{"q":""}`, `null`, `[]`, `{"active":"yes"}`, `{"extra":1}`, `{"active":true}{"type":"x"}`,
		`{"active":true} trailing`, ` {"q":"\u00e9"} `, `{"TYPE":"goal"}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		before := persistence.ListQuery{UserID: "u", Type: "pre", TitleContains: "pre", Limit: 25}
		q := before
		if err := parseFilter(raw, &q); err != nil {
			if q != before {
				t.Fatalf("refused filter %q changed the query: %+v", raw, q)
			}
			return
		}
		trimmed := bytes.TrimSpace(raw)
		if !json.Valid(trimmed) || len(trimmed) == 0 || trimmed[0] != '{' {
			t.Fatalf("accepted %q: not one JSON object", raw)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &fields); err != nil {
			t.Fatalf("accepted %q: %v", raw, err)
		}
		want := before
		names := map[string]bool{}
		for k, v := range fields {
			names[strings.ToLower(k)] = true
			var err error
			switch strings.ToLower(k) { // encoding/json matches field names case-insensitively
			case "active":
				var b *bool
				err = json.Unmarshal(v, &b)
				want.Active = b
			case "type":
				var s *string
				if err = json.Unmarshal(v, &s); s != nil {
					want.Type = *s
				}
			case "q":
				var s *string
				if err = json.Unmarshal(v, &s); s != nil {
					want.TitleContains = *s
				}
			default:
				t.Fatalf("accepted %q with unknown field %q", raw, k)
			}
			if err != nil {
				t.Fatalf("accepted %q with field %q of the wrong type", raw, k)
			}
		}
		if len(names) < len(fields) {
			return // one field named in two cases: the last in the text wins, which a map cannot tell
		}
		if (q.Active == nil) != (want.Active == nil) || (q.Active != nil && *q.Active != *want.Active) ||
			q.Type != want.Type || q.TitleContains != want.TitleContains || q.UserID != before.UserID || q.Limit != before.Limit {
			t.Fatalf("filter %q set %+v, want %+v", raw, q, want)
		}
	})
}
