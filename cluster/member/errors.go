package member

import "errors"

// ErrNotInTopology: this member is not (or no longer) in its cluster's
// topology: still joining, or evicted by the others (see Ready).
var ErrNotInTopology = errors.New("member: not in the cluster topology (joining, or evicted)")

// ErrUnknownProvider: Config.Provider names no membership provider.
var ErrUnknownProvider = errors.New("member: unknown cluster provider")

// ErrEvicted: the other members dropped this one from the topology; it
// must restart to rejoin (see Member.Evicted).
var ErrEvicted = errors.New("member: evicted from the cluster topology (restart this member)")
