//go:build linux

package graph_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/testutil"
)

const loadChildEnv = "GRAPH_TEST_LOAD_FILE"

// TestLoadFileMemory: loading a 3 GiB file (sparse, so it takes no disk)
// that starts like a weights file is rejected by a process whose peak
// resident memory stays under 100 MiB. The load runs in a child process
// (this test binary again), whose peak RSS the kernel reports.
func TestLoadFileMemory(t *testing.T) {
	if path := os.Getenv(loadChildEnv); path != "" {
		p, err := newGoldenParams(tensor.Float32)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("load:", p.LoadFile(path))
		return
	}
	path := filepath.Join(t.TempDir(), "huge.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("GOCNNWTS\x01\x00\x00\x00"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3 << 30); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, rss := testutil.Child(t, "TestLoadFileMemory", loadChildEnv, path)
	if want := "holds more than the 168 bytes"; !strings.Contains(out, want) {
		t.Errorf("child said %q, want an error saying %q", out, want)
	}
	const bound = 100 << 20
	t.Logf("peak RSS of the loading process: %d KiB", rss>>10)
	if rss > bound {
		t.Errorf("peak RSS of the loading process %d KiB, want under %d KiB", rss>>10, bound>>10)
	}
}
