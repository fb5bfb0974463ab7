// Package testutil holds what several packages' tests share: running the
// test binary again as a child process and reading its peak memory, and a
// reader that counts the bytes read through it. Only tests import it.
package testutil

import (
	"io"
	"os"
	"os/exec"
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
