package grain

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/integrationpb"
	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// CodeForbidden is the grain error when the caller is not the account's owner.
const CodeForbidden = "forbidden"

// NewKind returns the cluster kind of integration grains on system. The
// grain hosts the parts (supervise.Strategy: a crashing part is restarted,
// then stopped; it never takes the grain down) and never passivates while
// connected: the Activator and Stop decide its life.
func NewKind(system *actor.ActorSystem) *cluster.Kind {
	policy := supervise.Policy{}
	if ext := depsOf(system); ext != nil {
		policy = ext.d.Policy
	}
	return integrationpb.NewIntegrationKind(func() integrationpb.Integration { return &grain{} }, 0,
		actor.WithReceiverMiddleware(supervise.ForwardTerminated), actor.WithSupervisor(supervise.Strategy(policy)))
}

// grain is one connected account's supervisor.
type grain struct {
	ctx      cluster.GrainContext
	ext      *depsExtension
	service  string
	account  string
	owner    string
	tree     *supervise.Tree
	log      *zap.Logger
	stopping bool
}

var _ integrationpb.Integration = (*grain)(nil)

func (g *grain) Init(ctx cluster.GrainContext) {
	g.ctx, g.ext = ctx, depsOf(ctx.ActorSystem())
	g.service, g.account, _ = ParseIdentity(strings.Clone(ctx.Identity()))
	log := zap.NewNop()
	if g.ext != nil {
		log = g.ext.d.Log
	}
	g.log = log.Named("integration").With(zap.String("service", g.service), zap.String("account_id", g.account))
	g.tree = supervise.NewTree(g.service, g.log)
}

func (g *grain) Terminate(cluster.GrainContext) {}

func (g *grain) ReceiveDefault(ctx cluster.GrainContext) {
	g.tree.Handle(ctx)
	// The token keeper found the credentials deleted (a disconnect on
	// another node): nothing left to run.
	if r, ok := ctx.Message().(*supervise.Report); ok && r.State == integrations.StateDisconnected && !g.stopping {
		g.log.Info("the connection's credentials are gone; stopping")
		g.tree.Stop(ctx)
		g.stopping = true
		ctx.Poison(ctx.Self())
	}
}

func forbidden() error {
	return cluster.NewGrainErrorResponse(CodeForbidden, "this account is connected by another user")
}

// Ensure starts the parts if they do not run (restart: start them again).
func (g *grain) Ensure(req *integrationpb.EnsureRequest, ctx cluster.GrainContext) (*integrationpb.StatusReply, error) {
	owner := req.GetOwnerUserId()
	if g.owner != "" && owner != g.owner {
		return nil, forbidden()
	}
	if req.GetRestart() && g.tree.Running() {
		g.tree.Stop(ctx)
	}
	return g.reply(g.ensure(ctx, owner))
}

// Status reports the connection (starting the parts if the grain was just
// activated, after a failover).
func (g *grain) Status(req *integrationpb.StatusRequest, ctx cluster.GrainContext) (*integrationpb.StatusReply, error) {
	owner := req.GetOwnerUserId()
	if g.owner != "" && owner != g.owner {
		return nil, forbidden()
	}
	return g.reply(g.ensure(ctx, owner))
}

// Stop stops the parts and the grain (disconnect).
func (g *grain) Stop(req *integrationpb.StopRequest, ctx cluster.GrainContext) (*integrationpb.StatusReply, error) {
	if g.owner != "" && req.GetOwnerUserId() != g.owner {
		return nil, forbidden()
	}
	g.tree.Stop(ctx)
	if !g.stopping {
		g.stopping = true
		ctx.Poison(ctx.Self())
	}
	return g.reply(integrations.Status{Service: g.service, State: integrations.StateDisconnected, Advice: integrations.Advice(integrations.StateDisconnected)})
}

func (g *grain) reply(st integrations.Status) (*integrationpb.StatusReply, error) {
	if st.Account == nil && g.account != "" {
		st.Account = &integrations.Account{ID: g.account}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	return &integrationpb.StatusReply{StatusJson: b}, nil
}

func simple(service string, st integrations.State, msg string) integrations.Status {
	return integrations.Status{Service: service, State: st, Message: msg, Advice: integrations.Advice(st), Components: []integrations.Component{}}
}

// ensure checks that owner's stored credentials are for this account and
// starts the parts once.
func (g *grain) ensure(ctx cluster.GrainContext, owner string) integrations.Status {
	if g.tree.Running() {
		return g.tree.Status()
	}
	if g.ext == nil || g.stopping {
		return simple(g.service, integrations.StateNotConfigured, "integrations are not set up on this server")
	}
	d := g.ext.d
	if !g.configured() {
		return simple(g.service, integrations.StateNotConfigured, "the server has no "+g.service+" application configured")
	}
	c, cancel := context.WithTimeout(context.Background(), d.CallTimeout)
	creds, err := d.Creds.GetCredentials(c, owner, g.service)
	cancel()
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return simple(g.service, integrations.StateDisconnected, "")
	case err != nil:
		g.log.Warn("cannot read the connection's credentials", zap.Error(err))
		return simple(g.service, integrations.StateConnecting, "cannot read the stored credentials yet: "+err.Error())
	case creds.AccountID != g.account:
		return simple(g.service, integrations.StateDisconnected, "this account is not connected by this user")
	}
	g.owner = owner
	g.tree.Start(ctx, g.parts(ctx, owner, creds))
	g.log.Info("integration started", zap.String("owner", owner))
	return g.tree.Status()
}

func (g *grain) configured() bool {
	d := g.ext.d
	switch g.service {
	case ServiceTwitch:
		return d.Twitch.Configured()
	case ServiceSpotify:
		return d.SpotifyClientID != ""
	case ServiceLastfm:
		return d.LastfmAPIKey != ""
	}
	return false
}

// parts are the supervised children of a connection of the grain's service.
func (g *grain) parts(ctx cluster.GrainContext, owner string, creds persistence.Credentials) []supervise.Child {
	d := g.ext.d
	switch g.service {
	case ServiceTwitch:
		parts := twitch.Parts(twitch.Deps{Config: d.Twitch, Owner: owner, Broadcaster: g.account, Creds: d.Creds,
			Sink: g.ext.sink(ctx.Cluster(), ServiceTwitch), Log: d.Log, Intervals: d.TwitchIntervals})
		if d.PretzelBase != "" {
			parts = append(parts, nowplaying.Part("pretzel", nowplaying.Pretzel{Base: d.PretzelBase, ChannelID: g.account}, owner,
				g.ext.sink(ctx.Cluster(), "pretzel"), d.NowPlaying, d.Log))
		}
		return parts
	case ServiceSpotify:
		return []supervise.Child{nowplaying.Part("spotify", &nowplaying.Spotify{APIBase: d.SpotifyAPIBase, TokenURL: d.SpotifyTokenURL,
			ClientID: d.SpotifyClientID, ClientSecret: d.SpotifyClientSecret, Owner: owner, Creds: d.Creds},
			owner, g.ext.sink(ctx.Cluster(), ServiceSpotify), d.NowPlaying, d.Log)}
	case ServiceLastfm:
		return []supervise.Child{nowplaying.Part("lastfm", nowplaying.Lastfm{Base: d.LastfmBase, APIKey: d.LastfmAPIKey.Reveal(), User: creds.AccountName},
			owner, g.ext.sink(ctx.Cluster(), ServiceLastfm), d.NowPlaying, d.Log)}
	}
	return nil
}
