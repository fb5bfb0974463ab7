package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
)

// TestRun trains on 600 digits through a folder and in memory, and checks
// that both end with the same weights.
func TestRun(t *testing.T) {
	if _, err := data.DefaultMNISTDir(); err != nil {
		t.Skipf("real MNIST is not available here: %v", err)
	}
	var out strings.Builder
	if err := run([]string{"-n", "600", "-test", "200", "-epochs", "2"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "same weights, bit for bit: true") {
		t.Errorf("the folder and memory runs differ:\n%s", out.String())
	}
	dir := t.TempDir()
	if err := run([]string{"-n", "50", "-test", "100", "-write", dir}, &out); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"train", "test"} {
		f, err := data.OpenImageFolder(filepath.Join(dir, part))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"train": 50, "test": 100}[part]; f.Len() != want {
			t.Errorf("%s: %d images, want %d", part, f.Len(), want)
		}
	}
}
