package actors

import "github.com/streamwidgets/streamwidgets/telemetry"

// metrics is the node's widget counters; nil (counting nothing) when the
// system has no Deps installed (tests that spawn a relay alone).
func (d *Deps) metrics() *telemetry.Widgets {
	if d == nil {
		return nil
	}
	return d.Metrics
}
