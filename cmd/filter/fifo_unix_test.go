//go:build unix

package main

import (
	"bytes"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFIFOInput gives the command a named pipe as its input: it must be
// refused as not a regular file. The test holds the pipe open for reading
// and writing, with a whole PNG in it, so that a command that opened and
// read the pipe would neither block in open nor in read, and would fail
// for another reason (or succeed) instead of hanging.
func TestFIFOInput(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("cannot make a named pipe here:", err)
	}
	hold, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	var b bytes.Buffer
	if err := png.Encode(&b, picture(4, 4, true)); err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.png")
	err = run([]string{"-kernel", "edge", fifo, out}, io.Discard, io.Discard)
	var ue usageError
	if err == nil || errors.As(err, &ue) {
		t.Fatalf("err = %v, want a file error", err)
	}
	var stderr strings.Builder
	if code := report(err, &stderr); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if msg := stderr.String(); !strings.Contains(msg, fifo) || !strings.Contains(msg, "not a regular file") {
		t.Errorf("stderr %q: want it to name %s and say it is not a regular file", msg, fifo)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output file was written")
	}
}
