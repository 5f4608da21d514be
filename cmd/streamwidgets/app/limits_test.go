package app_test

import (
	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/transport/httpapi"
)

// liftRESTLimits turns the REST rate limits off for tests that send more
// from one user or one address than a person would, to check something else
// (isolation under a crowd, fan-out, a burst of edits). The limits have
// tests of their own in transport/httpapi.
func liftRESTLimits(c *app.Config) {
	off := httpapi.Rate{PerSecond: -1}
	c.HTTP.UserReads, c.HTTP.UserWrites = off, off
	c.HTTP.AddressReads, c.HTTP.AddressWrites, c.HTTP.AddressProbes = off, off, off
}
