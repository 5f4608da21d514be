package actors

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// LazyFields returns log with fields added without encoding them now.
// zap's With encodes the fields at once into a buffer of ~1 KiB kept by the
// new logger; a node holds one logger per socket, and most never write a
// line, so here the fields are kept as they are and encoded only with each
// entry written. Later With calls on the result stay lazy too.
func LazyFields(log *zap.Logger, fields ...zap.Field) *zap.Logger {
	return log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		if lc, ok := c.(*lazyCore); ok {
			return lc.with(fields)
		}
		return &lazyCore{Core: c, fields: fields}
	}))
}

// lazyCore is a core whose context fields are encoded per entry.
type lazyCore struct {
	zapcore.Core
	fields []zap.Field
}

func (c *lazyCore) with(fields []zap.Field) *lazyCore {
	all := make([]zap.Field, 0, len(c.fields)+len(fields))
	return &lazyCore{Core: c.Core, fields: append(append(all, c.fields...), fields...)}
}

func (c *lazyCore) With(fields []zap.Field) zapcore.Core { return c.with(fields) }

// Check lets the wrapped core decide (its level, its sampling), then
// writes through this one, which adds the fields.
func (c *lazyCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Core.Check(ent, nil) != nil {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c *lazyCore) Write(ent zapcore.Entry, fields []zap.Field) error {
	all := make([]zap.Field, 0, len(c.fields)+len(fields))
	return c.Core.Write(ent, append(append(all, c.fields...), fields...))
}
