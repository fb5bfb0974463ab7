//go:build linux

package train_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
)

const loadChildEnv = "TRAIN_TEST_LOAD_CHECKPOINT"

// TestLoadCheckpointMemory: loading a 3 GiB file (sparse, so it takes no
// disk) that starts like a checkpoint is rejected by a process whose peak
// resident memory stays under 150 MiB. The load runs in a child process
// (this test binary again), whose peak RSS the kernel reports.
func TestLoadCheckpointMemory(t *testing.T) {
	if path := os.Getenv(loadChildEnv); path != "" {
		tr := tinyTrainer(t, 1, 3)
		defer tr.Close()
		fmt.Println("load:", tr.LoadCheckpoint(path))
		return
	}
	tests := []struct {
		name string
		head string // then zeros to 3 GiB
		want string
	}{
		{"metadata of 3 GiB", "GOCNNCKP\x01\x00\x00\x00\xf0\xff\xff\xbf", "the metadata section holds 3221225456 bytes, at most"},
		{"metadata of 0 bytes, weights of 3 GiB", "GOCNNCKP\x01\x00\x00\x00\x00\x00\x00\x00\xe4\xff\xff\xbf\x00\x00\x00\x00", "checkpoint's weights take 3221225444 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "huge.bin")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString(tc.head); err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(3 << 30); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			out, rss := testutil.Child(t, "TestLoadCheckpointMemory", loadChildEnv, path)
			if !strings.Contains(out, tc.want) {
				t.Errorf("child said %q, want an error saying %q", out, tc.want)
			}
			const bound = 150 << 20
			t.Logf("peak RSS of the loading process: %d KiB", rss>>10)
			if rss > bound {
				t.Errorf("peak RSS of the loading process %d KiB, want under %d KiB", rss>>10, bound>>10)
			}
		})
	}
}
