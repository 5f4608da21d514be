package kinds

import (
	"reflect"
	"sync"
)

// configCache keeps decoded configs by their JSON, for kinds whose config
// holds no references (no slices, maps or pointers): a copy of a cached
// value can then share nothing with it, whatever a kind does with its copy.
// Every action decoded the widget's config (a goal's: ten fields, a third
// of the action's CPU) though configs change seldom and many widgets share
// one (the defaults).
type configCache[C any] struct {
	mu sync.RWMutex
	m  map[string]C
}

// maxCachedConfigs bounds a kind's cache; when full it starts over.
const maxCachedConfigs = 4096

// newConfigCache returns nil (no cache) when C holds references.
func newConfigCache[C any]() *configCache[C] {
	if hasReferences(reflect.TypeFor[C]()) {
		return nil
	}
	return &configCache[C]{m: map[string]C{}}
}

func (cc *configCache[C]) get(raw []byte) (C, bool) {
	cc.mu.RLock()
	c, ok := cc.m[string(raw)]
	cc.mu.RUnlock()
	return c, ok
}

func (cc *configCache[C]) put(raw []byte, c C) {
	cc.mu.Lock()
	if len(cc.m) >= maxCachedConfigs {
		clear(cc.m)
	}
	cc.m[string(raw)] = c
	cc.mu.Unlock()
}

// hasReferences reports whether a value of t can share memory with a copy
// of itself (strings are immutable, so they do not count).
func hasReferences(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			if hasReferences(t.Field(i).Type) {
				return true
			}
		}
		return false
	case reflect.Array:
		return hasReferences(t.Elem())
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return false
	default: // slices, maps, pointers, interfaces, funcs, channels
		return true
	}
}
