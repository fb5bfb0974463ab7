package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gocnn/cnn/data"
)

// TestNoisy checks the dataset the example trains on: noisy inputs in
// [0, 1], the clean images as targets, and the same noise for the same
// seed.
func TestNoisy(t *testing.T) {
	d := &data.Dataset{X: []float32{0, 0.5, 1, 0.25, 0, 0.75, 1, 0}, N: 2, C: 1, H: 2, W: 2}
	a := Noisy(d, 0.5, rand.New(rand.NewPCG(7, 0)))
	b := Noisy(d, 0.5, rand.New(rand.NewPCG(7, 0)))
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	if a.Classes != 4 || a.Labels != nil || fmt.Sprint(a.Y) != fmt.Sprint(d.X) {
		t.Fatalf("targets %v (%d per example), want the clean images %v", a.Y, a.Classes, d.X)
	}
	if fmt.Sprint(a.X) != fmt.Sprint(b.X) {
		t.Fatalf("the same seed gave different noise: %v and %v", a.X, b.X)
	}
	changed := false
	for i, v := range a.X {
		if v < 0 || v > 1 {
			t.Fatalf("noisy value %v at %d is outside [0, 1]", v, i)
		}
		changed = changed || v != d.X[i]
	}
	if !changed {
		t.Fatal("no noise was added")
	}
	if got := MSE([]float32{1, 2}, []float32{0, 4}); got != 2.5 {
		t.Fatalf("MSE = %v, want 2.5", got)
	}
}

// TestRun trains the example briefly on MNIST: it must beat the identity
// baseline and write its picture.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST; skipped in -short mode")
	}
	if _, err := data.DefaultMNISTDir(); err != nil {
		t.Skipf("MNIST is not available: %v", err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"-n", "5000", "-test", "200", "-epochs", "3", "-out", dir}, &out); err != nil {
		t.Fatalf("%+v\n%s", err, out.String())
	}
	var mse, base, ratio float64
	var n int
	if _, err := fmt.Sscanf(lastLine(out.Bytes(), 1), "test MSE %f on %d digits; identity baseline (noisy input vs clean) %f; ratio %f",
		&mse, &n, &base, &ratio); err != nil {
		t.Fatalf("no test MSE line: %v\n%s", err, out.String())
	}
	if n != 200 || !(mse < 0.75*base) {
		t.Fatalf("test MSE %v on %d digits does not clearly beat the identity baseline %v", mse, n, base)
	}
	if fi, err := os.Stat(filepath.Join(dir, "denoised.png")); err != nil || fi.Size() == 0 {
		t.Fatalf("no picture: %v", err)
	}
}

// lastLine returns the line k lines before the last of b (0: the last).
func lastLine(b []byte, k int) string {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if k >= len(lines) {
		return ""
	}
	return string(lines[len(lines)-1-k])
}
