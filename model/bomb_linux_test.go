package model

import (
	"bytes"
	"os"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
)

const bombEnv = "GOCNN_MODEL_BOMB_CHILD"

// TestModelFileBomb: model files of a few hundred bytes to a few KiB
// whose architectures ask for 1 GiB and 30 GiB of weights keep the
// loader's peak memory under 100 MiB: the parameters are checked against
// the size of the file's weights section before they are allocated. The
// work runs in a child process, whose peak RSS the parent reads.
func TestModelFileBomb(t *testing.T) {
	if os.Getenv(bombEnv) != "" {
		for _, n := range []int{1, 30} {
			file := hugeDenseFile(t, n)
			if _, _, err := Read(bytes.NewReader(file)); err == nil {
				t.Errorf("%d dense layers, %d bytes: no error", n, len(file))
			} else {
				t.Logf("%d dense layers, %d bytes: %v", n, len(file), err)
			}
		}
		return
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory; go test without -race checks the bound")
	}
	out, rss := testutil.Child(t, "TestModelFileBomb", bombEnv, "1")
	const bound = 100 << 20
	t.Logf("child's peak RSS %.0f MiB (bound %d MiB)", float64(rss)/(1<<20), bound>>20)
	if rss > bound {
		t.Errorf("peak RSS %.0f MiB, over %d MiB\n%s", float64(rss)/(1<<20), bound>>20, out)
	}
}
