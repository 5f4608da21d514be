package k8s

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile checks the image is multi-stage, static and non-root, as
// far as a text check can (CI has no Docker daemon).
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(text, -1)
	if len(froms) < 2 {
		t.Fatalf("want a build stage and a runtime stage, got %d FROM lines", len(froms))
	}
	final := text[strings.LastIndex(text, "\nFROM "):]
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/streamwidgets"} {
		if !strings.Contains(text, want) {
			t.Errorf("the build does not mention %q (static binary of the command)", want)
		}
	}
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(final)
	if user == nil || strings.HasPrefix(user[1], "0") || strings.HasPrefix(user[1], "root") {
		t.Errorf("the runtime stage must set a non-root USER, got %v", user)
	}
	for _, want := range []string{"ENTRYPOINT", "EXPOSE 8080"} {
		if !strings.Contains(final, want) {
			t.Errorf("the runtime stage lacks %q", want)
		}
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil || !strings.Contains(string(ignore), ".ci/dynamodb/node_modules") {
		t.Errorf(".dockerignore must keep the 50 MB DynamoDB Local out of the build context (%v)", err)
	}
}
