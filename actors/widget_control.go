package actors

import (
	"encoding/json"
	"time"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// ControlTokenPrefix starts every control token, so a server (and a person
// reading a Stream Deck config) tells one from a user JWT at a glance.
const ControlTokenPrefix = "swc_"

// ControlToken issues a new control token for the widget (replacing the
// previous one, which stops working at once) or revokes it. The token is in
// this reply only; the record keeps its hash.
func (g *widgetGrain) ControlToken(req *widgetpb.ControlTokenRequest, ctx cluster.GrainContext) (*widgetpb.WidgetReply, error) {
	if err := g.checkTarget(req.GetWidgetId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	var issued string
	saved, err := g.mutate(req.GetCaller(), accessManage, func(rec persistence.Record, _ kinds.Definition, _ time.Time, _ kinds.By) (persistence.Record, []kinds.Event, error) {
		if req.GetRevoke() {
			rec.ControlTokenHash = ""
			return rec, nil, nil
		}
		token, err := g.deps.NewToken()
		if err != nil {
			return rec, nil, err
		}
		issued = ControlTokenPrefix + token
		rec.ControlTokenHash = persistence.TokenHash(issued)
		return rec, nil, nil
	})
	if err != nil {
		return nil, grainError(err)
	}
	saved.ControlToken = issued
	return g.reply(saved, req.GetCaller())
}

// defaultConfigTitle makes a kind's on-stream title follow the record's
// title on create, unless the config names its own: a widget created with
// only a title shows that title, not the kind's default.
func defaultConfigTitle(def kinds.Definition, patch json.RawMessage, title string) json.RawMessage {
	props, _ := def.Info().ConfigSchema["properties"].(map[string]any)
	if title == "" || props["title"] == nil {
		return patch
	}
	fields := map[string]json.RawMessage{}
	if len(patch) > 0 && json.Unmarshal(patch, &fields) != nil {
		return patch // not an object: MergeConfig reports it
	}
	if _, set := fields["title"]; set {
		return patch
	}
	fields["title"], _ = json.Marshal(title)
	out, err := json.Marshal(fields)
	if err != nil {
		return patch
	}
	return out
}
