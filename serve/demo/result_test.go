package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoad: Load names a model as serve.Load does and reads the test
// accuracy of a result.json beside it into its Metadata; without one the
// Metadata is empty; a broken or oversized one is an error naming it.
func TestLoad(t *testing.T) {
	m, err := Load(modelFile(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if acc, n := accuracy(m); m.Name != "digits" || acc == nil || *acc != 0.25 || n != 10000 {
		t.Errorf("got %q, %v, %d", m.Name, acc, n)
	}
	if m, err = Load(modelFile(t), "mnist"); err != nil || m.Name != "mnist" {
		t.Errorf("named mnist: %v, %v", m, err)
	}
	b, err := os.ReadFile(modelFile(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, result string // "" for none
		want         string // in the error, or "" for none
	}{
		{"no result.json", "", ""},
		{"no accuracy", `{"test_images": 5}`, ""},
		{"broken", "{", ResultFile},
		{"oversized", `{"x": "` + strings.Repeat("a", maxResultBytes) + `"}`, "over 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.gocnn")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.result != "" {
				if err := os.WriteFile(filepath.Join(dir, ResultFile), []byte(tc.result), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m, err := Load(path, "")
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want one containing %q", err, tc.want)
				}
				return
			}
			if err != nil || m.Metadata != nil {
				t.Errorf("%v, metadata %v", err, m.Metadata)
			}
		})
	}
	if _, err = Load(filepath.Join(t.TempDir(), "missing.gocnn"), ""); err == nil {
		t.Error("missing file: no error")
	}
}
