package app_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// crowd is shared by every user of TestCrowdOfUsersStaysIsolated.
type crowd struct {
	base     string
	bad      violations
	deadline time.Time
	owners   sync.Map // widget id -> owner: what attackers aim at
	ops      atomic.Int64
}

// crowdUser is one streamer. Each field is touched by one goroutine only,
// except where noted.
type crowdUser struct {
	name string
	rest *restClient
	// fixed 0 and 1 get button presses and an OBS viewer each (1's token is
	// regenerated mid-run); 2 and 3 only REST edits, so REST activates them.
	fixed [4]persistence.Record
	acked map[string]int // acknowledged increments (action goroutine)
	// unknown counts increments answered "unavailable" (the call timed
	// out on an overloaded machine): each may or may not have been applied.
	unknown map[string]int
	// target and title are the last acknowledged edits of fixed 2 and 3 (REST goroutine).
	target   float64
	title    string
	newToken chan string // fixed[1]'s regenerated token, to its viewer
	revoked  atomic.Bool // fixed[1]'s old viewer was closed with 4001
	seen     [2]atomic.Int64
}

// TestCrowdOfUsersStaysIsolated is the test that would have caught the
// cross-tenant delete: many users at once over REST (every route) and
// WebSocket, with grains passivating and re-activating all the time, then a
// check that every operation touched only its own widget, every stored record
// belongs to its owner, every OBS view converged to its own widget, and no
// activation outlives the load. STREAMWIDGETS_CROWD_SECONDS lengthens it.
func TestCrowdOfUsersStaysIsolated(t *testing.T) {
	const users = 10
	load := 6 * time.Second
	if s := os.Getenv("STREAMWIDGETS_CROWD_SECONDS"); s != "" {
		if d, err := time.ParseDuration(s + "s"); err == nil {
			load = d
		}
	}
	n := startNode(t, func(c *app.Config) {
		c.IdleTimeout = 100 * time.Millisecond // grains passivate between most requests
		c.HTTP.CreatesPerMinute = 1 << 20
		liftRESTLimits(c)
		c.WS.MessagesPerSecond, c.WS.MessageBurst = 5000, 5000
		c.Widgets.ActionsPerSecond, c.Widgets.ActionBurst = 5000, 5000
	})
	cr := &crowd{base: n.base}
	us := make([]*crowdUser, users)
	for i := range us {
		name := fmt.Sprintf("user%02d", i)
		u := &crowdUser{name: name, rest: newRESTClient(n.base, n.token(name)), acked: map[string]int{}, unknown: map[string]int{}, newToken: make(chan string, 1)}
		for w := range u.fixed {
			u.fixed[w] = n.create(u.rest.token, map[string]any{"type": "goal", "title": fmt.Sprintf("%s-w%d", name, w),
				"config": map[string]any{"target": 100}})
			cr.owners.Store(u.fixed[w].ID, name)
		}
		u.target, u.title = 100, u.fixed[3].Title
		us[i] = u
	}
	heapBefore := settledHeap()

	cr.deadline = time.Now().Add(load)
	var wg sync.WaitGroup
	stopViewers := make(chan struct{})
	var viewers sync.WaitGroup
	for _, u := range us {
		for v := range 2 {
			viewers.Add(1)
			go func() { defer viewers.Done(); cr.view(u, v, stopViewers) }()
		}
		wg.Add(4)
		go func() { defer wg.Done(); cr.regenerate(u) }()
		go func() { defer wg.Done(); cr.act(u) }()
		go func() { defer wg.Done(); cr.browse(u) }()
		go func() { defer wg.Done(); cr.churn(u) }()
	}
	wg.Wait()

	// Every OBS view converges to its own widget's final value.
	converged := func() bool {
		for _, u := range us {
			for v := range 2 {
				if !u.accounts(u.fixed[v].ID, int(u.seen[v].Load())) {
					return false
				}
			}
		}
		return true
	}
	for end := time.Now().Add(5 * time.Second); !converged() && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
	for _, u := range us {
		for v := range 2 {
			if got, id := u.seen[v].Load(), u.fixed[v].ID; !u.accounts(id, int(got)) {
				cr.bad.add("%s: the OBS view of widget %d shows %d, want %d (+%d timed out)", u.name, v, got, u.acked[id], u.unknown[id])
			}
		}
		if !u.revoked.Load() {
			cr.bad.add("%s: the viewer of a regenerated token was not closed with %d", u.name, protocol.CloseTokenRevoked)
		}
	}
	close(stopViewers)
	viewers.Wait()
	cr.checkFinalState(us)

	if count, list := cr.bad.report(); count > 0 {
		t.Fatalf("%d isolation violations in %d operations, first ones:\n  %s", count, cr.ops.Load(), list)
	}
	// Nothing lasts: with no viewer left, every grain passivates.
	waitUntil(t, 10*time.Second, func() bool { return activeGrains(t, n) == 0 }, "every widget grain to passivate after the load")
	heapAfter := settledHeap()
	t.Logf("crowd: %d users, %d operations in %v, 0 violations; heap %.1f MiB before, %.1f MiB after",
		users, cr.ops.Load(), load, float64(heapBefore)/(1<<20), float64(heapAfter)/(1<<20))
	if grow := int64(heapAfter) - int64(heapBefore); grow > 32<<20 {
		t.Fatalf("heap grew by %d MiB over the load and did not come back", grow>>20)
	}
}

// act presses buttons on the user's widgets over one manager socket, and
// tries other users' widgets now and then.
func (cr *crowd) act(u *crowdUser) {
	s, err := dialSocket(cr.base, u.rest.token)
	if err != nil {
		cr.bad.add("%s: manager socket: %v", u.name, err)
		return
	}
	defer s.conn.Close()
	for i := 0; time.Now().Before(cr.deadline); i++ {
		id := u.fixed[i%2].ID
		foreign := i%10 == 9
		if foreign {
			id = cr.foreignID(u.name)
		}
		reqID := fmt.Sprintf("a%d", i)
		r, err := s.call(msg{"type": "WIDGET_ACTION", "widgetId": id, "action": "increment", "payload": msg{"by": 1}, "requestId": reqID})
		cr.ops.Add(1)
		switch {
		case err != nil:
			cr.bad.add("%s: action: %v", u.name, err)
			return
		case r.str("widgetId") != id:
			cr.bad.add("%s: action on %s answered for %s", u.name, id, r.str("widgetId"))
		case foreign && r["success"] == true:
			cr.bad.add("%s: incremented %s, a widget of %s", u.name, id, cr.ownerOf(id))
		case foreign && r.str("code") != protocol.CodeNotFound:
			cr.bad.add("%s: foreign action answered %v, want not_found", u.name, r)
		case !foreign && r["success"] == true:
			u.acked[id]++
		case !foreign && r.str("code") == protocol.CodeUnavailable:
			u.unknown[id]++ // timed out: its outcome is unknown, not refused
		case !foreign:
			cr.bad.add("%s: own action refused: %v", u.name, r)
		}
	}
}

// browse reads and edits the user's REST-only widgets in bursts, often
// right after they passivated so that a REST request activates the grain
// and the next ones reach it while other users' requests reuse the
// server's buffers; in between it probes other users' widgets.
func (cr *crowd) browse(u *crowdUser) {
	for edit := 0; time.Now().Before(cr.deadline); edit++ {
		if rand.IntN(3) == 0 {
			time.Sleep(time.Duration(120+rand.IntN(80)) * time.Millisecond) // past the idle timeout
		}
		w2, w3 := "/records/stream_widgets/"+u.fixed[2].ID, "/records/stream_widgets/"+u.fixed[3].ID
		for range 2 + rand.IntN(4) {
			switch rand.IntN(4) {
			case 0:
				cr.expectOwn(u, "GET", w2, nil, u.fixed[2].ID)
			case 1:
				cr.expectOwn(u, "GET", w3, nil, u.fixed[3].ID)
			case 2:
				target := float64(100 + rand.IntN(1000))
				if cr.expectOwn(u, "PUT", w2, msg{"config": msg{"target": target}}, u.fixed[2].ID) {
					u.target = target
				}
			case 3:
				title := fmt.Sprintf("%s-w3-edit%d", u.name, edit)
				if cr.expectOwn(u, "PUT", w3, msg{"title": title}, u.fixed[3].ID) {
					u.title = title
				}
			}
		}
		switch rand.IntN(4) {
		case 0:
			cr.expectOwnList(u, "/records/stream_widgets?perPage=100")
		case 1:
			cr.expectOwnList(u, "/records/stream_widgets/many?id="+u.fixed[rand.IntN(4)].ID+"&id="+cr.foreignID(u.name))
		case 2:
			cr.expectRefused(u, cr.foreignID(u.name))
		case 3:
			cr.expectRefused(u, fmt.Sprintf("never-created-%d", rand.IntN(1<<30)))
		}
	}
}

// regenerate replaces fixed[1]'s token half-way through the load; its
// viewer must be closed with 4001 and come back with the new token.
func (cr *crowd) regenerate(u *crowdUser) {
	time.Sleep(time.Until(cr.deadline) / 2)
	r, err := u.rest.do("POST", "/records/stream_widgets/"+u.fixed[1].ID+"/regenerate_token", nil)
	cr.ops.Add(1)
	rec, derr := decodeRecord(r)
	if err != nil || derr != nil || r.Status != http.StatusOK || rec.ID != u.fixed[1].ID || rec.AccessToken == "" {
		cr.bad.add("%s: regenerate: %v %d %s", u.name, err, r.Status, r.Body)
		return
	}
	u.newToken <- rec.AccessToken
}

// churn creates and deletes widgets all along.
func (cr *crowd) churn(u *crowdUser) {
	for time.Now().Before(cr.deadline) {
		r, err := u.rest.do("POST", "/records/stream_widgets", msg{"type": "goal", "title": u.name + "-churn", "config": msg{"target": 5}})
		cr.ops.Add(1)
		rec, derr := decodeRecord(r)
		if err != nil || derr != nil || r.Status != http.StatusCreated || rec.UserID != u.name {
			cr.bad.add("%s: create: %v %d %s", u.name, err, r.Status, r.Body)
			continue
		}
		cr.owners.Store(rec.ID, u.name)
		path := "/records/stream_widgets/" + rec.ID
		time.Sleep(time.Duration(rand.IntN(200)) * time.Millisecond) // often long enough to passivate
		cr.expectOwn(u, "GET", path, nil, rec.ID)                    // then REST activates it again
		cr.expectOwn(u, "PUT", path, msg{"title": u.name + "-churned"}, rec.ID)
		if cr.expectOwn(u, "DELETE", path, nil, rec.ID) {
			if r, err := u.rest.do("GET", "/records/stream_widgets/"+rec.ID, nil); err != nil || r.Status != http.StatusNotFound {
				cr.bad.add("%s: deleted widget %s still answers %d", u.name, rec.ID, r.Status)
			}
		}
	}
}

// view is an OBS browser source on fixed[v], using the widget's token.
func (cr *crowd) view(u *crowdUser, v int, stop <-chan struct{}) {
	id, token := u.fixed[v].ID, u.fixed[v].AccessToken
	for {
		s, err := dialSocket(cr.base, token)
		if err != nil {
			cr.bad.add("%s: viewer %d: %v", u.name, v, err)
			return
		}
		r, err := s.call(msg{"type": "WIDGET_SUBSCRIBE", "widgetId": id, "requestId": "sub"})
		if err != nil || r.str("type") != "WIDGET_INITIAL_STATE" || r.str("widgetId") != id {
			cr.bad.add("%s: viewer %d subscribe: %v %v", u.name, v, err, r)
			return
		}
		u.seen[v].Store(int64(stateOf(r).num("current")))
		closed := make(chan struct{})
		go func() { // a read deadline breaks the connection: stop by closing it
			select {
			case <-stop:
				_ = s.conn.Close()
			case <-closed:
			}
		}()
		for {
			m, err := s.read(time.Minute)
			if err != nil {
				close(closed)
				_ = s.conn.Close()
				select {
				case <-stop:
					return
				default:
				}
				if closeCode(err) == protocol.CloseTokenRevoked && v == 1 && !u.revoked.Load() {
					u.revoked.Store(true)
					token = <-u.newToken
					break // reconnect with the new token, as a refreshed OBS source would
				}
				cr.bad.add("%s: viewer %d lost its socket: %v", u.name, v, err)
				return
			}
			if got := m.str("widgetId"); got != "" && got != id {
				cr.bad.add("%s: the OBS view of %s received an event of %s (%s)", u.name, id, got, cr.ownerOf(got))
			}
			if m.str("type") == "WIDGET_STATE_UPDATE" {
				u.seen[v].Store(int64(stateOf(m).num("current")))
			}
		}
	}
}

// expectOwn makes a request on the user's own widget id and checks that the
// answer is about that widget and that user.
func (cr *crowd) expectOwn(u *crowdUser, method, path string, body any, id string) bool {
	r, err := u.rest.do(method, path, body)
	cr.ops.Add(1)
	if err != nil {
		cr.bad.add("%s: %s %s: %v", u.name, method, path, err)
		return false
	}
	rec, derr := decodeRecord(r)
	if r.Status != http.StatusOK || derr != nil {
		cr.bad.add("%s: %s %s answered %d %s", u.name, method, path, r.Status, r.Body)
		return false
	}
	if rec.ID != id || rec.UserID != u.name || !strings.HasPrefix(rec.Title, u.name+"-") {
		cr.bad.add("%s: %s %s returned %s of %s (%q)", u.name, method, path, rec.ID, rec.UserID, rec.Title)
		return false
	}
	return true
}

func (cr *crowd) expectOwnList(u *crowdUser, path string) {
	r, err := u.rest.do("GET", path, nil)
	cr.ops.Add(1)
	recs, derr := decodeRecords(r)
	if err != nil || derr != nil || r.Status != http.StatusOK {
		cr.bad.add("%s: GET %s: %v %d %s", u.name, path, err, r.Status, r.Body)
		return
	}
	for _, rec := range recs {
		if rec.UserID != u.name || !strings.HasPrefix(rec.Title, u.name+"-") {
			cr.bad.add("%s: GET %s listed %s of %s", u.name, path, rec.ID, rec.UserID)
		}
	}
}

// expectRefused tries every route on a widget that is not the user's.
func (cr *crowd) expectRefused(u *crowdUser, id string) {
	for _, op := range [][2]string{{"GET", ""}, {"PUT", ""}, {"DELETE", ""}, {"POST", "/regenerate_token"}} {
		var body any
		if op[0] == "PUT" {
			body = msg{"title": u.name + "-stolen"}
		}
		r, err := u.rest.do(op[0], "/records/stream_widgets/"+id+op[1], body)
		cr.ops.Add(1)
		if err != nil || r.Status != http.StatusNotFound {
			cr.bad.add("%s: %s %s of %s answered %d %v %s", u.name, op[0], id, cr.ownerOf(id), r.Status, err, r.Body)
		}
	}
}

// checkFinalState reads every user's widgets back: the right owner, the
// acknowledged number of increments, the last target, nothing extra.
func (cr *crowd) checkFinalState(us []*crowdUser) {
	for _, u := range us {
		r, err := u.rest.do("GET", "/records/stream_widgets?perPage=100", nil)
		recs, derr := decodeRecords(r)
		if err != nil || derr != nil {
			cr.bad.add("%s: final list: %v %v", u.name, err, derr)
			continue
		}
		byID := map[string]persistence.Record{}
		for _, rec := range recs {
			byID[rec.ID] = rec
			if rec.UserID != u.name {
				cr.bad.add("%s: final list holds %s of %s", u.name, rec.ID, rec.UserID)
			}
		}
		if len(recs) != len(u.fixed) {
			cr.bad.add("%s: %d widgets stored, want %d", u.name, len(recs), len(u.fixed))
		}
		for w, f := range u.fixed {
			rec, ok := byID[f.ID]
			if !ok {
				cr.bad.add("%s: widget %s is gone", u.name, f.ID)
				continue
			}
			var st struct{ Current float64 }
			_ = jsonUnmarshal(rec.State, &st)
			title := f.Title
			if w == 3 {
				title = u.title
			}
			if !u.accounts(f.ID, int(st.Current)) || rec.Title != title {
				cr.bad.add("%s: widget %d shows %v (%q), want %d acknowledged increments (%q)", u.name, w, st.Current, rec.Title, u.acked[f.ID], title)
			}
		}
		if rec, ok := byID[u.fixed[2].ID]; ok && !strings.Contains(string(rec.Config), fmt.Sprintf(`"target":%v`, u.target)) {
			cr.bad.add("%s: edited widget config %s, want target %v", u.name, rec.Config, u.target)
		}
	}
}

func (cr *crowd) foreignID(me string) string {
	var ids []string
	cr.owners.Range(func(k, v any) bool {
		if v != me && len(ids) < 64 {
			ids = append(ids, k.(string))
		}
		return true
	})
	return ids[rand.IntN(len(ids))]
}

func (cr *crowd) ownerOf(id string) string {
	if v, ok := cr.owners.Load(id); ok {
		return v.(string)
	}
	return "nobody"
}

func settledHeap() uint64 {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// accounts reports whether a widget's value is its acknowledged increments
// plus at most the ones whose call timed out (applied or not).
func (u *crowdUser) accounts(id string, value int) bool {
	return value >= u.acked[id] && value <= u.acked[id]+u.unknown[id]
}
