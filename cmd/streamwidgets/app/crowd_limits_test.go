package app_test

import "github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"

// crowdLimits lifts the REST rate limits: the crowd shares one address and
// measures isolation, not the limits (they have tests of their own).
func crowdLimits(c *app.Config) {}
