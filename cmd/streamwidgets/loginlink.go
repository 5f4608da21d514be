package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/streamwidgets/streamwidgets/transport/auth"
)

// loginLink prints a console URL carrying a one-time sign-in ticket in its
// fragment (never sent to a server, so never in an access log). It first
// waits for the server at --url to be up, so it works right after
// `serve &` (README "First steps"), and refuses to print a link that server
// would not accept (a data dir with another signing key).
func loginLink(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("login-link", flag.ContinueOnError)
	data := fs.String("data", "./data", "data directory of the server to sign in to")
	user := fs.String("user", "", "user id to sign in as; required")
	base := fs.String("url", "http://127.0.0.1:8080", "the server's address as your browser reaches it")
	ttl := fs.Duration("ttl", 15*time.Minute, "how long the link stays valid (it works once)")
	wait := fs.Duration("wait", 2*time.Minute, "how long to wait for the server at --url to be up (GET /readyz) before printing the link; 0: print it without asking the server")
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	if *user == "" {
		return errors.New("--user is required")
	}
	if u, err := url.Parse(*base); err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("--url %q is not an address like http://host:port", *base)
	}
	root := strings.TrimSuffix(*base, "/")
	if *wait > 0 {
		if err := waitForServer(root, *wait, os.Stderr); err != nil {
			return err
		}
	}
	iss, err := auth.LoadLocalIssuer(*data)
	if err != nil {
		return err
	}
	if *wait > 0 {
		if err := checkTrusted(root, iss, *data); err != nil {
			return err
		}
	}
	ticket, err := iss.MintTicket(*user, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s/#signin=%s\n", root, ticket)
	return err
}

// probe is one GET with a short timeout; status 0 means no answer.
func probe(ctx context.Context, u string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// waitForServer polls root/readyz until it answers 200 or wait has passed,
// saying once on progress what it waits for.
func waitForServer(root string, wait time.Duration, progress io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	said := false
	last := ""
	for {
		status, _, err := probe(ctx, root+"/readyz")
		if status == http.StatusOK {
			return nil
		}
		switch {
		case err != nil:
			last = err.Error()
		default:
			last = fmt.Sprintf("/readyz answered %d", status)
		}
		if !said {
			fmt.Fprintf(progress, "waiting for the server at %s to be up (a first `go run` compiles for a minute or two)…\n", root)
			said = true
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no streamwidgets server was up at %s within %v (last: %s): start one with `streamwidgets serve`, "+
				"give its address with --url, or --wait 0 to print the link anyway", root, wait, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// checkTrusted refuses a link the server would refuse: the server publishes
// its self-hosted issuer's keys, and the data dir's key must be one of them.
// A server without the self-hosted issuer (404) is not checked.
func checkTrusted(root string, iss *auth.LocalIssuer, dir string) error {
	status, body, err := probe(context.Background(), root+"/.well-known/jwks.json")
	if err != nil || status != http.StatusOK {
		return nil
	}
	remote, ok1 := jwkKeys(body)
	local, ok2 := jwkKeys(iss.JWKS())
	if !ok1 || !ok2 {
		return nil
	}
	for k := range local {
		if remote[k] {
			return nil
		}
	}
	return fmt.Errorf("the server at %s does not use the signing key in %s, so it would refuse this link: "+
		"give login-link the --data of that server (another streamwidgets may be running there)", root, dir)
}

// jwkKeys is the set of public keys (curve and point) in a JWKS document.
func jwkKeys(doc []byte) (map[string]bool, bool) {
	var set struct {
		Keys []struct {
			Crv, X, Y, N, E string
		} `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil || len(set.Keys) == 0 {
		return nil, false
	}
	keys := map[string]bool{}
	for _, k := range set.Keys {
		keys[k.Crv+"|"+k.X+"|"+k.Y+"|"+k.N+"|"+k.E] = true
	}
	return keys, true
}
