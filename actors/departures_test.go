package actors

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
)

// TestCallsWaitingOnADepartedMemberAreReleased: a call waiting on a member
// is released when that member's connection dies, and only that member's.
func TestCallsWaitingOnADepartedMemberAreReleased(t *testing.T) {
	system := actor.NewActorSystem()
	d := newDepartures(system)
	onB, stopB := d.watch("10.0.0.2:4000")
	defer stopB()
	onC, stopC := d.watch("10.0.0.3:4000")
	defer stopC()
	system.EventStream.Publish(&remote.EndpointTerminatedEvent{Address: "10.0.0.2:4000"})
	select {
	case <-onB:
	case <-time.After(2 * time.Second):
		t.Fatal("the call waiting on the dead member was not released")
	}
	select {
	case <-onC:
		t.Fatal("a call waiting on a live member was released")
	default:
	}
	stopC()
	if len(d.waiting) != 0 {
		t.Fatalf("watches left behind: %v", d.waiting)
	}
}
