package app

import (
	"context"

	"github.com/streamwidgets/streamwidgets/actors"
)

// IssueControlToken issues widget id's control token as its owner user would.
func (a *App) IssueControlToken(ctx context.Context, user, id string) (string, error) {
	rec, err := a.widgets.ControlToken(ctx, actors.UserCaller(user), id, false)
	return rec.ControlToken, err
}

// RevokeControlToken revokes widget id's control token.
func (a *App) RevokeControlToken(ctx context.Context, user, id string) error {
	_, err := a.widgets.ControlToken(ctx, actors.UserCaller(user), id, true)
	return err
}
