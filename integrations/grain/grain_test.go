package grain_test

// These tests start protoactor cluster members in-process: CI runs this
// package without -race (.ci/test NORACE), like cluster/clustertest.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/clustertest"
	"github.com/streamwidgets/streamwidgets/cluster/grains"
	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/grain"
	"github.com/streamwidgets/streamwidgets/integrations/integrationstest"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/integrations/twitch/twitchfake"
	"github.com/streamwidgets/streamwidgets/integrations/widgetsink"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// counter wraps every member's real widget sink and counts deliveries per
// action id across the cluster (the members share it, as they share the store).
type counter struct {
	mu     sync.Mutex
	byID   map[string]int
	panicK string // Widgets of this type panics: a poller bug
}

func (c *counter) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byID[id]
}

type countingSink struct {
	inner integrations.Sink
	c     *counter
}

func (s *countingSink) Deliver(ctx context.Context, owner string, a integrations.Action) error {
	err := s.inner.Deliver(ctx, owner, a)
	var p struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(a.Payload, &p)
	if err == nil && a.WidgetType == "alerts" {
		s.c.mu.Lock()
		s.c.byID[p.ID]++
		s.c.mu.Unlock()
	}
	return err
}

func (s *countingSink) Widgets(ctx context.Context, owner, widgetType string) ([]string, error) {
	s.c.mu.Lock()
	bug := s.c.panicK != "" && s.c.panicK == widgetType
	s.c.mu.Unlock()
	if bug {
		var m map[string]int
		m["boom"]++ // a nil map write: the kind of bug a poller might have
	}
	return s.inner.Widgets(ctx, owner, widgetType)
}

type world struct {
	fake    *twitchfake.Server
	store   persistence.Store
	creds   persistence.CredentialStore
	cluster *clustertest.Cluster
	counter *counter
	alerts  string
}

func newWorld(t *testing.T, members int, panicK string) *world {
	t.Helper()
	fake := twitchfake.New(t)
	fake.AddClient(twitchfake.Client{ID: "cid", Secret: "csecret"})
	b := twitchfake.User{ID: "100", Login: "streamer", DisplayName: "Streamer"}
	fake.AddUser(b)
	tok := fake.Grant("cid", b.ID, twitch.ScopeNames()...)

	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	keys, _ := seal.ParseKeyring(storetest.NewCredentialKey("k1"))
	creds := bolt.NewCredentials(st, keys)
	if _, err := creds.PutCredentials(context.Background(), "alice", twitch.Service, persistence.Credentials{
		AccessToken: persistence.Secret(tok.Access), RefreshToken: persistence.Secret(tok.Refresh), Scopes: twitch.ScopeNames(),
		AccountID: b.ID, AccountName: b.Login}, 0); err != nil {
		t.Fatal(err)
	}
	w := &world{fake: fake, store: st, creds: creds, counter: &counter{byID: map[string]int{}, panicK: panicK}}
	log := integrationstest.Logger(t)
	deps := grain.Deps{
		Config: grain.Config{
			Twitch:          twitch.Config{ClientID: "cid", ClientSecret: "csecret", AuthURL: fake.AuthURL(), APIURL: fake.APIURL(), EventSubURL: fake.EventSubURL()},
			TwitchIntervals: twitch.Intervals{Followers: 100 * time.Millisecond, Stream: 100 * time.Millisecond, Schedule: 100 * time.Millisecond},
			Policy:          supervise.Policy{InitialBackoff: 20 * time.Millisecond, MaxRestarts: 3},
		},
		Creds: creds, Store: st, Log: log,
		NewSink: func(c *cluster.Cluster, service string) integrations.Sink {
			return &countingSink{inner: widgetsink.New(actors.NewClient(c, 5*time.Second), st, service, log), c: w.counter}
		},
	}
	w.cluster = clustertest.New(t, members, clustertest.WithStore(st), clustertest.WithGrainOptions(grains.WithIntegrations(deps)))
	n := w.cluster.Nodes()[0]
	rec, err := n.Widgets.Create(context.Background(), actors.UserCaller("alice"), "alerts-1",
		actors.CreateInput{Type: "alerts", Title: "Alerts", Config: json.RawMessage(`{}`), Active: true})
	if err != nil {
		t.Fatal(err)
	}
	w.alerts = rec.ID
	for _, node := range w.cluster.Nodes() {
		a := grain.StartActivator(node.Cluster, creds, 300*time.Millisecond, log)
		t.Cleanup(a.Stop)
	}
	return w
}

// waitSubscribed waits for every subscription on one session other than
// notOn, and returns it.
func (w *world) waitSubscribed(t *testing.T, notOn string) string {
	t.Helper()
	var session string
	integrationstest.Eventually(t, 15*time.Second, func() error {
		subs := w.fake.Subscriptions("100")
		if len(subs) != len(twitch.Subscriptions) {
			return fmt.Errorf("%d subscriptions", len(subs))
		}
		session = subs[0].SessionID
		if session == notOn {
			return fmt.Errorf("still on session %s", notOn)
		}
		return nil
	})
	return session
}

func (w *world) waitAlerted(t *testing.T, id string) {
	t.Helper()
	integrationstest.Eventually(t, 5*time.Second, func() error {
		if n := w.counter.count(id); n != 1 {
			return fmt.Errorf("alert %s delivered %d times", id, n)
		}
		rec, err := w.cluster.Nodes()[0].Widgets.Get(context.Background(), actors.UserCaller("alice"), w.alerts)
		if err != nil {
			return err
		}
		if !strings.Contains(string(rec.State), id) {
			return fmt.Errorf("the alerts widget has no %s: %s", id, rec.State)
		}
		return nil
	})
}

// TestDuplicateAfterMoveIsOneAlert: one EventSub session in the whole
// cluster; a follow reaches the real alerts widget through the service
// caller; the member holding the integration dies, a survivor takes it
// over, and Twitch's redelivery of the same message_id is not a second
// alert, while a new follow is one.
func TestDuplicateAfterMoveIsOneAlert(t *testing.T) {
	w := newWorld(t, 3, "")
	first := w.waitSubscribed(t, "")
	b := twitchfake.User{ID: "100", Login: "streamer", DisplayName: "Streamer"}
	fan := twitchfake.User{ID: "7", Login: "fan", DisplayName: "Fan"}
	if err := w.fake.NotifyWithID("follow-1", "100", "channel.follow", twitchfake.FollowEvent(b, fan)); err != nil {
		t.Fatal(err)
	}
	w.waitAlerted(t, "follow-1")
	if n := w.fake.MaxSessions("100"); n != 1 {
		t.Fatalf("%d EventSub sessions for one broadcaster on 3 members", n)
	}

	identity := grain.Identity(grain.ServiceTwitch, "100")
	host := w.cluster.HostOf(grain.Kind, identity)
	pid := host.Cluster.Get(identity, grain.Kind)
	w.cluster.RemoveNode(host, false)
	// A killed process's sockets die with it; in-process, stop its grain.
	host.System.Root.Stop(pid)
	start := time.Now()
	w.waitSubscribed(t, first)
	moved := w.cluster.HostOf(grain.Kind, identity)
	if moved == host {
		t.Fatal("the integration did not move")
	}
	t.Logf("the integration moved from %s to %s and subscribed again in %s", host.Name, moved.Name, time.Since(start).Round(10*time.Millisecond))

	// Twitch was not sure the first delivery arrived: it sends it again.
	if err := w.fake.NotifyWithID("follow-1", "100", "channel.follow", twitchfake.FollowEvent(b, fan)); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.NotifyWithID("follow-2", "100", "channel.follow", twitchfake.FollowEvent(b, twitchfake.User{ID: "8", Login: "fan2", DisplayName: "Fan2"})); err != nil {
		t.Fatal(err)
	}
	w.waitAlerted(t, "follow-2")
	if n := w.counter.count("follow-1"); n != 1 {
		t.Fatalf("follow-1 delivered %d times across the move", n)
	}
	if n := len(w.fake.Sessions("100")); n != 1 {
		t.Fatalf("%d live sessions after the move", n)
	}

	// The status is served from wherever the grain is, only to its owner.
	cl := grain.NewClient(w.cluster.Nodes()[0].Cluster, 5*time.Second)
	st, err := cl.Status("alice", grain.ServiceTwitch, "100")
	if err != nil || st.Account == nil || st.Account.ID != "100" {
		t.Fatalf("status: %+v %v", st, err)
	}
	if _, err := cl.Status("mallory", grain.ServiceTwitch, "100"); err != grain.ErrForbidden {
		t.Fatalf("another user's status call: %v, want ErrForbidden", err)
	}
}

// TestCrashLoopLeavesTheNodeServing: the pollers of stats hit a bug on
// every poll; they are restarted, then stopped, the connection says
// degraded, and meanwhile alerts still arrive and the node serves widgets.
func TestCrashLoopLeavesTheNodeServing(t *testing.T) {
	w := newWorld(t, 1, "stats")
	w.waitSubscribed(t, "")
	cl := grain.NewClient(w.cluster.Nodes()[0].Cluster, 5*time.Second)
	var st integrations.Status
	integrationstest.Eventually(t, 10*time.Second, func() error {
		var err error
		st, err = cl.Status("alice", grain.ServiceTwitch, "100")
		if err != nil {
			return err
		}
		stopped := 0
		for _, c := range st.Components {
			if (c.Name == twitch.PartFollowers || c.Name == twitch.PartStream) && c.Run == "stopped" {
				stopped++
			}
		}
		if stopped != 2 {
			return fmt.Errorf("%d stats pollers stopped: %+v", stopped, st.Components)
		}
		return nil
	})
	if st.State != integrations.StateDegraded || !strings.Contains(st.Message, "nil map") {
		t.Fatalf("status %s %q", st.State, st.Message)
	}
	b := twitchfake.User{ID: "100", Login: "streamer", DisplayName: "Streamer"}
	if err := w.fake.NotifyWithID("cheer-1", "100", "channel.cheer", twitchfake.CheerEvent(b, nil, 100, "")); err != nil {
		t.Fatal(err)
	}
	w.waitAlerted(t, "cheer-1")
	if _, err := w.cluster.Nodes()[0].Widgets.Act(context.Background(), actors.UserCaller("alice"), w.alerts, "clear", nil); err != nil {
		t.Fatalf("the node stopped serving widgets: %v", err)
	}
}
