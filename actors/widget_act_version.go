package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
)

// ActVersion is Act for callers that need only the version the action
// produced (a socket's WIDGET_ACTION_RESPONSE): the reply's record is not
// decoded, only its version read.
func (c *Client) ActVersion(ctx context.Context, caller *widgetpb.Caller, id, action string, payload json.RawMessage) (int64, error) {
	reply, err := c.callReply(ctx, caller, id, func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		return g.Act(&widgetpb.ActionRequest{Caller: caller, WidgetId: id, Action: strings.Clone(action), PayloadJson: bytes.Clone(payload)}, opts...)
	})
	if err != nil {
		return 0, err
	}
	var v struct {
		Version int64 `json:"version"`
	}
	if err := json.Unmarshal(reply.GetRecordJson(), &v); err != nil {
		return 0, fmt.Errorf("widget %s: decode reply: %w", id, err)
	}
	return v.Version, nil
}
