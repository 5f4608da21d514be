package ws

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// frames are the payloads of wire frames q.
func frames(q [][]byte) []string {
	var out []string
	for _, f := range q {
		if f != nil {
			out = append(out, string(payload(f)))
		}
	}
	return out
}

// payload is the payload of one server frame (unmasked, unfragmented).
func payload(wire []byte) []byte {
	switch n := wire[1] & 0x7f; n {
	case 126:
		return wire[4:]
	case 127:
		return wire[10:]
	default:
		return wire[2:]
	}
}

// take empties s's queue, as the writer does.
func (s *socket) take() ([][]byte, time.Time, *closeRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takeLocked()
}

func TestOutboxCoalescesStateAndKeepsOrder(t *testing.T) {
	s := newSocket(nil, 3, 0, nil)
	s.Send([]byte("state v1"), "state:w")
	s.Send([]byte("config v2"), "")
	s.Send([]byte("state v3"), "state:w") // replaces v1 and goes behind config v2
	q, _, _ := s.take()
	if got := fmt.Sprint(frames(q)); got != "[config v2 state v3]" {
		t.Fatalf("queue %s: a coalesced update must not overtake what was queued after the one it replaces", got)
	}
}

func TestOutboxIsBoundedButStateNeverFillsIt(t *testing.T) {
	s := newSocket(nil, 2, 0, nil)
	for i := 0; i < 100; i++ {
		if !s.Send([]byte(fmt.Sprint("state ", i)), "state:w") {
			t.Fatal("coalescing updates filled the queue")
		}
	}
	if !s.Send([]byte("config"), "") {
		t.Fatal("refused below the limit")
	}
	if s.Send([]byte("config 2"), "") {
		t.Fatal("accepted past the limit: a stalled client would hold unbounded memory")
	}
	q, _, _ := s.take()
	if got := fmt.Sprint(frames(q)); got != "[state 99 config]" {
		t.Fatalf("queue %s", got)
	}
}

func TestOutboxConcurrentSenders(t *testing.T) {
	s := newSocket(nil, 1000, 0, nil)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				s.Send([]byte("x"), fmt.Sprint("state:", g))
				if i%50 == 0 {
					s.take()
				}
			}
		}(g)
	}
	wg.Wait()
	q, _, _ := s.take()
	if n := len(frames(q)); n > 8 {
		t.Fatalf("%d frames left for 8 keys", n)
	}
}

func TestCounterCapsAndReleases(t *testing.T) {
	c := newCounter(2)
	if !c.acquire("a") || !c.acquire("a") || c.acquire("a") {
		t.Fatal("cap of 2 not enforced")
	}
	if !c.acquire("b") {
		t.Fatal("another key was capped")
	}
	c.release("a")
	if !c.acquire("a") {
		t.Fatal("a released slot was not reusable")
	}
}
