package ws

import (
	"encoding/json"
	"fmt"

	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// jsonError encodes an ERROR frame.
func jsonError(e protocol.Error) ([]byte, error) {
	frame, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("ws: encode %s error: %w", e.Code, err)
	}
	return frame, nil
}
