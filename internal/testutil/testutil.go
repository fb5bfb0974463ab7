// Package testutil holds what several packages' tests share: running the
// test binary again as a child process and reading its peak memory, or as
// a server (StartServer), a reader that counts the bytes read through it,
// and a buffer goroutines may share. Only tests import it.
package testutil

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Child runs the test binary again, running only the test named test,
// with the environment variable env set to value (the test sees it and does
// the child's work), and returns the child's combined output and its peak
// resident memory in bytes. A child that fails fails t.
func Child(t testing.TB, test, env, value string) (out string, peakRSS int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"="+value)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, b)
	}
	return string(b), PeakRSS(cmd.ProcessState)
}

// PeakRSS returns the peak resident memory, in bytes, of a process that
// has ended (0 where the system does not say).
func PeakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return int64(ru.Maxrss) << 10 // KiB on Linux
}

// Counter counts the bytes read through it from R.
type Counter struct {
	R io.Reader
	N int64
}

// Read reads from R and counts what it read.
func (c *Counter) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// Zeros reads as zero bytes forever.
type Zeros struct{}

// Read fills p with zeros.
func (Zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// SyncBuffer is a bytes.Buffer that goroutines may share: a log written
// by a server while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what has been written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Server is a server run by the test binary in a child process, started
// by StartServer.
type Server struct {
	Addr  string    // host:port it listens on
	Cmd   *exec.Cmd // the child process
	Log   string    // its standard error up to the line that says where it listens
	lines *bufio.Scanner
}

// listening is the log line of a server of package serve that says where
// it listens.
var listening = regexp.MustCompile(`msg=listening addr=http://(\S+)`)

// StartServer runs the test binary again, running no test and with env
// (NAME=value entries) added to its environment, so that its TestMain
// serves, and waits for the log line that says where it listens. The
// child is killed when the test ends, if it has not ended before.
func StartServer(t testing.TB, env ...string) *Server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	s := &Server{Cmd: cmd, lines: bufio.NewScanner(stderr)}
	var log strings.Builder
	for s.Addr == "" && s.lines.Scan() {
		log.WriteString(s.lines.Text() + "\n")
		if m := listening.FindStringSubmatch(s.lines.Text()); m != nil {
			s.Addr = m[1]
		}
	}
	s.Log = log.String()
	if s.Addr == "" {
		t.Fatalf("the server did not start:\n%s", s.Log)
	}
	return s
}

// Rest reads the rest of the server's standard error, until the child
// closes it.
func (s *Server) Rest() string {
	var rest strings.Builder
	for s.lines.Scan() {
		rest.WriteString(s.lines.Text() + "\n")
	}
	return rest.String()
}
