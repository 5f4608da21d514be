package kinds

import (
	"fmt"
	"sort"
)

// Registry lists the widget kinds a node serves. Duplicate types are refused
// at start, so two kinds can never silently share a name.
type Registry struct {
	byType map[string]Definition
}

// NewRegistry builds a registry from defs.
func NewRegistry(defs ...Definition) (*Registry, error) {
	r := &Registry{byType: make(map[string]Definition, len(defs))}
	for _, d := range defs {
		t := d.Type()
		if t == "" {
			return nil, fmt.Errorf("kinds: a kind has an empty type")
		}
		if _, dup := r.byType[t]; dup {
			return nil, fmt.Errorf("kinds: type %q registered twice", t)
		}
		r.byType[t] = d
	}
	return r, nil
}

// shipped is every kind this build ships; each kind's file adds itself in init.
var shipped []Definition

// Register adds a kind to the ones this build ships. Call it from the kind
// file's init, so a new kind is one file.
func Register(d Definition) { shipped = append(shipped, d) }

// Default returns the registry of every kind this build ships.
func Default() *Registry {
	r, err := NewRegistry(shipped...)
	if err != nil {
		// Registration happens in init, fixed at compile time; a duplicate is a programming error caught by tests.
		panic(err)
	}
	return r
}

// Lookup returns the kind named t.
func (r *Registry) Lookup(t string) (Definition, bool) {
	d, ok := r.byType[t]
	return d, ok
}

// Infos describes every kind, sorted by type.
func (r *Registry) Infos() []Info {
	out := make([]Info, 0, len(r.byType))
	for _, d := range r.byType {
		info := d.Info()
		info.DefaultConfig = d.DefaultConfig()
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}
