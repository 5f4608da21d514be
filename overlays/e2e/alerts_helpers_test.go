package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/fasthttp/websocket"
)

// alertsBrowser is browser() with autoplay allowed, as in OBS (whose
// Chromium plays sounds without a click).
func alertsBrowser(t *testing.T) context.Context {
	t.Helper()
	return newContext(t, sharedBrowser(t, "obs",
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Timers of a page OBS shows are never throttled; neither are these tabs'.
		chromedp.Flag("disable-background-timer-throttling", true), chromedp.Flag("disable-renderer-backgrounding", true),
	))
}

// alertProbe runs before the overlay's scripts: the alert module appends to
// window.__alertLog (its display log), and every media play() is recorded.
const alertProbe = `(() => {
  window.__alertLog = [];
  window.__plays = [];
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    window.__plays.push({ src: this.src, volume: this.volume });
    return play.call(this);
  };
})();`

// alertsTab is an OBS-sized tab with the probe (and the socket shim, so a
// test can drop the page's connection).
func alertsTab(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	tab := obsTab(t, parent)
	withSocketShim(t, tab)
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: alertProbe}); err != nil {
		t.Fatal(err)
	}
	return tab
}

// mediaServer serves alert media on 127.0.0.1, like a CDN: a PNG, an SVG
// and a short WAV tone.
func mediaServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/cheer.png", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write([]byte(albumArt(t)))
	})
	mux.HandleFunc("/star.svg", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write([]byte(starSVG))
	})
	mux.HandleFunc("/ding.wav", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "audio/wav")
		_, _ = w.Write(tone(0.4))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

const starSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="300" viewBox="0 0 360 300">
<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ffe27a"/><stop offset="1" stop-color="#ff9f1c"/></linearGradient></defs>
<g transform="translate(180 155)">
<circle r="120" fill="#9147ff" opacity=".35"/>
<polygon fill="url(#g)" stroke="#fff" stroke-width="8" stroke-linejoin="round"
 points="0,-110 29,-38 105,-34 45,14 66,88 0,46 -66,88 -45,14 -105,-34 -29,-38"/>
</g></svg>`

// tone is seconds of a 660 Hz sine as an 8 kHz 16-bit mono WAV.
func tone(seconds float64) []byte {
	const rate = 8000
	n := int(seconds * rate)
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1))
	w(uint16(1))
	w(uint32(rate))
	w(uint32(2 * rate))
	w(uint16(2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(2 * n))
	for i := 0; i < n; i++ {
		w(int16(8000 * math.Sin(2*math.Pi*660*float64(i)/rate)))
	}
	return b.Bytes()
}

// alertsState reads the widget's stored state through REST (queue and log included).
func (s *server) alertsState(user string, w record) alertsRecordState {
	s.t.Helper()
	code, out := s.rest(user, "GET", "/records/stream_widgets/"+w.ID, "")
	if code != http.StatusOK {
		s.t.Fatalf("get %s: %d %s", w.ID, code, out)
	}
	var r struct {
		Data struct {
			State alertsRecordState `json:"state"`
		} `json:"data"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		s.t.Fatal(err)
	}
	return r.Data.State
}

type alertsRecordState struct {
	Status  string `json:"status"`
	Queued  int    `json:"queued"`
	Showing []struct {
		ID      string  `json:"id"`
		Seq     int64   `json:"seq"`
		ShownAt *string `json:"shown_at"`
	} `json:"showing"`
	Log []struct {
		ID      string `json:"id"`
		Seq     int64  `json:"seq"`
		Outcome string `json:"outcome"`
	} `json:"log"`
}

// outcomes lists "id:outcome" of the log, oldest first.
func (st alertsRecordState) outcomes() string {
	var out []string
	for _, l := range st.Log {
		out = append(out, l.ID+":"+l.Outcome)
	}
	return strings.Join(out, ",")
}

// ownerAct runs an action through REST as the owner and returns the status and body.
func (s *server) ownerAct(user string, w record, action, payload string) (int, string) {
	s.t.Helper()
	code, out := s.rest(user, "POST", "/records/stream_widgets/"+w.ID+"/actions/"+action, payload)
	return code, string(out)
}

// waitUntil polls ok (a Go-side condition) until it holds.
func waitUntil(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// enqueuer is a manager's WebSocket session that sends enqueue actions and
// waits for each answer; when the connection drops (a server restart) it
// dials again and resends the same alert: the id makes a resend harmless.
// It holds the address and a token from before (the server object changes
// when the test restarts it; the address and the signing key stay).
type enqueuer struct {
	addr, token, widget string
	conn                *websocket.Conn
	seq                 int
	retries             int
}

func newEnqueuer(t *testing.T, srv *server, user, widget string) *enqueuer {
	t.Helper()
	tok, err := srv.app.Issuer.Mint(user, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &enqueuer{addr: srv.addr, token: tok, widget: widget}
}

func (e *enqueuer) dial() error {
	d := websocket.Dialer{HandshakeTimeout: 3 * time.Second}
	conn, _, err := d.Dial("ws://"+e.addr+"/ws", nil)
	if err != nil {
		return err
	}
	if err := conn.WriteJSON(map[string]any{"type": "AUTH", "token": e.token}); err != nil {
		conn.Close()
		return err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m map[string]any
	if err := conn.ReadJSON(&m); err != nil || m["type"] != "AUTH_OK" {
		conn.Close()
		return fmt.Errorf("auth: %v %v", m, err)
	}
	e.conn = conn
	return nil
}

// send enqueues one alert, retrying across reconnects for up to 60 s.
func (e *enqueuer) send(payload map[string]any) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := e.try(payload)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("enqueue %v: %w", payload["id"], err)
		}
		e.retries++
		if e.conn != nil {
			e.conn.Close()
			e.conn = nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (e *enqueuer) try(payload map[string]any) error {
	if e.conn == nil {
		if err := e.dial(); err != nil {
			return err
		}
	}
	e.seq++
	id := fmt.Sprintf("q%d", e.seq)
	if err := e.conn.WriteJSON(map[string]any{"type": "WIDGET_ACTION", "widgetId": e.widget, "action": "enqueue", "payload": payload, "requestId": id}); err != nil {
		return err
	}
	_ = e.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m map[string]any
		if err := e.conn.ReadJSON(&m); err != nil {
			return err
		}
		if m["type"] == "WIDGET_ACTION_RESPONSE" && m["requestId"] == id {
			if m["success"] == true {
				return nil
			}
			return fmt.Errorf("refused: %v %v", m["code"], m["error"])
		}
		if m["type"] == "ERROR" && m["requestId"] == id {
			return fmt.Errorf("error: %v %v", m["code"], m["message"])
		}
	}
}

func (e *enqueuer) close() {
	if e.conn != nil {
		e.conn.Close()
	}
}

// lockedErrs gathers errors from goroutines.
type lockedErrs struct {
	mu   sync.Mutex
	errs []error
}

func (l *lockedErrs) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *lockedErrs) list() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}
