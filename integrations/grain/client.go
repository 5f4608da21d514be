package grain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/streamwidgets/streamwidgets/cluster/integrationpb"
	"github.com/streamwidgets/streamwidgets/integrations"
)

// ErrForbidden: the account is connected by another user.
var ErrForbidden = errors.New("integrations: this account is connected by another user")

// Client calls integration grains wherever they are active.
type Client struct {
	c       *cluster.Cluster
	timeout time.Duration
}

// NewClient returns a client whose calls wait at most timeout (default 5s).
func NewClient(c *cluster.Cluster, timeout time.Duration) *Client {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &Client{c: c, timeout: timeout}
}

func (cl *Client) opts() []cluster.GrainCallOption {
	// Plain requests only: options on futures mutate a library global.
	return []cluster.GrainCallOption{cluster.WithTimeout(cl.timeout), cluster.WithRetryCount(3)}
}

func decode(r *integrationpb.StatusReply, err error) (integrations.Status, error) {
	var ge *cluster.GrainErrorResponse
	if errors.As(err, &ge) && ge.Reason == CodeForbidden {
		return integrations.Status{}, ErrForbidden
	}
	if err != nil {
		return integrations.Status{}, fmt.Errorf("integrations: grain call: %w", err)
	}
	var st integrations.Status
	if err := json.Unmarshal(r.GetStatusJson(), &st); err != nil {
		return st, fmt.Errorf("integrations: status: %w", err)
	}
	return st, nil
}

// Ensure starts owner's connection to service account (restart: anew).
func (cl *Client) Ensure(owner, service, account string, restart bool) (integrations.Status, error) {
	g := integrationpb.GetIntegrationGrainClient(cl.c, Identity(service, account))
	return decode(g.Ensure(&integrationpb.EnsureRequest{OwnerUserId: owner, Restart: restart}, cl.opts()...))
}

// Status returns the connection's status.
func (cl *Client) Status(owner, service, account string) (integrations.Status, error) {
	g := integrationpb.GetIntegrationGrainClient(cl.c, Identity(service, account))
	return decode(g.Status(&integrationpb.StatusRequest{OwnerUserId: owner}, cl.opts()...))
}

// Stop stops the connection's parts and its grain.
func (cl *Client) Stop(owner, service, account string) (integrations.Status, error) {
	g := integrationpb.GetIntegrationGrainClient(cl.c, Identity(service, account))
	return decode(g.Stop(&integrationpb.StopRequest{OwnerUserId: owner}, cl.opts()...))
}
