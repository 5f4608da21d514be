package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// WidgetKind is the cluster kind of widget grains (the proto service name).
const WidgetKind = "Widget"

// Client calls widget grains wherever in the cluster they are active.
type Client struct {
	cluster    *cluster.Cluster
	timeout    time.Duration
	departures *departures
}

// NewClient returns a client whose calls wait at most timeout (default 5s).
func NewClient(c *cluster.Cluster, timeout time.Duration) *Client {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &Client{cluster: c, timeout: timeout, departures: newDepartures(c.ActorSystem)}
}

// UserCaller is a caller with full access to its own widgets.
func UserCaller(userID string) *widgetpb.Caller {
	return &widgetpb.Caller{UserId: strings.Clone(userID)}
}

// ServiceCaller is an integration acting for ownerUserID: it may run the
// owner's widgets' actions, nothing else. Only in-process code builds it.
func ServiceCaller(ownerUserID, service string) *widgetpb.Caller {
	return &widgetpb.Caller{UserId: strings.Clone(ownerUserID), Service: strings.Clone(service)}
}

// ControlCaller holds one widget's control token: that widget's actions.
func ControlCaller(token string) *widgetpb.Caller {
	return &widgetpb.Caller{ControlTokenHash: persistence.TokenHash(token)}
}

// TokenCaller is a read-only caller holding one widget's access token.
func TokenCaller(token string) *widgetpb.Caller {
	return &widgetpb.Caller{TokenHash: persistence.TokenHash(token)}
}

// CreateInput is what a client may choose when creating a widget.
type CreateInput struct {
	Title  string
	Type   string
	Config json.RawMessage
	Active bool
}

// UpdateInput holds the fields a client sent; nil means unchanged.
type UpdateInput struct {
	Title  *string
	Config json.RawMessage
	Active *bool
	// ExpectedVersion, when not 0, fails the update with a conflict if the
	// widget is at another version.
	ExpectedVersion int64
}

// Create asks grain id to create its widget.
func (c *Client) Create(ctx context.Context, caller *widgetpb.Caller, id string, in CreateInput) (persistence.Record, error) {
	return c.call(ctx, caller, id, func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		return g.Create(&widgetpb.CreateRequest{Caller: caller, WidgetId: id, Title: strings.Clone(in.Title), Type: strings.Clone(in.Type),
			ConfigJson: bytes.Clone(in.Config), Active: in.Active}, opts...)
	})
}

// Get returns the widget if caller may see it.
func (c *Client) Get(ctx context.Context, caller *widgetpb.Caller, id string) (persistence.Record, error) {
	return c.call(ctx, caller, id, func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		return g.Get(&widgetpb.GetRequest{Caller: caller, WidgetId: id}, opts...)
	})
}

// Update changes title, config or active.
func (c *Client) Update(ctx context.Context, caller *widgetpb.Caller, id string, in UpdateInput) (persistence.Record, error) {
	req := &widgetpb.UpdateRequest{ConfigJson: bytes.Clone(in.Config), ExpectedVersion: in.ExpectedVersion}
	if in.Title != nil {
		req.Title, req.HasTitle = strings.Clone(*in.Title), true
	}
	if in.Active != nil {
		req.Active, req.HasActive = *in.Active, true
	}
	return c.call(ctx, caller, id, func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		req.Caller, req.WidgetId = caller, id
		return g.Update(req, opts...)
	})
}

// Delete removes the widget and returns it as it was.
func (c *Client) Delete(ctx context.Context, caller *widgetpb.Caller, id string) (persistence.Record, error) {
	return c.call(ctx, caller, id, func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		return g.Delete(&widgetpb.DeleteRequest{Caller: caller, WidgetId: id}, opts...)
	})
}

// RegenerateToken replaces the widget's access token.
func (c *Client) RegenerateToken(ctx context.Context, caller *widgetpb.Caller, id string) (persistence.Record, error) {
	return c.call(ctx, caller, id, func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		return g.RegenerateToken(&widgetpb.RegenerateTokenRequest{Caller: caller, WidgetId: id}, opts...)
	})
}

// Act applies an action to the widget's state.
func (c *Client) Act(ctx context.Context, caller *widgetpb.Caller, id, action string, payload json.RawMessage) (persistence.Record, error) {
	return c.call(ctx, caller, id, func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		return g.Act(&widgetpb.ActionRequest{Caller: caller, WidgetId: id, Action: strings.Clone(action), PayloadJson: bytes.Clone(payload)}, opts...)
	})
}

// ControlToken issues (revoke false) or revokes a widget's control token;
// the issued token is in the returned record's ControlToken, this once.
func (c *Client) ControlToken(ctx context.Context, caller *widgetpb.Caller, id string, revoke bool) (persistence.Record, error) {
	return c.call(ctx, caller, id, func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		return g.ControlToken(&widgetpb.ControlTokenRequest{Caller: caller, WidgetId: id, Revoke: revoke}, opts...)
	})
}

// Subscribe adds subscriber (a connection actor) to the widget's viewers and
// returns the widget as of now and the grain's PID (to watch: if the grain
// stops without the widget being deleted, subscribe again).
func (c *Client) Subscribe(ctx context.Context, caller *widgetpb.Caller, id string, subscriber *actor.PID) (persistence.Record, *actor.PID, error) {
	var grain *actor.PID
	rec, err := c.call(ctx, caller, id, func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		r, err := g.Subscribe(&widgetpb.SubscribeRequest{Caller: caller, WidgetId: id, Subscriber: subscriber}, opts...)
		if err != nil {
			return nil, err
		}
		grain = r.GetGrain()
		return &widgetpb.WidgetReply{RecordJson: r.GetRecordJson()}, nil
	})
	return rec, grain, err
}

// Unsubscribe removes subscriber from the widget's viewers.
func (c *Client) Unsubscribe(ctx context.Context, id string, subscriber *actor.PID) error {
	_, err := c.call(ctx, nil, id, func(g *widgetpb.WidgetGrainClient, _ *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error) {
		if _, err := g.Unsubscribe(&widgetpb.UnsubscribeRequest{WidgetId: id, Subscriber: subscriber}, opts...); err != nil {
			return nil, err
		}
		return &widgetpb.WidgetReply{RecordJson: []byte(`{}`)}, nil
	})
	return err
}

// grainCall makes one request. It gets the caller and id as copied by call,
// and must build its request from those, never from the method's arguments.
type grainCall func(g *widgetpb.WidgetGrainClient, caller *widgetpb.Caller, id string, opts []cluster.GrainCallOption) (*widgetpb.WidgetReply, error)

// call is the one boundary between transports and grains. Strings that enter
// the cluster here become grain identities, map keys and event fields that
// outlive the request, so they are copied: a transport's buffers (Fiber reuses
// its request buffers) can never reach a grain, whatever the caller passes.
func (c *Client) call(ctx context.Context, caller *widgetpb.Caller, id string, do grainCall) (persistence.Record, error) {
	reply, err := c.callReply(ctx, caller, id, do)
	if err != nil {
		return persistence.Record{}, err
	}
	var rec persistence.Record
	if err := json.Unmarshal(reply.GetRecordJson(), &rec); err != nil {
		return persistence.Record{}, fmt.Errorf("widget %s: decode reply: %w", id, err)
	}
	return rec, nil
}

// callReply is call without decoding the reply's record.
func (c *Client) callReply(ctx context.Context, caller *widgetpb.Caller, id string, do grainCall) (*widgetpb.WidgetReply, error) {
	if !ValidID(id) {
		return nil, notFound()
	}
	id = strings.Clone(id)
	if caller != nil {
		caller = &widgetpb.Caller{UserId: strings.Clone(caller.GetUserId()), TokenHash: strings.Clone(caller.GetTokenHash()),
			Service: strings.Clone(caller.GetService()), ControlTokenHash: strings.Clone(caller.GetControlTokenHash())}
	}
	timeout := c.timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	if timeout <= 0 {
		return nil, &Error{Code: CodeUnavailable, Message: "request deadline passed"}
	}
	// Options go to plain requests only: on futures they mutate a library global.
	opts := []cluster.GrainCallOption{cluster.WithTimeout(timeout), cluster.WithRetryCount(retries), cluster.WithRetryAction(retryBackoff)}
	reply, err := c.unlessHostDeparts(id, func() (*widgetpb.WidgetReply, error) {
		return do(widgetpb.GetWidgetGrainClient(c.cluster, id), caller, id, opts)
	})
	if err != nil {
		return nil, fromGrainError(err)
	}
	return reply, nil
}

// unlessHostDeparts makes a call to a grain on another member, but answers
// "unavailable" as soon as that member departs instead of waiting out the
// timeout (see departures). The call itself is left to finish on its own.
func (c *Client) unlessHostDeparts(id string, call func() (*widgetpb.WidgetReply, error)) (*widgetpb.WidgetReply, error) {
	pid, ok := c.cluster.PidCache.Get(id, WidgetKind)
	if !ok || pid.GetAddress() == c.cluster.ActorSystem.Address() {
		return call()
	}
	gone, stop := c.departures.watch(pid.GetAddress())
	defer stop()
	type result struct {
		reply *widgetpb.WidgetReply
		err   error
	}
	done := make(chan result, 1)
	go func() {
		r, err := call()
		done <- result{r, err}
	}()
	select {
	case r := <-done:
		return r.reply, r.err
	case <-gone:
		return nil, &Error{Code: CodeUnavailable, Message: "the node holding this widget went away during the request; it may not have been applied: check the widget and retry"}
	}
}

// retries bounds how often a call is re-sent after a dead letter: the grain
// was stopping (passivated, deleted, or just answered for a missing widget)
// and never saw the message, so re-sending cannot apply anything twice.
const retries = 8

// retryBackoff waits before retry i (5 ms doubling to 200 ms, ~0.7 s in all)
// so the next activation has time to start. The library's default waits
// nanoseconds and gives up while the old activation is still being removed.
func retryBackoff(i int) int {
	time.Sleep(min(5*time.Millisecond<<i, 200*time.Millisecond))
	return i + 1
}

// ValidID reports whether id can name a widget: 1-64 URL-safe characters.
// Checked before any grain is activated, so junk ids cost nothing.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
