package ws

import "sync"

// counter caps concurrent connections per key (an address or a user). It is
// connection bookkeeping of this node, not widget state.
type counter struct {
	mu    sync.Mutex
	max   int
	count map[string]int
}

func newCounter(max int) *counter { return &counter{max: max, count: map[string]int{}} }

func (c *counter) acquire(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count[key] >= c.max {
		return false
	}
	c.count[key]++
	return true
}

func (c *counter) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count[key] <= 1 {
		delete(c.count, key)
		return
	}
	c.count[key]--
}

// full reports whether key has no slot left, without taking one.
func (c *counter) full(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count[key] >= c.max
}

// held is how many slots key holds (tests).
func (c *counter) held(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count[key]
}
