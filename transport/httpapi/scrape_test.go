package httpapi

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sample is one line of the Prometheus text exposition.
type sample struct {
	name   string
	labels map[string]string
	series string // name{labels} as exposed
	value  float64
}

var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrape GETs /metrics, requires 200, and parses every sample.
func (a *testAPI) scrape() []sample {
	a.t.Helper()
	r := a.do("GET", "/metrics", "", "")
	if r.status != 200 {
		a.t.Fatalf("/metrics: %d %s", r.status, r.body)
	}
	var out []sample
	for _, line := range strings.Split(r.body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			a.t.Fatalf("/metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			a.t.Fatalf("/metrics line %q: %v", line, err)
		}
		s := sample{series: line[:i], value: v, labels: map[string]string{}}
		s.name, _, _ = strings.Cut(s.series, "{")
		if _, rest, ok := strings.Cut(s.series, "{"); ok {
			for _, m := range labelPair.FindAllStringSubmatch(rest, -1) {
				s.labels[m[1]] = m[2]
			}
		}
		out = append(out, s)
	}
	return out
}

// metric is the value of one series (0 if absent).
func (a *testAPI) metric(series string) float64 {
	a.t.Helper()
	for _, s := range a.scrape() {
		if s.series == series {
			return s.value
		}
	}
	return 0
}

func TestScrapeParsesLabels(t *testing.T) {
	s := sample{}
	for _, m := range labelPair.FindAllStringSubmatch(`method="GET",route="/a\"b",status="200"`, -1) {
		if s.labels == nil {
			s.labels = map[string]string{}
		}
		s.labels[m[1]] = m[2]
	}
	if s.labels["method"] != "GET" || s.labels["route"] != `/a\"b` || s.labels["status"] != "200" {
		t.Fatalf("labels %v", s.labels)
	}
}
