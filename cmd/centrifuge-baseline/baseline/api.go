package baseline

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/centrifugal/centrifuge"
	"go.uber.org/zap"
)

// maxAPIBody bounds a publish request (Centrifugo's HTTP API has no smaller
// practical limit for one publication than the client message size).
const maxAPIBody = 1 << 20

// publishRequest is Centrifugo's server API publish: POST /api/publish
// {"channel": "…", "data": <any JSON>}.
type publishRequest struct {
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
}

// apiError is Centrifugo's API error body: {"error":{"code":…,"message":…}},
// with HTTP 200 (its default error mode).
type apiError struct {
	Error struct {
		Code    uint32 `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func errorBody(e *centrifuge.Error) apiError {
	var b apiError
	b.Error.Code, b.Error.Message = e.Code, e.Message
	return b
}

// apiKeyAuth answers 401 with no body unless the request carries the key
// in "X-API-Key: KEY" or "Authorization: apikey KEY", as Centrifugo's API
// does. (Centrifugo also takes ?api_key=; a key in a URL ends up in logs,
// so not here.)
func apiKeyAuth(key string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-API-Key")
		if got == "" {
			if f := strings.Fields(r.Header.Get("Authorization")); len(f) == 2 && strings.EqualFold(f[0], "apikey") {
				got = f[1]
			}
		}
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// publishHandler publishes into the one channel. Like Centrifugo's API:
// 405 for anything but POST, 400 for a body that is not JSON, an error body
// (code 107 bad request, 102 unknown channel) for a request it cannot
// serve, {"result":{}} once the publication was handed to every local
// subscriber's queue.
func publishHandler(node *centrifuge.Node, channel string, m *metricsSet, log *zap.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
		if err != nil || len(body) > maxAPIBody {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var req publishRequest
		if err := json.Unmarshal(body, &req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch {
		case req.Channel == "" || len(req.Data) == 0:
			writeJSON(w, errorBody(centrifuge.ErrorBadRequest))
			return
		case req.Channel != channel:
			writeJSON(w, errorBody(centrifuge.ErrorUnknownChannel))
			return
		}
		if _, err := node.Publish(req.Channel, req.Data); err != nil {
			log.Error("publish failed", zap.String("channel", req.Channel), zap.Error(err))
			writeJSON(w, errorBody(centrifuge.ErrorInternal))
			return
		}
		// The memory broker hands a publication to the local subscribers'
		// queues inside Publish: the subscriber count now is how many got it.
		m.deliveries.Add(int64(node.Hub().NumSubscribers(req.Channel)))
		writeJSON(w, json.RawMessage(`{"result":{}}`))
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
