// Package integrationstest has what integration tests share: a Sink that
// records deliveries, a host actor running a supervised tree on its own
// actor system (no cluster, so tests run under -race), and polling helpers.
package integrationstest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
)

// Delivery is one action a Sink received.
type Delivery struct {
	Owner   string
	Action  integrations.Action
	Payload map[string]any
}

// Sink records deliveries. Widgets answers from SetWidgets (default: one
// widget of every type, so pollers run).
type Sink struct {
	mu         sync.Mutex
	deliveries []Delivery
	widgets    map[string][]string
	fail       int
}

var _ integrations.Sink = (*Sink)(nil)

// NewSink returns an empty recording sink.
func NewSink() *Sink { return &Sink{} }

// SetWidgets says which widget ids of widgetType the owner has.
func (s *Sink) SetWidgets(widgetType string, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.widgets == nil {
		s.widgets = map[string][]string{}
	}
	s.widgets[widgetType] = ids
}

// FailNext makes the next n deliveries fail (retryably).
func (s *Sink) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// Deliver implements integrations.Sink.
func (s *Sink) Deliver(_ context.Context, owner string, a integrations.Action) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return fmt.Errorf("integrationstest: injected delivery failure")
	}
	var p map[string]any
	_ = json.Unmarshal(a.Payload, &p)
	s.deliveries = append(s.deliveries, Delivery{Owner: owner, Action: a, Payload: p})
	return nil
}

// Widgets implements integrations.Sink.
func (s *Sink) Widgets(_ context.Context, _ string, widgetType string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.widgets == nil {
		return []string{widgetType + "-1"}, nil
	}
	return append([]string(nil), s.widgets[widgetType]...), nil
}

// Deliveries returns the deliveries of widgetType and action name ("" for all).
func (s *Sink) Deliveries(widgetType, name string) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Delivery
	for _, d := range s.deliveries {
		if (widgetType == "" || d.Action.WidgetType == widgetType) && (name == "" || d.Action.Name == name) {
			out = append(out, d)
		}
	}
	return out
}

// Host is a plain actor hosting a supervised tree, as the integration grain
// does in a cluster.
type Host struct {
	System *actor.ActorSystem
	PID    *actor.PID
}

type statusRequest struct{}

type restartRequest struct{}

type host struct {
	tree     *supervise.Tree
	children []supervise.Child
}

func (h *host) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		h.tree.Start(ctx, h.children)
	case statusRequest:
		ctx.Respond(h.tree.Status())
	case restartRequest:
		h.tree.Stop(ctx)
		h.tree.Start(ctx, h.children)
		ctx.Respond(true)
	default:
		h.tree.Handle(ctx)
	}
}

// StartHost runs children under a host with policy on a new actor system,
// stopped at the end of the test.
func StartHost(t testing.TB, service string, children []supervise.Child, policy supervise.Policy, log *zap.Logger) *Host {
	t.Helper()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	props := actor.PropsFromProducer(func() actor.Actor { return &host{tree: supervise.NewTree(service, log), children: children} },
		actor.WithSupervisor(supervise.Strategy(policy)))
	pid := sys.Root.Spawn(props)
	t.Cleanup(func() {
		_ = sys.Root.StopFuture(pid).Wait()
		sys.Shutdown()
	})
	return &Host{System: sys, PID: pid}
}

// Status asks the host for the tree's status.
func (h *Host) Status(t testing.TB) integrations.Status {
	t.Helper()
	res, err := h.System.Root.RequestFuture(h.PID, statusRequest{}, 5*time.Second).Result()
	if err != nil {
		t.Fatalf("integrationstest: status: %v", err)
	}
	return res.(integrations.Status)
}

// Restart stops the children and starts them again at once (a streamer
// connecting again).
func (h *Host) Restart(t testing.TB) {
	t.Helper()
	if _, err := h.System.Root.RequestFuture(h.PID, restartRequest{}, 5*time.Second).Result(); err != nil {
		t.Fatalf("integrationstest: restart: %v", err)
	}
}

// Eventually calls check every 20 ms until it returns nil or timeout
// passes, then fails the test with its last error.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Logger records Info and above and prints it if the test fails (and never
// writes after the test, unlike zaptest).
func Logger(t testing.TB) *zap.Logger {
	core, logs := observer.New(zapcore.InfoLevel)
	t.Cleanup(func() {
		if t.Failed() {
			for _, e := range logs.All() {
				t.Logf("%s %s %s %v", e.Time.Format("15:04:05.000"), e.LoggerName, e.Message, e.ContextMap())
			}
		}
	})
	return zap.New(core)
}
