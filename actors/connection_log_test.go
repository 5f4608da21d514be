package actors_test

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamwidgets/streamwidgets/actors"
)

// TestLazyFieldsLogLikeWith: a logger with lazy fields writes the same
// entries as zap's With would, later With calls included, and respects the
// wrapped core's level.
func TestLazyFieldsLogLikeWith(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	log := actors.LazyFields(zap.New(core).Named("conn"), zap.String("conn_id", "c1"))
	log.Debug("dropped")
	log = log.With(zap.String("mode", "widget"))
	log.Warn("slow consumer", zap.Int("close_code", 4002))
	all := logs.All()
	if len(all) != 1 {
		t.Fatalf("%d entries, want 1: %v", len(all), all)
	}
	got := all[0].ContextMap()
	if all[0].LoggerName != "conn" || got["conn_id"] != "c1" || got["mode"] != "widget" || got["close_code"] != int64(4002) {
		t.Errorf("entry %s %v", all[0].LoggerName, got)
	}
}
