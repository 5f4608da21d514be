package baseline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/centrifugal/centrifuge"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
)

// Centrifugo's defaults (centrifugo v6 internal/configtypes: client.*,
// websocket.*; internal/app/node.go and mux.go copy them into the library's
// Config and WebsocketConfig). Where the library's own default differs,
// Centrifugo's value is set here; everything else is the library default,
// as Centrifugo leaves it.
const (
	centrifugoStaleCloseDelay         = 10 * time.Second // client.stale_close_delay (library: 15s)
	centrifugoPresenceUpdateInterval  = 27 * time.Second // client.presence_update_interval (library: 25s)
	centrifugoHistoryMaxPublications  = 300              // client.history_max_publication_limit (library: none)
	centrifugoRecoveryMaxPublications = 300              // client.recovery_max_publication_limit (library: none)
	centrifugoQueueMaxSize            = 1 << 20          // client.queue_max_size, 1 MiB (same as the library)
	centrifugoChannelLimit            = 128              // client.channel_limit (same)
	centrifugoPingInterval            = 25 * time.Second // client.ping_interval
	centrifugoPongTimeout             = 8 * time.Second  // client.pong_timeout
	centrifugoWriteTimeout            = time.Second      // websocket.write_timeout
	centrifugoMessageSizeLimit        = 65536            // websocket.message_size_limit
)

// newNode builds the centrifuge Node as Centrifugo configures it, with the
// in-memory broker and presence manager (Centrifugo's "memory" engine, the
// library's default) and the handlers a Centrifugo with
// client.token.hmac_secret_key and one channel allowing client subscribes
// would run: connect with an HS256 JWT, subscribe to that channel only.
func newNode(cfg Config, m *metricsSet) (*centrifuge.Node, error) {
	node, err := centrifuge.New(centrifuge.Config{
		Name:                         "centrifuge-baseline",
		LogLevel:                     centrifuge.LogLevelInfo, // Centrifugo's log.level default
		LogHandler:                   logHandler(cfg.Log),
		ClientStaleCloseDelay:        centrifugoStaleCloseDelay,
		ClientPresenceUpdateInterval: centrifugoPresenceUpdateInterval,
		ClientQueueMaxSize:           centrifugoQueueMaxSize,
		ClientChannelLimit:           centrifugoChannelLimit,
		HistoryMaxPublicationLimit:   centrifugoHistoryMaxPublications,
		RecoveryMaxPublicationLimit:  centrifugoRecoveryMaxPublications,
		Metrics:                      centrifuge.MetricsConfig{MetricsNamespace: "centrifugo", RegistererGatherer: m.reg},
	})
	if err != nil {
		return nil, fmt.Errorf("centrifuge node: %w", err)
	}
	keyFunc := func(*jwt.Token) (any, error) { return []byte(cfg.Secret), nil }
	node.OnConnecting(func(_ context.Context, e centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
		return connectReply(e.Token, keyFunc)
	})
	node.OnConnect(func(client *centrifuge.Client) {
		client.OnSubscribe(func(e centrifuge.SubscribeEvent, cb centrifuge.SubscribeCallback) {
			if e.Channel != cfg.Channel {
				cb(centrifuge.SubscribeReply{}, centrifuge.ErrorPermissionDenied)
				return
			}
			// A namespace's options all default to off in Centrifugo (no
			// history, recovery, presence, join/leave), so: none.
			cb(centrifuge.SubscribeReply{}, nil)
		})
	})
	return node, nil
}

// connectReply checks a connection token as Centrifugo does with
// client.token.hmac_secret_key: HS256 only, "sub" is the user, "exp" (if
// any) ends the connection unless the client refreshes it. An expired token
// gets error 109 (the client asks for a new one); any other fault
// disconnects with 3500 "invalid token". The token is never logged.
func connectReply(token string, keyFunc jwt.Keyfunc) (centrifuge.ConnectReply, error) {
	claims := jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(token, &claims, keyFunc, jwt.WithValidMethods([]string{"HS256"}))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return centrifuge.ConnectReply{}, centrifuge.ErrorTokenExpired
	case err != nil:
		return centrifuge.ConnectReply{}, centrifuge.DisconnectInvalidToken
	}
	cred := &centrifuge.Credentials{UserID: claims.Subject}
	if claims.ExpiresAt != nil {
		cred.ExpireAt = claims.ExpiresAt.Unix()
	}
	// Centrifugo uses client-side refresh for token connections.
	return centrifuge.ConnectReply{Credentials: cred, ClientSideRefresh: true}, nil
}

// logHandler sends the library's log entries to zap.
func logHandler(log *zap.Logger) centrifuge.LogHandler {
	log = log.Named("centrifuge")
	return func(e centrifuge.LogEntry) {
		fields := make([]zap.Field, 0, len(e.Fields))
		for k, v := range e.Fields {
			fields = append(fields, zap.Any(k, v))
		}
		switch e.Level {
		case centrifuge.LogLevelError:
			log.Error(e.Message, fields...)
		case centrifuge.LogLevelWarn:
			log.Warn(e.Message, fields...)
		case centrifuge.LogLevelInfo:
			log.Info(e.Message, fields...)
		default:
			log.Debug(e.Message, fields...)
		}
	}
}
