package actors

import (
	"runtime"
	"sync"
)

// fanoutMin is the number of local subscribers from which the relay spreads
// one event's socket writes over the CPUs. Below it one goroutine is cheaper.
const fanoutMin = 512

// fanout writes one event to many sockets on several goroutines: the
// relay's own and GOMAXPROCS-1 helpers (started on first use). It returns
// only when every socket has the event, so each socket still gets events
// in the relay's order.
type fanout struct {
	work []chan fanoutJob
	wg   sync.WaitGroup
}

type fanoutJob struct {
	subs []*relaySub
	d    *Delivery
}

func (f *fanout) start() {
	for range runtime.GOMAXPROCS(0) - 1 {
		ch := make(chan fanoutJob)
		f.work = append(f.work, ch)
		go f.help(ch)
	}
}

func (f *fanout) help(ch chan fanoutJob) {
	for j := range ch {
		deliverAll(j.subs, j.d)
		f.wg.Done()
	}
}

// run hands d to every direct entry of subs (entries without a socket are
// the caller's to message).
func (f *fanout) run(subs []*relaySub, d *Delivery) {
	if len(subs) < fanoutMin {
		deliverAll(subs, d)
		return
	}
	if f.work == nil {
		f.start()
	}
	size := (len(subs) + len(f.work)) / (len(f.work) + 1)
	for i, ch := range f.work {
		lo := (i + 1) * size
		if lo >= len(subs) {
			break
		}
		hi := min(lo+size, len(subs))
		if i == len(f.work)-1 {
			hi = len(subs)
		}
		f.wg.Add(1)
		ch <- fanoutJob{subs: subs[lo:hi], d: d}
	}
	deliverAll(subs[:min(size, len(subs))], d)
	f.wg.Wait()
}

func (f *fanout) stop() {
	for _, ch := range f.work {
		close(ch)
	}
	f.work = nil
}

func deliverAll(subs []*relaySub, d *Delivery) {
	for _, s := range subs {
		if s.ob != nil {
			s.deliver(d)
		}
	}
}
