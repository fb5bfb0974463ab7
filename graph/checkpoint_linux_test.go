//go:build linux

package graph_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gorgonia.org/tensor"
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
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadFileMemory$")
	cmd.Env = append(os.Environ(), loadChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if want := "holds more than the 168 bytes"; !strings.Contains(string(out), want) {
		t.Errorf("child said %q, want an error saying %q", out, want)
	}
	const bound = 100 << 10 // KiB
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	t.Logf("peak RSS of the loading process: %d KiB", rss)
	if rss > bound {
		t.Errorf("peak RSS of the loading process %d KiB, want under %d KiB", rss, bound)
	}
}
