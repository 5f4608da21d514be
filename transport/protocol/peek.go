package protocol

import "encoding/json"

// Peek returns the requestId and widgetId of a frame the server will not
// decode (e.g. one refused by the rate limiter), so the refusal can name
// the request it drops. It never fails: a field that is missing, malformed,
// or not one a decoded message could carry comes back empty. The caller
// bounds the frame's size (MaxFrameBytes).
func Peek(frame []byte) (requestID, widgetID string) {
	var ids struct {
		RequestID string `json:"requestId"`
		WidgetID  string `json:"widgetId"`
	}
	// Invalid JSON leaves both empty; a field of the wrong type is skipped
	// and the other one still read.
	_ = json.Unmarshal(frame, &ids)
	if len(ids.RequestID) <= maxRequestIDLen && printable(ids.RequestID) {
		requestID = ids.RequestID
	}
	if validWidgetID(ids.WidgetID) {
		widgetID = ids.WidgetID
	}
	return requestID, widgetID
}
