package twitch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/integrationstest"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// rig is one connected broadcaster: a fake Twitch, stored tokens, a
// recording sink and the supervised parts running under a test host.
type rig struct {
	fake  *twitchfake.Server
	creds persistence.CredentialStore
	sink  *integrationstest.Sink
	host  *integrationstest.Host
	b     twitchfake.User
	deps  twitch.Deps
}

type rigOption func(*rigConfig)

type rigConfig struct {
	fakeOpts  []twitchfake.Option
	keepalive int
	scopes    []string
	intervals twitch.Intervals
	noStart   bool
}

func withFake(o ...twitchfake.Option) rigOption {
	return func(c *rigConfig) { c.fakeOpts = append(c.fakeOpts, o...) }
}
func withKeepalive(s int) rigOption               { return func(c *rigConfig) { c.keepalive = s } }
func withScopes(s ...string) rigOption            { return func(c *rigConfig) { c.scopes = s } }
func withIntervals(iv twitch.Intervals) rigOption { return func(c *rigConfig) { c.intervals = iv } }

func newRig(t *testing.T, opts ...rigOption) *rig {
	t.Helper()
	rc := rigConfig{scopes: twitch.ScopeNames(), intervals: twitch.Intervals{Followers: time.Hour, Stream: time.Hour, Schedule: time.Hour}}
	for _, o := range opts {
		o(&rc)
	}
	fake := twitchfake.New(t, append([]twitchfake.Option{twitchfake.WithMinKeepalive(1)}, rc.fakeOpts...)...)
	fake.AddClient(twitchfake.Client{ID: "cid", Secret: "csecret", RedirectURIs: []string{"http://127.0.0.1/cb"}})
	b := twitchfake.User{ID: "100", Login: "streamer", DisplayName: "Streamer"}
	fake.AddUser(b)
	tok := fake.Grant("cid", b.ID, rc.scopes...)

	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	keys, _ := seal.ParseKeyring(storetest.NewCredentialKey("k1"))
	creds := bolt.NewCredentials(st, keys)
	if _, err := creds.PutCredentials(context.Background(), "alice", twitch.Service, persistence.Credentials{
		AccessToken: persistence.Secret(tok.Access), RefreshToken: persistence.Secret(tok.Refresh), Scopes: rc.scopes,
		ExpiresAt: time.Now().Add(4 * time.Hour), AccountID: b.ID, AccountName: b.Login}, 0); err != nil {
		t.Fatal(err)
	}
	r := &rig{fake: fake, creds: creds, sink: integrationstest.NewSink(), b: b}
	r.deps = twitch.Deps{
		Config: twitch.Config{ClientID: "cid", ClientSecret: "csecret", AuthURL: fake.AuthURL(), APIURL: fake.APIURL(),
			EventSubURL: fake.EventSubURL(), KeepaliveSeconds: rc.keepalive},
		Owner: "alice", Broadcaster: b.ID, Creds: creds, Sink: r.sink, Log: integrationstest.Logger(t), Intervals: rc.intervals,
	}
	if !rc.noStart {
		r.start(t)
	}
	return r
}

func (r *rig) start(t *testing.T) {
	r.host = integrationstest.StartHost(t, twitch.Service, twitch.Parts(r.deps), supervise.Policy{}, r.deps.Log)
}

// waitSubscribed waits until every subscription the scopes allow is
// enabled on one session, and returns that session's id.
func (r *rig) waitSubscribed(t *testing.T, want int) string {
	t.Helper()
	var session string
	integrationstest.Eventually(t, 10*time.Second, func() error {
		subs := r.fake.Subscriptions(r.b.ID)
		if len(subs) != want {
			return fmt.Errorf("%d subscriptions, want %d", len(subs), want)
		}
		session = subs[0].SessionID
		for _, s := range subs {
			if s.SessionID != session {
				return fmt.Errorf("subscriptions on several sessions")
			}
		}
		return nil
	})
	return session
}

func (r *rig) status(t *testing.T) integrations.Status { return r.host.Status(t) }

func (r *rig) waitState(t *testing.T, want integrations.State) integrations.Status {
	t.Helper()
	var st integrations.Status
	integrationstest.Eventually(t, 10*time.Second, func() error {
		st = r.status(t)
		if st.State != want {
			return fmt.Errorf("state %s (%s), want %s", st.State, st.Message, want)
		}
		return nil
	})
	return st
}

// alertIDs returns the ids of alerts delivered so far.
func (r *rig) alertIDs() []string {
	var out []string
	for _, d := range r.sink.Deliveries("alerts", "enqueue") {
		out = append(out, d.Payload["id"].(string))
	}
	return out
}
