package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSaveThenLoadInAFreshProcess trains the example briefly, saves it, and
// loads it in a second process, which must predict identically.
func TestSaveThenLoadInAFreshProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST; skipped in -short mode")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "resnet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "run")
	train := exec.Command(bin, "-out", out, "-images", "1000", "-epochs", "1")
	if b, err := train.CombinedOutput(); err != nil {
		t.Fatalf("training: %v\n%s", err, b)
	} else if !strings.Contains(string(b), "Connected to") || !strings.Contains(string(b), "add_1 (Add)") {
		t.Fatalf("the summary lacks the wiring:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(out, "resnet.gocnn")); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(bin, "-check", out, "-images", "1000").CombinedOutput()
	if err != nil || !strings.Contains(string(b), "predictions identical") {
		t.Fatalf("loading in a fresh process: %v\n%s", err, b)
	}
}
