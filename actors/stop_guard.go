package actors

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// stopGuard answers requests that reach a grain's mailbox after the grain
// stopped. protoactor drops such messages without a word (InvokeUserMessage
// returns once an actor is stopped), so a caller whose request was queued
// just as the grain passivated waited for its whole call timeout (5 s). A
// DeadLetterResponse instead makes the cluster client forget the old PID and
// activate the grain again at once (see Client's retries).
type stopGuard struct {
	system  *actor.ActorSystem
	stopped atomic.Bool
}

// stopGuardedMailbox gives every grain an unbounded mailbox with its own guard.
func stopGuardedMailbox(system *actor.ActorSystem) actor.MailboxProducer {
	return func() actor.Mailbox {
		return actor.Unbounded(&stopGuard{system: system})()
	}
}

func (*stopGuard) MailboxStarted()   {}
func (*stopGuard) MessagePosted(any) {}
func (*stopGuard) MailboxEmpty()     {}

// MessageReceived runs on the mailbox's goroutine after each message was
// handed to the actor (or dropped because it had stopped).
func (g *stopGuard) MessageReceived(msg any) {
	switch m := msg.(type) {
	case *actor.Stop:
		g.stopped.Store(true)
	case *actor.MessageEnvelope:
		if g.stopped.Load() && m.Sender != nil {
			g.system.Root.Send(m.Sender, &actor.DeadLetterResponse{})
		}
	}
}
