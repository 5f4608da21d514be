package kinds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Erase turns a typed Kind into a Definition. The kind's Info is built
// once, here: every action looks its spec up, and building the schemas
// cost an action more than applying it did.
func Erase[C any, S any](k Kind[C, S]) Definition {
	return erased[C, S]{k: k, info: k.Info(), configs: newConfigCache[C]()}
}

type erased[C any, S any] struct {
	k       Kind[C, S]
	info    Info            // shared by every caller: read it, never change it
	configs *configCache[C] // nil: C holds references, decode every time
}

func (e erased[C, S]) Info() Info   { return e.info }
func (e erased[C, S]) Type() string { return e.info.Type }

func (e erased[C, S]) Spec(action string) (ActionSpec, bool) {
	for _, a := range e.info.Actions {
		if a.Name == action {
			return a, true
		}
	}
	return ActionSpec{}, false
}

func (e erased[C, S]) DefaultConfig() json.RawMessage {
	out, _ := json.Marshal(e.k.Defaults())
	return out
}

func (e erased[C, S]) MergeConfig(base, patch json.RawMessage) (json.RawMessage, error) {
	c := e.k.Defaults()
	if len(base) > 0 {
		if err := json.Unmarshal(base, &c); err != nil {
			return nil, errorf(CodeCorruptState, "stored config: %v", err)
		}
	}
	if len(patch) > 0 {
		if err := DecodeStrict(patch, &c); err != nil {
			return nil, InvalidConfig("config: %v", err)
		}
	}
	if err := e.k.Validate(c); err != nil {
		return nil, err
	}
	out, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("kinds: encode config: %w", err)
	}
	if err := checkText(out); err != nil {
		return nil, err
	}
	return out, nil
}

func (e erased[C, S]) InitialState(config json.RawMessage, now time.Time) (json.RawMessage, error) {
	c, err := e.config(config)
	if err != nil {
		return nil, err
	}
	return json.Marshal(e.k.Initial(c, now))
}

func (e erased[C, S]) Apply(config, state json.RawMessage, a Action, now time.Time) (json.RawMessage, []Event, error) {
	c, s, err := e.decode(config, state)
	if err != nil {
		return nil, nil, err
	}
	if err := checkPayloadText(a.Payload); err != nil {
		return nil, nil, err
	}
	next, events, err := e.k.Apply(c, s, a, now)
	if err != nil {
		return nil, nil, err
	}
	out, err := json.Marshal(next)
	if err != nil {
		return nil, nil, fmt.Errorf("kinds: encode state: %w", err)
	}
	return out, events, nil
}

func (e erased[C, S]) Step(config, state json.RawMessage, a Action, now time.Time) (Step, error) {
	c, s, err := e.decode(config, state)
	if err != nil {
		return Step{}, err
	}
	if err := checkPayloadText(a.Payload); err != nil {
		return Step{}, err
	}
	next, events, err := e.k.Apply(c, s, a, now)
	if err != nil {
		return Step{}, err
	}
	out, err := json.Marshal(next)
	if err != nil {
		return Step{}, fmt.Errorf("kinds: encode state: %w", err)
	}
	view, err := json.Marshal(e.k.View(c, next, now))
	if err != nil {
		return Step{}, fmt.Errorf("kinds: encode view: %w", err)
	}
	if bytes.Equal(view, out) {
		view = out // most kinds' view is the state: keep one copy
	}
	return Step{State: out, View: view, Events: events, Timer: e.k.Timer(c, next, now)}, nil
}

func (e erased[C, S]) Settle(config, state json.RawMessage, now time.Time) (json.RawMessage, []Event, bool, error) {
	c, s, err := e.decode(config, state)
	if err != nil {
		return nil, nil, false, err
	}
	next, events, changed := e.k.Settle(c, s, now)
	if !changed {
		return state, nil, false, nil
	}
	out, err := json.Marshal(next)
	return out, events, true, err
}

// Timer is the zero Timer for a state that does not decode (the grain then
// reports the corrupt state on the next call instead of ticking on it).
func (e erased[C, S]) Timer(config, state json.RawMessage, now time.Time) Timer {
	c, s, err := e.decode(config, state)
	if err != nil {
		return Timer{}
	}
	return e.k.Timer(c, s, now)
}

func (e erased[C, S]) Reconfigure(old, next, state json.RawMessage, now time.Time) (json.RawMessage, error) {
	oc, s, err := e.decode(old, state)
	if err != nil {
		return nil, err
	}
	nc, err := e.config(next)
	if err != nil {
		return nil, err
	}
	return json.Marshal(e.k.Reconfigure(oc, nc, s, now))
}

func (e erased[C, S]) View(config, state json.RawMessage, now time.Time) (json.RawMessage, error) {
	c, s, err := e.decode(config, state)
	if err != nil {
		return nil, err
	}
	return json.Marshal(e.k.View(c, s, now))
}

func (e erased[C, S]) config(raw json.RawMessage) (C, error) {
	if e.configs != nil {
		if c, ok := e.configs.get(raw); ok {
			return c, nil
		}
	}
	c := e.k.Defaults()
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, errorf(CodeCorruptState, "stored config: %v", err)
	}
	if e.configs != nil {
		e.configs.put(raw, c)
	}
	return c, nil
}

func (e erased[C, S]) decode(config, state json.RawMessage) (C, S, error) {
	var s S
	c, err := e.config(config)
	if err != nil {
		return c, s, err
	}
	if err := json.Unmarshal(state, &s); err != nil {
		return c, s, errorf(CodeCorruptState, "stored state: %v", err)
	}
	return c, s, nil
}

// DecodeStrict decodes one JSON value into v, refusing unknown fields,
// wrong types and trailing data, with a message a client can act on.
func DecodeStrict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return fmt.Errorf("field %q must be %s, not %s", typeErr.Field, typeName(typeErr.Type.Kind().String()), typeErr.Value)
		}
		// encoding/json's own words ("json: unknown field …") are not ours to show.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fmt.Errorf("there is no field %s here (GET /kinds lists each kind's fields)", name)
		}
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

func typeName(goKind string) string {
	switch goKind {
	case "int", "int64", "int32":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "struct", "map":
		return "an object"
	default:
		return goKind
	}
}
