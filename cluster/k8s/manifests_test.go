package k8s

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// object is the part of a manifest the lint reads; unknown fields are kept
// as generic maps.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec      map[string]any    `yaml:"spec"`
	Resources []string          `yaml:"resources"` // Kustomization
	Data      map[string]string `yaml:"data"`      // ConfigMap
	file      string
}

func (o object) String() string { return o.file + ": " + o.Kind + " " + o.Metadata.Name }

// load parses every YAML document of every file in this directory.
func load(t *testing.T) []object {
	t.Helper()
	files, _ := filepath.Glob("*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests")
	}
	var objs []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			o.file = f
			objs = append(objs, o)
		}
	}
	return objs
}

func TestEveryManifestIsWellFormed(t *testing.T) {
	names := map[string]bool{}
	for _, o := range load(t) {
		if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
			t.Errorf("%s: apiVersion, kind and metadata.name are required", o)
		}
		if key := o.Kind + "/" + o.Metadata.Name; names[key] {
			t.Errorf("%s: declared twice", o)
		} else {
			names[key] = true
		}
		if o.Kind != "Kustomization" && o.Kind != "ConfigMap" && o.Kind != "ServiceAccount" && o.Spec == nil {
			t.Errorf("%s: no spec", o)
		}
	}
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	var want []string
	for _, f := range files {
		if f != "kustomization.yaml" {
			want = append(want, f)
		}
	}
	for _, o := range load(t) {
		if o.Kind != "Kustomization" {
			continue
		}
		got := slices.Clone(o.Resources)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Fatalf("kustomization resources %v, files %v", got, want)
		}
		return
	}
	t.Fatal("no kustomization.yaml")
}

// pod is the part of a pod template the lint checks.
type pod struct {
	Metadata struct {
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		ServiceAccountName string `json:"serviceAccountName"`
		SecurityContext    struct {
			RunAsNonRoot bool `json:"runAsNonRoot"`
		} `json:"securityContext"`
		Containers []container `json:"containers"`
	} `json:"spec"`
}

type container struct {
	Name  string   `json:"name"`
	Args  []string `json:"args"`
	Ports []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	} `json:"ports"`
	Env []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"env"`
	ReadinessProbe *probe `json:"readinessProbe"`
	LivenessProbe  *probe `json:"livenessProbe"`
}

type probe struct {
	HTTPGet struct {
		Path string `json:"path"`
		Port string `json:"port"`
	} `json:"httpGet"`
}

// convert re-decodes a generic YAML value into typed structs.
func convert(t *testing.T, in any, out any) {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
}

// workload returns the streamwidgets Deployment's pod template.
func workload(t *testing.T, objs []object) (object, pod) {
	t.Helper()
	for _, o := range objs {
		if o.Kind == "Deployment" && o.Metadata.Name == "streamwidgets" {
			var p pod
			convert(t, o.Spec["template"], &p)
			return o, p
		}
	}
	t.Fatal("no Deployment streamwidgets")
	return object{}, pod{}
}

func TestDeploymentProbesServiceAndSelectors(t *testing.T) {
	objs := load(t)
	dep, p := workload(t, objs)
	var sel struct {
		MatchLabels map[string]string `json:"matchLabels"`
	}
	convert(t, dep.Spec["selector"], &sel)
	for k, v := range sel.MatchLabels {
		if p.Metadata.Labels[k] != v {
			t.Errorf("Deployment selector %s=%s does not match its pod labels %v", k, v, p.Metadata.Labels)
		}
	}
	if !p.Spec.SecurityContext.RunAsNonRoot {
		t.Error("pods must run as non-root")
	}
	if len(p.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(p.Spec.Containers))
	}
	c := p.Spec.Containers[0]
	ports := map[string]bool{}
	for _, port := range c.Ports {
		ports[port.Name] = true
	}
	routes := apiRoutes(t)
	for name, pr := range map[string]*probe{"readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe} {
		if pr == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if !routes[pr.HTTPGet.Path] {
			t.Errorf("%s path %q is not a route of the API (openapi.json)", name, pr.HTTPGet.Path)
		}
		if !ports[pr.HTTPGet.Port] {
			t.Errorf("%s port %q is not a container port", name, pr.HTTPGet.Port)
		}
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe != nil && c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("readiness must be /readyz (store and topology), liveness /healthz (the process)")
	}
	// Every Service selecting members targets a named container port.
	for _, o := range objs {
		if o.Kind != "Service" || o.Spec["selector"] == nil {
			continue
		}
		var svc struct {
			Selector map[string]string `json:"selector"`
			Ports    []struct {
				TargetPort string `json:"targetPort"`
			} `json:"ports"`
		}
		convert(t, o.Spec, &svc)
		if svc.Selector["app.kubernetes.io/name"] != p.Metadata.Labels["app.kubernetes.io/name"] {
			continue
		}
		for _, sp := range svc.Ports {
			if !ports[sp.TargetPort] {
				t.Errorf("%s: targetPort %q is not a container port of the members", o, sp.TargetPort)
			}
		}
	}
}

// TestDeploymentSettingsAreServeFlags checks each STREAMWIDGETS_* variable
// of the Deployment and ConfigMap against `streamwidgets serve --help`.
func TestDeploymentSettingsAreServeFlags(t *testing.T) {
	objs := load(t)
	_, p := workload(t, objs)
	vars := map[string]string{}
	for _, e := range p.Spec.Containers[0].Env {
		vars[e.Name] = "deployment.yaml"
	}
	for _, o := range objs {
		if o.Kind == "ConfigMap" {
			for k := range o.Data {
				vars[k] = o.file
			}
		}
	}
	flags := serveFlags(t)
	for name, file := range vars {
		if !strings.HasPrefix(name, "STREAMWIDGETS_") {
			continue
		}
		flag := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, "STREAMWIDGETS_"), "_", "-"))
		if !flags[flag] {
			t.Errorf("%s: %s is no serve flag (--%s)", file, name, flag)
		}
	}
	if vars["STREAMWIDGETS_CLUSTER"] == "" || vars["STREAMWIDGETS_CLUSTER_ADVERTISE"] == "" || vars["STREAMWIDGETS_STORE"] == "" {
		t.Error("members need STREAMWIDGETS_CLUSTER, _CLUSTER_ADVERTISE (the pod IP) and _STORE (dynamodb)")
	}
}

// serveFlags builds the command and reads its serve flag names.
func serveFlags(t *testing.T) map[string]bool {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "streamwidgets")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/streamwidgets").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, _ := exec.Command(bin, "serve", "--help").CombinedOutput()
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+--?([a-z0-9][a-z0-9-]*)`).FindAllSubmatch(out, -1) {
		flags[string(m[1])] = true
	}
	if !flags["cluster"] || !flags["addr"] {
		t.Fatalf("could not read the serve flags from:\n%s", out)
	}
	return flags
}

// apiRoutes are the paths of the REST contract.
func apiRoutes(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("../../transport/httpapi/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for p := range doc.Paths {
		routes[p] = true
	}
	return routes
}
