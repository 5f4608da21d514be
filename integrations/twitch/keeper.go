package twitch

import (
	"context"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// keeper is the token keeper: it loads the connection's tokens, validates
// them at start and hourly (Twitch requires it), refreshes on a 401 or near
// expiry, and stores a refreshed (possibly rotated) refresh token with a
// versioned write so a concurrent writer never makes us lose it.
type keeper struct {
	s       *shared
	log     *zap.Logger
	timers  *supervise.Timers
	creds   persistence.Credentials
	loaded  bool
	fails   int
	revoked bool
	lastRef time.Time
}

// Keeper messages (local only).
type (
	validateTick   struct{}
	refreshNow     struct{ bad persistence.Secret }
	retryRefresh   struct{}
	checkReconnect struct{}
)

func (validateTick) NotInfluenceReceiveTimeout()   {}
func (retryRefresh) NotInfluenceReceiveTimeout()   {}
func (checkReconnect) NotInfluenceReceiveTimeout() {}

func (k *keeper) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		k.timers = supervise.NewTimers(ctx)
		self, root := ctx.Self(), ctx.ActorSystem().Root
		k.s.tokens.SetOnReject(func(bad persistence.Secret) { root.Send(self, refreshNow{bad: bad}) })
		k.start(ctx)
	case *actor.Stopping, *actor.Restarting:
		k.timers.StopAll()
	case validateTick:
		k.validate(ctx)
	case refreshNow:
		if msg.bad == k.creds.AccessToken && time.Since(k.lastRef) > 2*time.Second {
			k.refresh(ctx)
		}
	case retryRefresh:
		k.refresh(ctx)
	case checkReconnect:
		k.checkReconnect(ctx)
	}
}

func (k *keeper) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), k.s.iv.CallTimeout)
}

func (k *keeper) report(ctx actor.Context, r supervise.Report) {
	r.Account = &integrations.Account{ID: k.s.Broadcaster, Name: k.creds.AccountName}
	supervise.Tell(ctx, &r)
}

// start loads the stored tokens and validates them.
func (k *keeper) start(ctx actor.Context) {
	c, cancel := k.call()
	creds, err := k.s.Creds.GetCredentials(c, k.s.Owner, Service)
	cancel()
	if err != nil {
		if errors.Is(err, persistence.ErrNotFound) {
			k.report(ctx, supervise.Report{State: integrations.StateDisconnected, Detail: "no Twitch account connected"})
			return
		}
		k.log.Warn("cannot load the Twitch tokens; retrying", zap.Error(err))
		k.report(ctx, supervise.Report{State: integrations.StateConnecting, Err: "cannot read the stored tokens: " + err.Error()})
		k.timers.After("start", 5*time.Second, validateTick{})
		return
	}
	k.adopt(creds)
	k.validate(ctx)
}

func (k *keeper) adopt(c persistence.Credentials) {
	k.creds, k.loaded, k.revoked = c, true, false
	k.s.tokens.Set(c.AccessToken)
}

// validate asks Twitch about the token: 401 means refresh; otherwise report
// the account and which scopes are missing, and validate again in an hour
// (sooner if the token expires before).
func (k *keeper) validate(ctx actor.Context) {
	if !k.loaded {
		k.start(ctx)
		return
	}
	c, cancel := k.call()
	v, err := k.s.oauth.Validate(c, k.creds.AccessToken)
	cancel()
	switch {
	case errors.Is(err, ErrUnauthorized):
		k.refresh(ctx)
		return
	case err != nil:
		k.log.Warn("token validation failed; retrying", zap.Error(err))
		k.report(ctx, supervise.Report{State: integrations.StateConnecting, Err: "cannot reach Twitch to validate the token: " + err.Error()})
		k.timers.After("validate", 30*time.Second, validateTick{})
		return
	}
	if v.UserID != "" && v.UserID != k.s.Broadcaster {
		k.report(ctx, supervise.Report{State: integrations.StateRevoked, Err: "the stored token belongs to another Twitch account"})
		return
	}
	next := k.s.iv.Validate
	if v.ExpiresIn > 0 {
		left := time.Duration(v.ExpiresIn) * time.Second
		if left < 10*time.Minute {
			k.refresh(ctx)
			return
		}
		next = min(next, left-5*time.Minute)
	}
	k.fails = 0
	r := supervise.Report{State: integrations.StateConnected, Detail: "token valid", Scopes: v.Scopes}
	if missing := MissingScopes(v.Scopes); len(missing) > 0 {
		r.State, r.MissingScopes = integrations.StateScopeMissing, missing
		r.Detail = "the token lacks some permissions; the widgets that need them get nothing"
	}
	k.report(ctx, r)
	k.timers.After("validate", next, validateTick{})
}

// refresh gets new tokens. The refresh token used is the stored one: if
// another writer (an activation elsewhere during a failover, or the user
// connecting again) stored newer tokens, those are adopted instead.
func (k *keeper) refresh(ctx actor.Context) {
	k.lastRef = time.Now()
	c, cancel := k.call()
	defer cancel()
	stored, err := k.s.Creds.GetCredentials(c, k.s.Owner, Service)
	if errors.Is(err, persistence.ErrNotFound) {
		k.s.tokens.Set("")
		k.report(ctx, supervise.Report{State: integrations.StateDisconnected, Detail: "the Twitch account was disconnected"})
		return
	}
	if err == nil && stored.Version != k.creds.Version && stored.AccessToken != k.creds.AccessToken {
		k.adopt(stored)
		k.validate(ctx)
		return
	}
	if err == nil {
		k.creds = stored
	}
	tok, err := k.s.oauth.Refresh(c, k.creds.RefreshToken)
	switch {
	case errors.Is(err, ErrInvalidRefresh):
		k.revoke(ctx)
		return
	case err != nil:
		k.fails++
		wait := Backoff(k.fails + 2) // 4 s, 8 s, … a minute
		k.log.Warn("token refresh failed; retrying", zap.Error(err), zap.Duration("in", wait))
		k.report(ctx, supervise.Report{State: integrations.StateTokenExpired, Err: "cannot refresh the token: " + err.Error(),
			RetryAt: time.Now().Add(wait)})
		k.timers.After("refresh", wait, retryRefresh{})
		return
	}
	next := k.creds
	next.AccessToken, next.RefreshToken, next.ExpiresAt = tok.Access, tok.Refresh, tok.ExpiresAt
	if len(tok.Scopes) > 0 {
		next.Scopes = tok.Scopes
	}
	saved, err := k.s.Creds.PutCredentials(c, k.s.Owner, Service, next, k.creds.Version)
	if errors.Is(err, persistence.ErrConflict) {
		// Someone wrote since we read. If they only changed what we did not
		// use, ours stands; if they stored other tokens, theirs are newer.
		latest, gerr := k.s.Creds.GetCredentials(c, k.s.Owner, Service)
		if gerr == nil && latest.RefreshToken == k.creds.RefreshToken {
			saved, err = k.s.Creds.PutCredentials(c, k.s.Owner, Service, next, latest.Version)
		} else if gerr == nil {
			k.adopt(latest)
			k.validate(ctx)
			return
		}
	}
	if err != nil {
		// The new tokens work but are not stored: use them, and keep trying
		// to store them (a lost rotated refresh token means reconnecting).
		k.log.Error("refreshed tokens could not be stored; retrying", zap.Error(err))
		k.creds.AccessToken = next.AccessToken
		k.s.tokens.Set(next.AccessToken)
		k.creds.RefreshToken = next.RefreshToken
		k.timers.After("store", 5*time.Second, retryRefresh{})
		return
	}
	k.fails = 0
	k.log.Info("token refreshed", zap.Int64("version", saved.Version))
	k.adopt(saved)
	k.validate(ctx)
}

// revoke: the refresh token was refused. Unless another writer stored new
// tokens meanwhile, the user revoked access: stop calling Twitch and wait
// for them to connect again.
func (k *keeper) revoke(ctx actor.Context) {
	c, cancel := k.call()
	latest, err := k.s.Creds.GetCredentials(c, k.s.Owner, Service)
	cancel()
	if err == nil && latest.RefreshToken != k.creds.RefreshToken {
		k.adopt(latest)
		k.validate(ctx)
		return
	}
	k.revoked = true
	k.s.tokens.Set("")
	k.log.Warn("Twitch refused the refresh token: access revoked; waiting for the user to connect again")
	k.report(ctx, supervise.Report{State: integrations.StateRevoked, Err: "Twitch refused the refresh token (access revoked on Twitch, or the password changed)"})
	k.timers.After("reconnect", time.Minute, checkReconnect{})
}

// checkReconnect looks for tokens stored by a new "Connect Twitch".
func (k *keeper) checkReconnect(ctx actor.Context) {
	c, cancel := k.call()
	latest, err := k.s.Creds.GetCredentials(c, k.s.Owner, Service)
	cancel()
	if err == nil && latest.RefreshToken != k.creds.RefreshToken {
		k.adopt(latest)
		k.validate(ctx)
		return
	}
	k.timers.After("reconnect", time.Minute, checkReconnect{})
}
