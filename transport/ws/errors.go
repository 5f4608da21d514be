package ws

import (
	"encoding/json"

	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

func jsonError(code, message string) ([]byte, error) {
	return json.Marshal(protocol.Error{Type: protocol.TypeError, Code: code, Message: message})
}
