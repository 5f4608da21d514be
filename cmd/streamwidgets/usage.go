package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Help and flag errors. `COMMAND --help` prints the command's flags to
// stdout, grouped with the ones a first run needs first. A bad flag value
// is one line naming the flag, the value and the form it takes; it never
// dumps the whole usage.

// flagSection groups flags in --help; a flag belongs to the first section
// whose match accepts it, and flags no section accepts come last.
type flagSection struct {
	title string
	match func(name string) bool
}

func names(list ...string) func(string) bool {
	return func(n string) bool {
		for _, l := range list {
			if n == l {
				return true
			}
		}
		return false
	}
}

func prefixes(list ...string) func(string) bool {
	return func(n string) bool {
		for _, p := range list {
			if strings.HasPrefix(n, p) {
				return true
			}
		}
		return false
	}
}

var serveSections = []flagSection{
	{"Basics", names("addr", "data", "public-url", "log-level")},
	{"Sign-in", prefixes("local-issuer", "oidc-")},
	{"Store", prefixes("store", "dynamodb-", "seal-keys")},
	{"Cluster (README \"Run a cluster\")", prefixes("cluster", "etcd-", "cursor-secret")},
	{"Browsers and proxies", prefixes("allowed-origins", "proxy-header", "trusted-proxies")},
	{"Integrations (README \"Connect Twitch\")", prefixes("twitch-", "credentials-keys", "pretzel-", "lastfm-")},
	{"Limits", prefixes("user-", "address-", "creates-", "body-limit", "max-", "widget-", "ws-")},
}

// form is what a flag's value looks like, by its type.
func form(typeName string) string {
	switch typeName {
	case "duration":
		return "a duration such as 90s, 5m or 1h30m"
	case "int", "uint", "int64", "uint64":
		return "a whole number"
	case "float":
		return "a number"
	case "":
		return "true or false"
	}
	return ""
}

// describedValue wraps a flag's value so a bad value says which form it
// takes, and remembers the first failure with its flag.
type describedValue struct {
	flag.Value
	name, typeName string
	failed         *error
}

func (v describedValue) Set(s string) error {
	err := v.Value.Set(s)
	if err == nil {
		return nil
	}
	msg := err.Error()
	if f := form(v.typeName); f != "" && (strings.Contains(msg, "parse error") || strings.Contains(msg, "invalid syntax")) {
		msg = "want " + f
	}
	err = fmt.Errorf("--%s: %s (got %q)", v.name, msg, s)
	if *v.failed == nil {
		*v.failed = err
	}
	return err
}

// IsBoolFlag keeps -flag (without a value) working for booleans.
func (v describedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagHelp is one flag as --help shows it.
type flagHelp struct {
	name, typeName, usage, def string
}

func describe(f *flag.Flag) flagHelp {
	typeName, usage := flag.UnquoteUsage(f)
	h := flagHelp{name: f.Name, typeName: typeName, usage: usage}
	switch {
	case f.DefValue == "" || f.DefValue == "0" || f.DefValue == "false" || f.DefValue == "[]":
	case typeName == "string":
		h.def = fmt.Sprintf(" (default %q)", f.DefValue)
	default:
		h.def = fmt.Sprintf(" (default %s)", f.DefValue)
	}
	return h
}

func (h flagHelp) write(w io.Writer) {
	line := "  --" + h.name
	if h.typeName != "" {
		line += " " + h.typeName
	}
	fmt.Fprintf(w, "%s\n    \t%s%s\n", line, strings.ReplaceAll(h.usage, "\n", "\n    \t"), h.def)
}

// synopses are the commands' one-line descriptions in --help.
var synopses = map[string]string{
	"serve":      "Runs a node: the REST API, the WebSocket endpoint, the overlays and the manager console.",
	"token":      "Prints a user JWT signed by the data dir's self-hosted issuer (for scripts).",
	"login-link": "Prints a one-time link that signs a user in to the manager console.",
	"migrate":    "Creates the DynamoDB tables, indexes and TTL (--store dynamodb); safe to run again.",
}

// parseWithEnv parses a command's flags (see command.parse).
func parseWithEnv(fs *flag.FlagSet, args []string) error {
	c := &command{fs: fs, synopsis: synopses[fs.Name()]}
	if fs.Name() == "serve" {
		c.sections = serveSections
	}
	return c.parse(args)
}

// command is a flag set with its help text; parse wraps flag.Parse.
type command struct {
	fs       *flag.FlagSet
	synopsis string
	sections []flagSection
	help     map[string]flagHelp
	failed   error
}

// printUsage writes the command's flags, section by section.
func (c *command) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: streamwidgets %s [flags]\n%s\n\nEvery flag can also be set as STREAMWIDGETS_<FLAG>, e.g. --log-level as STREAMWIDGETS_LOG_LEVEL.\n", c.fs.Name(), c.synopsis)
	groups := make([][]flagHelp, len(c.sections)+1)
	c.fs.VisitAll(func(f *flag.Flag) {
		i := len(c.sections)
		for j, s := range c.sections {
			if s.match(f.Name) {
				i = j
				break
			}
		}
		groups[i] = append(groups[i], c.help[f.Name])
	})
	for i, g := range groups {
		if len(g) == 0 {
			continue
		}
		title := "Flags"
		if i < len(c.sections) {
			title = c.sections[i].title
		} else if len(c.sections) > 0 {
			title = "Other"
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		for _, h := range g {
			h.write(w)
		}
	}
}

// usageError is a mistake on the command line; main adds where the flags
// are listed and exits 2.
type usageError struct {
	err error
	cmd string
	// unknownOnly: the only mistakes are unknown flags, so every known flag
	// was parsed and the command's own checks can still run and report
	// theirs at the same time.
	unknownOnly bool
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// parse parses args, then fills every flag not given on the command line
// from STREAMWIDGETS_<NAME> (dashes become underscores). --help prints the
// usage to stdout and returns flag.ErrHelp. Unknown flags are all reported,
// after the known ones are parsed (usageError.unknownOnly); a
// bad value stops at that flag. Errors are usageErrors.
func (c *command) parse(args []string) error {
	c.help = map[string]flagHelp{}
	c.fs.VisitAll(func(f *flag.Flag) {
		h := describe(f)
		c.help[f.Name] = h
		f.Value = describedValue{Value: f.Value, name: f.Name, typeName: h.typeName, failed: &c.failed}
	})
	c.fs.SetOutput(io.Discard) // errors are returned, one line each
	c.fs.Usage = func() {}
	args, unknown := c.dropUnknown(args)
	if err := c.fs.Parse(args); err != nil {
		switch {
		case errors.Is(err, flag.ErrHelp):
			c.printUsage(os.Stdout)
			return err
		case c.failed != nil:
			return usageError{err: c.failed, cmd: c.fs.Name()}
		}
		return usageError{err: c.rephrase(err), cmd: c.fs.Name()}
	}
	if c.fs.NArg() > 0 {
		return usageError{err: fmt.Errorf("unexpected arguments: %v (flags start with --)", c.fs.Args()), cmd: c.fs.Name()}
	}
	given := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	c.fs.VisitAll(func(f *flag.Flag) {
		env := "STREAMWIDGETS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && !given[f.Name] {
			if err := c.fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
		}
	})
	if len(unknown) > 0 {
		if len(errs) > 0 { // a bad environment value: not all flags are set
			return usageError{err: errors.Join(append(unknown, errs...)...), cmd: c.fs.Name()}
		}
		return usageError{errors.Join(unknown...), c.fs.Name(), true}
	}
	return errors.Join(errs...)
}

// dropUnknown removes flags the command does not have (with the value after
// one written without "="), and says what each was probably meant to be.
func (c *command) dropUnknown(args []string) ([]string, []error) {
	var kept []string
	var unknown []error
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			return append(kept, args[i:]...), unknown // positional from here on
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := c.fs.Lookup(name)
		switch {
		case name == "help" || name == "h":
			kept = append(kept, a)
		case f == nil:
			unknown = append(unknown, c.unknown(name))
			if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++ // its value
			}
		default:
			kept = append(kept, a)
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) && i+1 < len(args) {
				i++
				kept = append(kept, args[i])
			}
		}
	}
	return kept, unknown
}

func (c *command) unknown(name string) error {
	near := c.nearest(name)
	if near == "" {
		return fmt.Errorf("unknown flag --%s", name)
	}
	h := c.help[near]
	return fmt.Errorf("unknown flag --%s; did you mean --%s? (--%s: %s%s)", name, near, near, h.usage, h.def)
}

// rephrase turns the flag package's missing-value error into ours: the
// flag with -- and what it expects.
func (c *command) rephrase(err error) error {
	if name, ok := strings.CutPrefix(err.Error(), "flag needs an argument: "); ok {
		name = strings.TrimLeft(name, "-")
		h := c.help[name]
		want := h.usage
		if f := form(h.typeName); f != "" && h.typeName != "" {
			want = f + ": " + want
		}
		return fmt.Errorf("--%s needs a value: %s", name, want)
	}
	return err
}

// nearest is the flag a mistyped name most likely meant: the closest by
// edit distance if that is small (--cluster-nam), else one whose name is a
// prefix of it or the other way round (--cluster-provider, --oidc).
func (c *command) nearest(name string) string {
	var cands []string
	c.fs.VisitAll(func(f *flag.Flag) { cands = append(cands, f.Name) })
	sort.Strings(cands)
	best, bestDist := "", 3
	for _, n := range cands {
		if d := editDistance(name, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best != "" {
		return best
	}
	for _, n := range cands {
		if (strings.HasPrefix(name, n+"-") || strings.HasPrefix(n, name+"-")) && (best == "" || len(n) < len(best)) {
			best = n
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
