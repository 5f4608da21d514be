package baseline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testSecret = "test-secret-0123456789"
	testKey    = "test-api-key"
)

func startTest(t *testing.T) *Server {
	t.Helper()
	s, err := Start(Config{Addr: "127.0.0.1:0", Secret: testSecret, APIKey: testKey, Channel: "stream"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

func token(t *testing.T, secret string, exp time.Time) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Subject: "viewer", ExpiresAt: jwt.NewNumericDate(exp)}).
		SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// client is a bare Centrifuge protocol v2 JSON client.
type client struct {
	t       *testing.T
	ws      *websocket.Conn
	pending [][]byte // the rest of a frame that carried several replies
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(s.URL(), "http", "ws", 1)+"/connection/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return &client{t: t, ws: ws}
}

func (c *client) send(cmd string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(cmd)); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next reply or push. The server puts several in one frame
// when they queue together, one a line: each is returned in turn.
func (c *client) next() (map[string]json.RawMessage, error) {
	if len(c.pending) == 0 {
		_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		c.pending = bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	}
	line := c.pending[0]
	c.pending = c.pending[1:]
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, fmt.Errorf("reply %s: %w", line, err)
	}
	return m, nil
}

func (c *client) connect(tok string) {
	c.t.Helper()
	c.send(`{"id":1,"connect":{"token":"` + tok + `"}}`)
	m, err := c.next()
	if err != nil || m["connect"] == nil {
		c.t.Fatalf("connect: %s, %v", m["error"], err)
	}
}

func publish(t *testing.T, s *Server, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL()+"/api/publish", strings.NewReader(body))
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// TestPublishReachesSubscriber: a token connection subscribes to the
// channel and receives what the API publishes, data untouched and in order.
// The first publications repeat until one arrives (the subscribe's reply
// can reach the client before the library has completed it); from then on
// every one must.
func TestPublishReachesSubscriber(t *testing.T) {
	s := startTest(t)
	c := dial(t, s)
	c.connect(token(t, testSecret, time.Now().Add(time.Hour)))
	c.send(`{"id":2,"subscribe":{"channel":"stream"}}`)
	if m, err := c.next(); err != nil || m["subscribe"] == nil {
		t.Fatalf("subscribe: %s, %v", m["error"], err)
	}
	pushes := make(chan map[string]json.RawMessage, 100)
	go func() {
		defer close(pushes)
		for {
			m, err := c.next()
			if err != nil {
				return
			}
			pushes <- m
		}
	}()
	seq := 0
	pub := func() {
		seq++
		body := fmt.Sprintf(`{"channel":"stream","data":{"seq":%d}}`, seq)
		if code, reply := publish(t, s, testKey, body); code != 200 || reply != `{"result":{}}` {
			t.Fatalf("publish: %d %s", code, reply)
		}
	}
	got := func(m map[string]json.RawMessage) int {
		var push struct {
			Channel string `json:"channel"`
			Pub     struct {
				Data struct {
					Seq int `json:"seq"`
				} `json:"data"`
			} `json:"pub"`
		}
		if err := json.Unmarshal(m["push"], &push); err != nil || push.Channel != "stream" || push.Pub.Data.Seq == 0 {
			t.Fatalf("push %s: want a publication on stream", m["push"])
		}
		return push.Pub.Data.Seq
	}
	var first int
	for deadline := time.Now().Add(3 * time.Second); first == 0 && time.Now().Before(deadline); {
		pub()
		select {
		case m := <-pushes:
			first = got(m)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if first == 0 {
		t.Fatalf("none of %d publications reached the subscriber", seq)
	}
	for len(pushes) > 0 { // repeats published while the first was on its way
		first = got(<-pushes)
	}
	last := seq
	for range 5 {
		pub()
	}
	for want := first + 1; want <= last+5; want++ {
		select {
		case m, ok := <-pushes:
			if !ok {
				t.Fatalf("connection ended before publication %d", want)
			}
			if n := got(m); n != want {
				t.Fatalf("publication %d, want %d: every publication once, in order", n, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("publication %d did not arrive", want)
		}
	}
}

// TestRefused: bad or expired tokens, other channels and requests without
// the API key get Centrifugo's answers.
func TestRefused(t *testing.T) {
	s := startTest(t)

	c := dial(t, s)
	c.send(`{"id":1,"connect":{"token":"` + token(t, "another-secret", time.Now().Add(time.Hour)) + `"}}`)
	_, err := c.next()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 3500 {
		t.Errorf("token signed with another key: %v, want close 3500 invalid token", err)
	}

	c = dial(t, s)
	c.send(`{"id":1,"connect":{"token":"` + token(t, testSecret, time.Now().Add(-time.Minute)) + `"}}`)
	if m, err := c.next(); err != nil || !strings.Contains(string(m["error"]), `"code":109`) {
		t.Errorf("expired token: %v %v, want error 109 token expired", m, err)
	}

	c = dial(t, s)
	c.connect(token(t, testSecret, time.Now().Add(time.Hour)))
	c.send(`{"id":2,"subscribe":{"channel":"other"}}`)
	if m, err := c.next(); err != nil || !strings.Contains(string(m["error"]), `"code":103`) {
		t.Errorf("subscribe to another channel: %v %v, want error 103 permission denied", m, err)
	}

	for _, tc := range []struct{ name, key, body, want string }{
		{"no key", "", `{"channel":"stream","data":{}}`, "401 "},
		{"wrong key", "nope", `{"channel":"stream","data":{}}`, "401 "},
		{"other channel", testKey, `{"channel":"other","data":{}}`, `200 {"error":{"code":102,"message":"unknown channel"}}`},
		{"no data", testKey, `{"channel":"stream"}`, `200 {"error":{"code":107,"message":"bad request"}}`},
		{"not JSON", testKey, `{`, "400 "},
	} {
		code, body := publish(t, s, tc.key, tc.body)
		if got := fmt.Sprintf("%d %s", code, body); strings.TrimSpace(got) != strings.TrimSpace(tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
