package app

import "github.com/streamwidgets/streamwidgets/actors"

// Widgets is this member's client of the widget grains: in-process code
// (integrations, tests standing in for one) acts on widgets through it with
// a caller such as actors.ServiceCaller; transports build their own callers.
func (a *App) Widgets() *actors.Client { return a.widgets }
