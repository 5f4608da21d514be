package app_test

import (
	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/transport/httpapi"
)

// crowdLimits lifts the REST rate limits: the crowd shares one address and
// measures isolation, not the limits (they have tests of their own).
func crowdLimits(c *app.Config) {
	off := httpapi.Rate{PerSecond: -1}
	c.HTTP.UserReads, c.HTTP.UserWrites = off, off
	c.HTTP.AddressReads, c.HTTP.AddressWrites, c.HTTP.AddressProbes = off, off, off
}
