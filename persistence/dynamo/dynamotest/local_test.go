package dynamotest

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

// A server that cannot bind its port says so, with the JVM's own words,
// instead of a bare "exit status 1" (Start then tries another port).
func TestLaunchOnATakenPortSaysWhy(t *testing.T) {
	dir, err := FindJar()
	if err != nil {
		t.Fatal(err)
	}
	squatter, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()
	port := squatter.Addr().(*net.TCPAddr).Port
	s := &Server{jarDir: dir, port: port, Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	err = s.launch()
	defer s.Stop()
	if !errors.Is(err, errExitedWhileStarting) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("launch on a taken port: %v", err)
	}
}

func TestStartServesAndStops(t *testing.T) {
	s, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if _, err := probe.Get(s.Endpoint); err == nil {
		t.Fatal("DynamoDB Local still answers after Stop")
	}
}
