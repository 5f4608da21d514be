package grain

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// Activator keeps every stored connection's grain active: on each member,
// every Every (jittered) and right after a member leaves, it calls Ensure
// on each connection's grain. Grains are activated on one member only (the
// cluster's placement), so members ensuring the same grain is harmless; a
// grain whose member died comes back on a survivor within seconds.
type Activator struct {
	client *Client
	creds  persistence.CredentialStore
	every  time.Duration
	log    *zap.Logger
	kick   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// StartActivator starts the loop on c's member; Stop ends it. every
// defaults to 30s.
func StartActivator(c *cluster.Cluster, creds persistence.CredentialStore, every time.Duration, log *zap.Logger) *Activator {
	if every <= 0 {
		every = 30 * time.Second
	}
	if log == nil {
		log = zap.NewNop()
	}
	a := &Activator{client: NewClient(c, 5*time.Second), creds: creds, every: every, log: log.Named("integrations"),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	sub := c.ActorSystem.EventStream.Subscribe(func(ev any) {
		if t, ok := ev.(*cluster.ClusterTopology); ok && len(t.GetLeft()) > 0 {
			a.Kick()
		}
	})
	go func() {
		defer close(a.done)
		defer c.ActorSystem.EventStream.Unsubscribe(sub)
		a.loop()
	}()
	return a
}

// Kick asks for a pass now (a connection was added, a member left).
func (a *Activator) Kick() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Stop ends the loop and waits for it.
func (a *Activator) Stop() {
	a.once.Do(func() { close(a.stop) })
	<-a.done
}

func (a *Activator) loop() {
	wait := time.Second // the member has just joined
	for {
		t := time.NewTimer(wait)
		select {
		case <-a.stop:
			t.Stop()
			return
		case <-a.kick:
			t.Stop()
			// Give the topology a moment to settle before placing grains.
			select {
			case <-a.stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
		case <-t.C:
		}
		a.pass()
		wait = a.every + time.Duration(rand.Int64N(int64(a.every)/5+1))
	}
}

// pass ensures every stored connection, eight at a time.
func (a *Activator) pass() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, service := range Services {
		conns, err := a.creds.ListConnections(ctx, service)
		if err != nil {
			a.log.Warn("cannot list connected accounts; trying again later", zap.String("service", service), zap.Error(err))
			continue
		}
		for _, conn := range conns {
			if conn.AccountID == "" {
				continue
			}
			select {
			case <-a.stop:
				wg.Wait()
				return
			case sem <- struct{}{}:
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				if _, err := a.client.Ensure(conn.UserID, service, conn.AccountID, false); err != nil {
					a.log.Warn("could not ensure an integration", zap.String("service", service), zap.String("account_id", conn.AccountID), zap.Error(err))
				}
			}()
		}
	}
	wg.Wait()
}
