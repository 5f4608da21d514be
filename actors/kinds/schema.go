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

func boolSchema(title string) map[string]any {
	return map[string]any{"type": "boolean", "title": title}
}

// textSchema is a multi-line string.
func textSchema(title string, maxLen int) map[string]any {
	s := stringSchema(title, maxLen)
	s["format"] = "textarea"
	return s
}

func colorSchema(title string) map[string]any {
	return map[string]any{"type": "string", "title": title, "format": "color", "pattern": "^#[0-9a-fA-F]{6}$"}
}

// urlSchema is a link to media: https or http only (checked by checkURL).
func urlSchema(title string) map[string]any {
	return map[string]any{"type": "string", "title": title, "format": "uri", "maxLength": maxURLLen}
}

func timeSchema(title string) map[string]any {
	return map[string]any{"type": "string", "title": title, "format": "date-time"}
}

func enumSchema(title string, values ...string) map[string]any {
	return map[string]any{"type": "string", "title": title, "enum": values}
}

// durationSchema is whole seconds; the console accepts 90, 1:30 or 1:02:03.
func durationSchema(title string, maxSeconds int64) map[string]any {
	s := intSchema(title, 1, maxSeconds)
	s["format"] = "duration"
	return s
}

// signedDurationSchema is a duration that may be negative (time removed).
func signedDurationSchema(title string, maxSeconds int64) map[string]any {
	s := intSchema(title, -maxSeconds, maxSeconds)
	s["format"] = "duration"
	return s
}

// listSchema is an array of items (objects or strings) of at most maxItems.
func listSchema(title string, maxItems int, item map[string]any) map[string]any {
	return map[string]any{"type": "array", "title": title, "items": item, "maxItems": maxItems}
}

// described adds help text to a schema.
func described(s map[string]any, text string) map[string]any {
	s["description"] = text
	return s
}
