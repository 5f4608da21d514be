package supervise

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations"
)

// Child is one supervised part of a connection.
type Child struct {
	Name  string
	Props *actor.Props
}

// Report is what a child sends its host (ctx.Send(ctx.Parent(), &Report{…}))
// whenever its condition changes; the latest one per child makes the
// connection's status.
type Report struct {
	State   integrations.State
	Detail  string
	Err     string
	RetryAt time.Time
	// Account, Scopes and MissingScopes come from the token keeper.
	Account       *integrations.Account
	Scopes        []string
	MissingScopes []string
	// Subscriptions come from the EventSub session.
	Subscriptions []integrations.Subscription
}

// Poke asks the host to wake a sibling (the EventSub session, after a
// follow, wakes the followers poller); the sibling receives Poked.
type Poke struct{ Child string }

// Poked is what a poked child receives.
type Poked struct{}

// ChildTerminated is *actor.Terminated renamed by ForwardTerminated: hosts
// generated as grains drop system messages, Terminated included.
type ChildTerminated struct{ PID *actor.PID }

// ForwardTerminated is a receiver middleware passing *actor.Terminated to a
// grain host as ChildTerminated.
func ForwardTerminated(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		if t, ok := env.Message.(*actor.Terminated); ok {
			next(c, &actor.MessageEnvelope{Header: env.Header, Message: &ChildTerminated{PID: t.Who}, Sender: env.Sender})
			return
		}
		next(c, env)
	}
}

type childState struct {
	pid  *actor.PID
	comp integrations.Component
	last Report
}

// Tree is a host's record of its children. It is not an actor: the host
// calls Start, Handle and Status from its own Receive, so all of it runs on
// the host's goroutine.
type Tree struct {
	service  string
	log      *zap.Logger
	now      func() time.Time
	children map[string]*childState // by name
	names    map[string]string      // pid id -> name
	gen      int                    // starts so far
}

// NewTree returns an empty tree for a connection to service.
func NewTree(service string, log *zap.Logger) *Tree {
	if log == nil {
		log = zap.NewNop()
	}
	return &Tree{service: service, log: log, now: time.Now, children: map[string]*childState{}, names: map[string]string{}}
}

// Start spawns children under the host ctx (whose props must carry
// Strategy) and forgets any previous ones. Each start names its children
// anew: children of a previous start may still be stopping.
func (t *Tree) Start(ctx actor.Context, children []Child) {
	t.gen++
	for _, c := range children {
		pid, err := ctx.SpawnNamed(c.Props, fmt.Sprintf("%s-%d", c.Name, t.gen))
		if err != nil {
			t.log.Error("integration part did not start", zap.String("part", c.Name), zap.Error(err))
			t.children[c.Name] = &childState{comp: integrations.Component{Name: c.Name, Run: "stopped", State: integrations.StateDegraded,
				LastError: "did not start: " + err.Error(), Since: t.now()}}
			continue
		}
		t.children[c.Name] = &childState{pid: pid, comp: integrations.Component{Name: c.Name, Run: "running", State: integrations.StateConnecting, Since: t.now()}}
		t.names[pid.Id] = c.Name
	}
}

// Stop stops every child (they close their connections in Stopping).
func (t *Tree) Stop(ctx actor.Context) {
	for _, c := range t.children {
		if c.pid != nil {
			ctx.Stop(c.pid)
		}
	}
	t.children, t.names = map[string]*childState{}, map[string]string{}
}

// Running reports whether any child was started.
func (t *Tree) Running() bool { return len(t.children) > 0 }

// PID returns a running child's PID by name.
func (t *Tree) PID(name string) *actor.PID {
	if c := t.children[name]; c != nil {
		return c.pid
	}
	return nil
}

// Handle consumes the tree's messages (children's reports, crashes and
// terminations) and reports whether ctx's message was one.
func (t *Tree) Handle(ctx actor.Context) bool {
	switch msg := ctx.Message().(type) {
	case *Report:
		c := t.bySender(ctx.Sender())
		if c == nil {
			return true
		}
		if c.comp.State != msg.State || c.comp.Detail != msg.Detail || c.comp.LastError != msg.Err {
			c.comp.Since = t.now()
		}
		c.last = *msg
		c.comp.State, c.comp.Detail, c.comp.LastError, c.comp.RetryAt = msg.State, msg.Detail, msg.Err, nil
		if !msg.RetryAt.IsZero() {
			at := msg.RetryAt
			c.comp.RetryAt = &at
		}
		if c.comp.Run == "restarting" {
			c.comp.Run = "running"
		}
	case *Poke:
		if c := t.children[msg.Child]; c != nil && c.pid != nil && c.comp.Run != "stopped" {
			ctx.Send(c.pid, Poked{})
		}
	case *childCrashed:
		c := t.byPID(msg.pid)
		if c == nil {
			return true
		}
		c.comp.Restarts, c.comp.LastError, c.comp.Since = msg.restarts, "crashed: "+msg.reason, t.now()
		if msg.gaveUp {
			c.comp.Run = "stopped"
			t.log.Error("integration part stopped after repeated crashes; the rest of the connection keeps running",
				zap.String("part", c.comp.Name), zap.Int("crashes", msg.restarts), zap.String("reason", msg.reason))
		} else {
			c.comp.Run = "restarting"
			t.log.Warn("integration part crashed; restarting", zap.String("part", c.comp.Name),
				zap.Int("crashes", msg.restarts), zap.Duration("backoff", msg.delay), zap.String("reason", msg.reason))
		}
	case *ChildTerminated:
		if c := t.byPID(msg.PID); c != nil && c.comp.Run != "stopped" {
			c.comp.Run, c.comp.Since = "stopped", t.now()
		}
	case *actor.Terminated:
		if c := t.byPID(msg.Who); c != nil && c.comp.Run != "stopped" {
			c.comp.Run, c.comp.Since = "stopped", t.now()
		}
	default:
		return false
	}
	return true
}

func (t *Tree) byPID(pid *actor.PID) *childState {
	if pid == nil {
		return nil
	}
	if name, ok := t.names[pid.Id]; ok {
		return t.children[name]
	}
	return nil
}

func (t *Tree) bySender(pid *actor.PID) *childState { return t.byPID(pid) }

// Status is the connection's status from the children's latest reports.
func (t *Tree) Status() integrations.Status {
	st := integrations.Status{Service: t.service, Components: []integrations.Component{}}
	for _, c := range t.children {
		st.Components = append(st.Components, c.comp)
		if c.last.Account != nil {
			a := *c.last.Account
			st.Account = &a
		}
		if len(c.last.Scopes) > 0 {
			st.Scopes = append([]string(nil), c.last.Scopes...)
		}
		if len(c.last.MissingScopes) > 0 {
			st.MissingScopes = append([]string(nil), c.last.MissingScopes...)
		}
		st.Subscriptions = append(st.Subscriptions, c.last.Subscriptions...)
	}
	st.Overall()
	return st
}

// Tell sends r to the child's host, with the child as sender (the host
// files reports by sender).
func Tell(ctx actor.Context, r *Report) {
	if p := ctx.Parent(); p != nil {
		ctx.Request(p, r)
	}
}
