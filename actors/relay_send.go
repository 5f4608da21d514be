package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
)

// sendToRelays is how a grain (widget or room) pushes an event: one message
// to the relay of each member that has subscribers (members: address ->
// count), or, with keep, of each member having a subscriber keep accepts.
// Fire-and-forget: a slow or dead member never delays the grain. It
// returns how many members were sent to.
func sendToRelays[S any](ctx cluster.GrainContext, msg any, members map[string]int, subs map[string]S,
	pid func(S) *actor.PID, keep func(S) bool) int {
	targets := members
	if keep != nil {
		targets = map[string]int{}
		for _, s := range subs {
			if keep(s) {
				targets[pid(s).GetAddress()]++
			}
		}
	}
	for addr := range targets {
		ctx.Send(actor.NewPID(addr, RelayName), msg)
	}
	return len(targets)
}
