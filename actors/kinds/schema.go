package kinds

import "encoding/json"

// Small JSON Schema builders for Info: the console renders forms from them.

// objectSchema describes an object; order (x-order) is the order forms show the fields in.
func objectSchema(required []string, props map[string]any, order ...string) map[string]any {
	if len(order) == 0 {
		for k := range props {
			order = append(order, k)
		}
	}
	return map[string]any{"type": "object", "required": required, "properties": props, "additionalProperties": false, "x-order": order}
}

func stringSchema(title string, maxLen int) map[string]any {
	return map[string]any{"type": "string", "title": title, "maxLength": maxLen}
}

func intSchema(title string, min, max int64) map[string]any {
	return map[string]any{"type": "integer", "title": title, "minimum": min, "maximum": max}
}

func numberSchema(title string, min, max float64) map[string]any {
	return map[string]any{"type": "number", "title": title, "minimum": min, "maximum": max}
}

// noPayload refuses a payload on actions that take none (an empty object is fine).
func noPayload(a Action) error {
	if err := DecodeStrict(orEmpty(a.Payload), &struct{}{}); err != nil {
		return InvalidPayload("%s takes no payload: %v", a.Name, err)
	}
	return nil
}

func orEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(`{}`)
	}
	return raw
}
