package main

import (
	"bytes"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

func TestBadFlagNamesItsFlagAndForm(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string // all in the error
	}{
		{"duration", []string{"--idle-timeout", "abc"}, nil, []string{"--idle-timeout", "a duration such as 90s, 5m or 1h30m", `"abc"`}},
		{"whole number", []string{"--body-limit=10k"}, nil, []string{"--body-limit", "a whole number", `"10k"`}},
		{"boolean", []string{"--local-issuer=maybe"}, nil, []string{"--local-issuer", "true or false"}},
		{"missing value", []string{"--addr"}, nil, []string{"--addr needs a value", "HTTP listen address"}},
		{"from the environment", nil, map[string]string{"STREAMWIDGETS_SHUTDOWN_TIMEOUT": "10"}, []string{"STREAMWIDGETS_SHUTDOWN_TIMEOUT", "--shutdown-timeout", "a duration"}},
		{"unknown provider flag", []string{"--cluster-provider", "consul"}, nil, []string{"unknown flag --cluster-provider", "did you mean --cluster?", "single", "etcd"}},
		{"typo", []string{"--cluster-nam", "x"}, nil, []string{"unknown flag --cluster-nam; did you mean --cluster-name?"}},
		{"unsupported provider", []string{"--cluster", "consul"}, nil, []string{`--cluster "consul": want one of single, etcd`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, _, err := parseServe(tc.args)
			if err == nil {
				t.Fatalf("accepted %v", tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			// One mistake, one short message: not the whole usage.
			if n := strings.Count(err.Error(), "--"); n > 4 || strings.Contains(err.Error(), "Usage") {
				t.Errorf("the error dumps other flags (%d mentions):\n%s", n, err)
			}
		})
	}
}

// An unknown flag does not hide the other mistakes: every one is reported at once.
func TestUnknownFlagIsReportedWithTheOtherErrors(t *testing.T) {
	_, _, err := parseServe([]string{"--cluster-provider=consul", "--oidc-issuer", "https://id.example.com", "--idle-timeout", "1ms"})
	for _, w := range []string{"unknown flag --cluster-provider", "--oidc-audience is required", "--idle-timeout must be at least 1s"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not say %q", err, w)
		}
	}
	if ue := (usageError{}); !errors.As(err, &ue) || ue.cmd != "serve" {
		t.Errorf("not reported as a command-line mistake of serve: %#v", err)
	}
}

func TestHelpGoesToStdoutServeFlagsFirst(t *testing.T) {
	bin := binary(t)
	run := func(args ...string) (stdout, stderr string, code int) {
		var o, e bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out, errOut, code := run(args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "Commands:") || !strings.Contains(out, "serve") {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", args, code, errOut, out)
		}
	}
	for _, args := range [][]string{{"serve", "--help"}, {"help", "serve"}} {
		out, errOut, code := run(args...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		flags := regexp.MustCompile(`(?m)^  --([a-z0-9-]+)`).FindAllStringSubmatch(out, -1)
		if len(flags) < 20 || flags[0][1] != "addr" || flags[1][1] != "data" {
			t.Fatalf("%v: want serve's flags, --addr and --data first; got:\n%s", args, out)
		}
		seen := map[string]int{}
		for _, f := range flags {
			seen[f[1]]++
		}
		for name, n := range seen {
			if n != 1 {
				t.Errorf("--%s listed %d times", name, n)
			}
		}
		if !strings.HasPrefix(out, "Usage: streamwidgets serve [flags]") {
			t.Errorf("%v does not start with serve's usage line:\n%.200s", args, out)
		}
	}
	for _, cmd := range []string{"token", "login-link", "migrate"} {
		out, errOut, code := run(cmd, "--help")
		if code != 0 || errOut != "" || !strings.Contains(out, "Usage: streamwidgets "+cmd) {
			t.Errorf("%s --help: exit %d, stderr %q, stdout:\n%s", cmd, code, errOut, out)
		}
	}
	out, errOut, code := run("serve", "--idle-timeout", "abc")
	if code != 2 || out != "" || strings.Count(errOut, "\n") != 2 ||
		!strings.Contains(errOut, "--idle-timeout: want a duration") || !strings.Contains(errOut, "streamwidgets serve --help") {
		t.Errorf("bad value: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
}
