//go:build unix

package data

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// promptly runs f and returns its error. Should f block on the FIFO at
// fifo for more than a few seconds, it fails the test, after opening the
// FIFO for writing so that f can return. The wait only turns a hang into a
// failure; it asserts nothing about speed.
func promptly(t *testing.T, fifo string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatalf("reading %s waited for a writer instead of failing", fifo)
		return nil
	}
}

// mkfifo makes a named pipe at path, skipping the test where it cannot.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
}

// TestReadIDXFileNotRegular checks that ReadIDXFile refuses a named pipe, a
// directory and a device with an error naming the file, and does not wait
// for a writer to open the pipe.
func TestReadIDXFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	tests := []struct{ name, path, want string }{
		{"named pipe", fifo, "is a named pipe, not a regular file"},
		{"directory", dir, "is a directory, not a regular file"},
		{"device", os.DevNull, "is a device, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := promptly(t, fifo, func() error {
				_, err := ReadIDXFile(tt.path)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadIDXFile(%s) error = %v, want one naming the file and containing %q", tt.path, err, tt.want)
			}
		})
	}
}

// TestLoadMNISTFIFO checks that a named pipe in place of an MNIST file
// gives an error naming it rather than a hang.
func TestLoadMNISTFIFO(t *testing.T) {
	for _, name := range []string{MNISTTestLabels, MNISTTrainImages + ".gz"} {
		t.Run(name, func(t *testing.T) {
			dir := fakeMNIST(t)
			path := filepath.Join(dir, name)
			os.Remove(path)
			os.Remove(strings.TrimSuffix(path, ".gz"))
			mkfifo(t, path)
			err := promptly(t, path, func() error {
				_, _, err := LoadMNIST(dir)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "named pipe") {
				t.Fatalf("LoadMNIST error = %v, want one naming the named pipe %s", err, path)
			}
		})
	}
}
