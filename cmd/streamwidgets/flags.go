package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/transport/auth"
	"github.com/streamwidgets/streamwidgets/transport/httpapi"
	"github.com/streamwidgets/streamwidgets/transport/ws"
)

type serveOpts struct {
	logLevel        string
	shutdownTimeout time.Duration
	pprofAddr       string
}

// parseServe reads serve's flags, then STREAMWIDGETS_* variables for flags not
// given, and reports every invalid value at once.
func parseServe(args []string) (app.Config, serveOpts, error) {
	var cfg app.Config
	var opts serveOpts
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&cfg.DataDir, "data", "./data", "data directory (embedded store, signing keys)")
	fs.StringVar(&opts.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	storeFlags(fs, &cfg)
	fs.DurationVar(&opts.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long SIGTERM waits for a clean stop")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 5*time.Minute, "passivate widget grains unused this long")
	fs.IntVar(&cfg.HTTP.BodyLimit, "body-limit", 64<<10, "largest request body in bytes")
	fs.IntVar(&cfg.HTTP.CreatesPerMinute, "creates-per-minute", 30, "widgets one user may create per minute")
	rateFlags(fs, &cfg.HTTP)
	proxy := addProxyFlags(fs)
	fs.IntVar(&cfg.WS.SocketWriteBuffer, "ws-socket-write-buffer", 64<<10, "each WebSocket's kernel send buffer in bytes; small enough that a client that stops reading is closed within the 5 s write timeout; -1: the OS's")
	localIssuer := fs.Bool("local-issuer", true, "trust tokens minted by \"streamwidgets token\" (self-hosted sign-in)")
	fs.StringVar(&cfg.OIDC.Issuer, "oidc-issuer", "", "production OIDC issuer URL, e.g. https://cognito-idp.REGION.amazonaws.com/POOL_ID")
	fs.StringVar(&cfg.OIDC.JWKSURL, "oidc-jwks-url", "", "JWKS URL (default: ISSUER/.well-known/jwks.json)")
	fs.StringVar(&cfg.OIDC.Audience, "oidc-audience", "", "required audience / Cognito app client id")
	fs.StringVar(&cfg.OIDC.TokenUse, "oidc-token-use", "", `Cognito token_use to require: "id" or "access"`)
	fs.StringVar(&cfg.CursorSecret, "cursor-secret", "", "secret (>= 32 chars) that signs list cursors; share it across nodes (default: generated in the data dir)")
	origins := fs.String("allowed-origins", "", "comma-separated browser origins, besides this host, that may open WebSockets (e.g. https://manager.example.com)")
	var publicURLs listFlag
	fs.Var(&publicURLs, "public-url", "URL browsers use to reach this service, e.g. https://widgets.example.com (repeat or comma-separate); "+
		"when set, only pages from it and --allowed-origins may open WebSockets and the Host header is not trusted; when unset, only loopback pages of this host")
	clusterFlags(fs, &cfg.Cluster)
	integrations := addIntegrationFlags(fs, &cfg)
	capsFlags(fs, &cfg)
	fs.StringVar(&opts.pprofAddr, "pprof-addr", "", "serve Go profiles (net/http/pprof) on this internal HOST:PORT, e.g. 127.0.0.1:6060; no sign-in, so never a public address (default: off)")
	var errs []error
	if err := parseWithEnv(fs, args); err != nil {
		if ue := (usageError{}); !errors.As(err, &ue) || !ue.unknownOnly {
			return cfg, opts, err
		}
		errs = append(errs, err) // the other checks still run: every mistake at once
	}
	cfg.DisableLocalIssuer = !*localIssuer
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			errs = append(errs, fmt.Errorf("--allowed-origins: %q is not an origin like https://host[:port]", o))
			continue
		}
		cfg.WS.AllowedOrigins = append(cfg.WS.AllowedOrigins, o)
	}
	for _, u := range publicURLs {
		if _, err := ws.Origin(u); err != nil {
			errs = append(errs, fmt.Errorf("--public-url: %q is not a URL like https://host[:port]: %w", u, err))
			continue
		}
		cfg.WS.PublicURLs = append(cfg.WS.PublicURLs, u)
	}
	if _, err := zapcore.ParseLevel(opts.logLevel); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %w", err))
	}
	if opts.shutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	if cfg.IdleTimeout < time.Second {
		errs = append(errs, errors.New("--idle-timeout must be at least 1s"))
	}
	if cfg.HTTP.BodyLimit < 1024 {
		errs = append(errs, errors.New("--body-limit must be at least 1024"))
	}
	if cfg.HTTP.CreatesPerMinute < 1 {
		errs = append(errs, errors.New("--creates-per-minute must be at least 1"))
	}
	errs = append(errs, checkRates(cfg.HTTP)...)
	errs = append(errs, proxy.apply(&cfg.HTTP)...)
	if err := checkListenAddr(cfg.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr: %w", err))
	}
	if cfg.OIDC.Issuer != "" && cfg.OIDC.Audience == "" {
		errs = append(errs, errors.New("--oidc-audience is required with --oidc-issuer"))
	}
	if cfg.DisableLocalIssuer && cfg.OIDC.Issuer == "" {
		errs = append(errs, errors.New("no sign-in: keep --local-issuer or set --oidc-issuer"))
	}
	if cfg.Store != "bolt" && cfg.Store != "dynamodb" {
		errs = append(errs, fmt.Errorf("--store %q: want bolt or dynamodb", cfg.Store))
	}
	if cfg.SealKeys != "" {
		if _, err := seal.ParseKeyring(cfg.SealKeys.Reveal()); err != nil {
			errs = append(errs, fmt.Errorf("--seal-keys: %w", err))
		}
	} else if cfg.Store == "dynamodb" {
		errs = append(errs, errors.New("--seal-keys (or STREAMWIDGETS_SEAL_KEYS) is required with --store dynamodb, the same on every node: kid:base64key, e.g. k1:$(openssl rand -base64 32)"))
	}
	if cfg.CursorSecret != "" && len(cfg.CursorSecret) < 32 {
		errs = append(errs, errors.New("--cursor-secret must be at least 32 characters"))
	}
	errs = append(errs, checkCluster(cfg)...)
	errs = append(errs, integrations.apply(cfg)...)
	errs = append(errs, checkCaps(cfg)...)
	if err := checkPprofAddr(opts.pprofAddr); err != nil {
		errs = append(errs, err)
	}
	return cfg, opts, errors.Join(errs...)
}

// rateFlags are the REST rate limits: token buckets per signed-in user and
// per client address (reads are GET; writes POST, PUT, DELETE; probes are
// /healthz, /readyz and /metrics). A negative rate turns a limit off.
func rateFlags(fs *flag.FlagSet, c *httpapi.Config) {
	for _, r := range []struct {
		name, what string
		rate       *httpapi.Rate
		def        httpapi.Rate
	}{
		{"user-reads", "REST reads (GET) per signed-in user", &c.UserReads, httpapi.DefaultUserReads},
		{"user-writes", "REST writes (POST, PUT, DELETE) per signed-in user", &c.UserWrites, httpapi.DefaultUserWrites},
		{"address-reads", "reads per client address, any route, before sign-in", &c.AddressReads, httpapi.DefaultAddressReads},
		{"address-writes", "writes per client address, any route, sign-in included", &c.AddressWrites, httpapi.DefaultAddressWrites},
		{"address-probes", "/healthz, /readyz and /metrics requests per client address", &c.AddressProbes, httpapi.DefaultAddressProbes},
	} {
		fs.Float64Var(&r.rate.PerSecond, r.name+"-per-second", r.def.PerSecond, r.what+": sustained requests per second (negative: no limit)")
		fs.IntVar(&r.rate.Burst, r.name+"-burst", r.def.Burst, r.what+": requests at once (the bucket size)")
	}
}

// checkRates reports every invalid rate limit.
func checkRates(c httpapi.Config) []error {
	var errs []error
	for name, r := range map[string]httpapi.Rate{"user-reads": c.UserReads, "user-writes": c.UserWrites,
		"address-reads": c.AddressReads, "address-writes": c.AddressWrites, "address-probes": c.AddressProbes} {
		if r.PerSecond == 0 {
			errs = append(errs, fmt.Errorf("--%s-per-second must be positive (or negative for no limit)", name))
		}
		if r.PerSecond > 0 && r.Burst < 1 {
			errs = append(errs, fmt.Errorf("--%s-burst must be at least 1", name))
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

// storeFlags are shared by serve and migrate. Table names also come from the
// widgets plan's STREAM_WIDGETS_TABLE and WIDGET_SERVICE_CREDENTIALS_TABLE;
// region, credentials and endpoint from the AWS SDK's standard chain
// (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB, …).
func storeFlags(fs *flag.FlagSet, cfg *app.Config) {
	env := dynamo.ConfigFromEnv()
	fs.StringVar(&cfg.Store, "store", "bolt", "widget store: bolt (embedded, in --data) or dynamodb")
	fs.StringVar(&cfg.Dynamo.WidgetsTable, "dynamodb-widgets-table", or(env.WidgetsTable, "stream_widgets"), "DynamoDB widget table (also STREAM_WIDGETS_TABLE)")
	fs.StringVar(&cfg.Dynamo.CredentialsTable, "dynamodb-credentials-table", or(env.CredentialsTable, "widget_service_credentials"), "DynamoDB credentials table (also WIDGET_SERVICE_CREDENTIALS_TABLE)")
	fs.DurationVar(&cfg.Dynamo.InactiveTTL, "dynamodb-inactive-ttl", 30*24*time.Hour, "delete inactive widgets untouched this long (DynamoDB TTL; negative disables)")
	fs.Func("seal-keys", "keys sealing widget tokens at rest, kid:base64key[,kid:base64key…]: the first seals, later ones still open (rotation); "+
		"required with --store dynamodb, the same on every node; prefer STREAMWIDGETS_SEAL_KEYS (default with bolt: generated in the data dir)",
		func(v string) error { cfg.SealKeys = persistence.Secret(v); return nil })
}

// listFlag is a flag that may be repeated, each value comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set appends the value's comma-separated items.
func (l *listFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// migrate creates the DynamoDB tables, indexes and TTL; safe to run again.
func migrate(args []string, out io.Writer) error {
	var cfg app.Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	storeFlags(fs, &cfg)
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	if cfg.Store != "dynamodb" {
		_, err := fmt.Fprintln(out, "the embedded store needs no migration (use --store dynamodb)")
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := dynamo.NewClient(ctx, cfg.Dynamo)
	if err != nil {
		return err
	}
	done, err := dynamo.Migrate(ctx, db, cfg.Dynamo)
	for _, d := range done {
		fmt.Fprintln(out, d)
	}
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintln(out, "tables, indexes and TTL already in place")
	}
	return resealTokens(ctx, db, cfg, out)
}

// resealTokens seals widget tokens still in plaintext (written before
// tokens were sealed) or sealed with a key other than the primary, so the
// old key can be retired. It needs the keys serve uses.
func resealTokens(ctx context.Context, db *dynamodb.Client, cfg app.Config, out io.Writer) error {
	if cfg.SealKeys == "" {
		_, err := fmt.Fprintln(out, "widget tokens not checked: give --seal-keys (STREAMWIDGETS_SEAL_KEYS) to seal plaintext or old-key tokens")
		return err
	}
	keys, err := seal.ParseKeyring(cfg.SealKeys.Reveal())
	if err != nil {
		return fmt.Errorf("--seal-keys: %w", err)
	}
	n, err := dynamo.New(db, cfg.Dynamo, keys).ResealTokens(ctx)
	fmt.Fprintf(out, "resealed %d widget tokens with key %s\n", n, keys.Primary)
	return err
}

// token prints a user JWT signed by the data dir's self-hosted issuer.
func token(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	data := fs.String("data", "./data", "data directory of the server that will accept the token")
	user := fs.String("user", "", "user id (the token's subject); required")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	if *user == "" {
		return errors.New("--user is required")
	}
	if *ttl <= 0 || *ttl > 365*24*time.Hour {
		return errors.New("--ttl must be between 1s and 8760h")
	}
	iss, err := auth.LoadLocalIssuer(*data)
	if err != nil {
		return err
	}
	tok, err := iss.Mint(*user, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}

func newLogger(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return cfg.Build()
}
