package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	write := func(s string, fail bool) error {
		return Write(path, func(w io.Writer) error {
			io.WriteString(w, s)
			if fail {
				return errors.New("disk on fire")
			}
			return nil
		})
	}
	if err := write("first", false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content string
		fail    bool
		want    string
	}{
		{"a failed write keeps the old file", "second", true, "first"},
		{"a good write replaces it", "third", false, "third"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := write(tc.content, tc.fail)
			if tc.fail && (err == nil || !strings.Contains(err.Error(), path)) {
				t.Fatalf("err = %v, want one naming %s", err, path)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.want {
				t.Errorf("file holds %q, want %q", b, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("%d files in the directory, want 1 (no temporary left behind)", len(entries))
			}
		})
	}
	if err := Write(filepath.Join(dir, "missing", "x"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory: no error")
	}
}
