package actors

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/remote"
)

// departures tells calls in flight that the member they wait on is gone:
// it left the topology (a SIGTERM) or its connection died (a kill -9). The
// library would keep waiting the whole call timeout and then re-send the
// request to the new activation — 5 s of silence, and a request possibly
// applied twice. The call answers "unavailable" at once instead.
type departures struct {
	mu      sync.Mutex
	waiting map[string]map[chan struct{}]struct{} // member address -> calls
}

func newDepartures(system *actor.ActorSystem) *departures {
	d := &departures{waiting: map[string]map[chan struct{}]struct{}{}}
	system.EventStream.Subscribe(func(ev any) {
		switch e := ev.(type) {
		case *cluster.ClusterTopology:
			for _, m := range e.GetLeft() {
				d.gone(m.Address())
			}
		case *remote.EndpointTerminatedEvent:
			d.gone(e.Address)
		}
	})
	return d
}

// watch returns a channel closed when address departs, and a func to stop.
func (d *departures) watch(address string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	d.mu.Lock()
	if d.waiting[address] == nil {
		d.waiting[address] = map[chan struct{}]struct{}{}
	}
	d.waiting[address][ch] = struct{}{}
	d.mu.Unlock()
	return ch, func() {
		d.mu.Lock()
		if _, ok := d.waiting[address][ch]; ok {
			delete(d.waiting[address], ch)
			if len(d.waiting[address]) == 0 {
				delete(d.waiting, address)
			}
		}
		d.mu.Unlock()
	}
}

func (d *departures) gone(address string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for ch := range d.waiting[address] {
		close(ch)
	}
	delete(d.waiting, address)
}
