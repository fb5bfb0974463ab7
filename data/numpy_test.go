package data

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestNumPyFiles reads files written by NumPy itself, when python3 with
// numpy is installed; it skips otherwise. The arrays are a[i] = i - 3 in
// each dtype (i for uint8), shape (2, 3, 4), in C and Fortran order, with np.save, and
// x (float32, (4, 3)) and y (int64, (4,)) in np.savez and
// np.savez_compressed archives.
func TestNumPyFiles(t *testing.T) {
	if err := exec.Command("python3", "-c", "import numpy").Run(); err != nil {
		t.Skipf("python3 with numpy is not available (%v): NumPy's own files are not checked; the byte-level tests cover the format", err)
	}
	dir := t.TempDir()
	dtypes := []string{"float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
	script := `
import sys, numpy as np
d = sys.argv[1]
for t in sys.argv[2:]:
    a = np.arange(24).reshape(2, 3, 4)
    if t != 'uint8':
        a = a - 3
    a = a.astype(t)
    np.save(d + '/' + t + '.npy', a)
    np.save(d + '/' + t + '_f.npy', np.asfortranarray(a))
x = np.arange(12, dtype=np.float32).reshape(4, 3) / 4
y = np.array([0, 2, 1, 2], dtype=np.int64)
np.savez(d + '/plain.npz', x=x, y=y)
np.savez_compressed(d + '/packed.npz', x=x, y=y)
`
	cmd := exec.Command("python3", append([]string{"-c", script, dir}, dtypes...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	for _, dt := range dtypes {
		want := make([]float32, 24)
		for i := range want {
			switch dt {
			case "uint8":
				want[i] = float32(i)
			case "bool":
				if i != 3 {
					want[i] = 1
				}
			default:
				want[i] = float32(i - 3)
			}
		}
		for _, suffix := range []string{"", "_f"} {
			t.Run(dt+suffix, func(t *testing.T) {
				a, err := ReadNpyFile(filepath.Join(dir, dt+suffix+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				if a.Dtype != dt || !slices.Equal(a.Shape, []int{2, 3, 4}) || !slices.Equal(a.Data, want) {
					t.Errorf("got %s %v %v, want %s [2 3 4] %v", a.Dtype, a.Shape, a.Data, dt, want)
				}
			})
		}
	}
	for _, name := range []string{"plain.npz", "packed.npz"} {
		t.Run(name, func(t *testing.T) {
			d, err := LoadNpz(filepath.Join(dir, name), "x", "y")
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
			if d.N != 4 || d.C != 3 || d.Classes != 3 || !slices.Equal(d.Labels, []int{0, 2, 1, 2}) || d.X[5] != 1.25 {
				t.Errorf("got %+v", d)
			}
		})
	}
}
