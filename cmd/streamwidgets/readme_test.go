package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The README opens with the two commands a newcomer needs: run the service,
// run the tests.
func TestReadmeOpensWithRunAndTest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "    ") && strings.TrimSpace(line) != "" {
			cmds = append(cmds, strings.TrimSpace(line))
		}
		if line == "---" {
			break
		}
	}
	if len(cmds) != 2 || cmds[0] != "go run ./cmd/streamwidgets serve" || cmds[1] != "bash .ci/run" {
		t.Fatalf("the README's opening commands are %q, want run the service, then run the tests", cmds)
	}
}

// .gitignore ignores build output and data, never a file of the repository.
func TestGitignoreListsNoTrackedFile(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	cmd := exec.Command("git", "ls-files", "--cached", "--ignored", "--exclude-standard")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Fatalf("tracked files matched by .gitignore:\n%s", s)
	}
}
