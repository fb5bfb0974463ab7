package viz

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodePNG opens path and decodes it as PNG.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// grayAt returns the grey level of img at (x, y), failing unless the pixel is
// an opaque grey.
func grayAt(t *testing.T, img image.Image, x, y int) uint8 {
	t.Helper()
	r, g, b, a := img.At(x, y).RGBA()
	if r != g || g != b || a != 0xffff {
		t.Fatalf("pixel (%d,%d) = %v, want opaque grey", x, y, img.At(x, y))
	}
	return uint8(r >> 8)
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

// noTemps fails if dir holds anything but the names in keep.
func noTemps(t *testing.T, dir string, keep ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		ok := false
		for _, k := range keep {
			ok = ok || e.Name() == k
		}
		if !ok {
			t.Errorf("unexpected file %q left in %s", e.Name(), dir)
		}
	}
}

func TestNormalise(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	tests := []struct {
		name string
		in   []float32
		want []uint8
	}{
		{"ramp", []float32{0, 1, 2, 3}, []uint8{0, 85, 170, 255}},
		{"negative", []float32{-1, 1, 0, 0.5}, []uint8{0, 255, 128, 191}},
		{"constant", []float32{7, 7, 7, 7}, []uint8{128, 128, 128, 128}},
		{"single", []float32{-3}, []uint8{128}},
		{"non-finite", []float32{nan, inf, -inf, 2, 4}, []uint8{0, 255, 0, 0, 255}},
		{"all nan", []float32{nan, nan}, []uint8{0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := normalise(tc.in)
			if !bytes.Equal(got, tc.want) {
				t.Errorf("normalise(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestGrayImage(t *testing.T) {
	tests := []struct {
		name         string
		m            []float32
		h, w, scale  int
		wantW, wantH int
		// want[y][x] in map coordinates
		want [][]uint8
	}{
		{"2x2 scale 1", []float32{0, 1, 2, 3}, 2, 2, 1, 2, 2, [][]uint8{{0, 85}, {170, 255}}},
		{"2x2 scale 3", []float32{0, 1, 2, 3}, 2, 2, 3, 6, 6, [][]uint8{{0, 85}, {170, 255}}},
		{"1x3 scale 0", []float32{5, 5, 5}, 1, 3, 0, 3, 1, [][]uint8{{128, 128, 128}}},
		{"2x1 scale 2", []float32{1, -1}, 2, 1, 2, 2, 4, [][]uint8{{255}, {0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := GrayImage(tc.m, tc.h, tc.w, tc.scale)
			if b := img.Bounds(); b.Dx() != tc.wantW || b.Dy() != tc.wantH {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.wantW, tc.wantH)
			}
			s := max(tc.scale, 1)
			for y := 0; y < tc.wantH; y++ {
				for x := 0; x < tc.wantW; x++ {
					if got, want := img.GrayAt(x, y).Y, tc.want[y/s][x/s]; got != want {
						t.Errorf("pixel (%d,%d) = %d, want %d", x, y, got, want)
					}
				}
			}
		})
	}
}

func TestGrayImagePanics(t *testing.T) {
	tests := []struct {
		name string
		m    []float32
		h, w int
	}{
		{"short", []float32{1, 2, 3}, 2, 2},
		{"zero size", nil, 0, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			GrayImage(tc.m, tc.h, tc.w, 1)
		})
	}
}

func TestGrayGrid(t *testing.T) {
	ramp := []float32{0, 1, 2, 3}
	flat := []float32{9, 9, 9, 9}
	tests := []struct {
		name               string
		n, cols, scale     int
		wantCols, wantRows int
	}{
		{"one row", 2, 2, 2, 2, 1},
		{"wrap", 5, 2, 1, 2, 3},
		{"auto cols", 5, 0, 3, 3, 2},
		{"cols above n", 3, 10, 1, 3, 1},
		{"scale 0", 4, 2, 0, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			maps := make([][]float32, tc.n)
			for i := range maps {
				maps[i] = ramp
				if i%2 == 1 {
					maps[i] = flat
				}
			}
			path := filepath.Join(t.TempDir(), "grid.png")
			if err := GrayGrid(path, maps, 2, 2, tc.cols, tc.scale); err != nil {
				t.Fatal(err)
			}
			img := decodePNG(t, path)
			s := max(tc.scale, 1)
			const sep = GridSeparator
			wantW := tc.wantCols*2*s + (tc.wantCols+1)*sep
			wantH := tc.wantRows*2*s + (tc.wantRows+1)*sep
			if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
			}
			if !sameColor(img.At(0, 0), SeparatorColor) || !sameColor(img.At(wantW-1, wantH-1), SeparatorColor) {
				t.Errorf("corner pixels %v, %v, want separator colour", img.At(0, 0), img.At(wantW-1, wantH-1))
			}
			for i := range maps {
				x0 := sep + (i%tc.wantCols)*(2*s+sep)
				y0 := sep + (i/tc.wantCols)*(2*s+sep)
				want := [][]uint8{{0, 85}, {170, 255}}
				if i%2 == 1 {
					want = [][]uint8{{128, 128}, {128, 128}}
				}
				for y := 0; y < 2*s; y++ {
					for x := 0; x < 2*s; x++ {
						if got := grayAt(t, img, x0+x, y0+y); got != want[y/s][x/s] {
							t.Errorf("map %d pixel (%d,%d) = %d, want %d", i, x, y, got, want[y/s][x/s])
						}
					}
				}
				if !sameColor(img.At(x0-1, y0), SeparatorColor) {
					t.Errorf("map %d: no separator left of cell", i)
				}
			}
			noTemps(t, filepath.Dir(path), "grid.png")
		})
	}
}

func TestGrayGridErrors(t *testing.T) {
	tests := []struct {
		name string
		maps [][]float32
		want string
	}{
		{"no maps", nil, "no maps"},
		{"wrong length", [][]float32{{1, 2, 3, 4}, {1, 2, 3}}, "map 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "g.png")
			err := GrayGrid(path, tc.maps, 2, 2, 2, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %q and %s", err, tc.want, path)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("file written despite error")
			}
		})
	}
}

func TestDigitGrid(t *testing.T) {
	digit := make([]float32, 4*3) // 4 high, 3 wide
	digit[5] = 1
	tests := []struct {
		name        string
		n           int
		labels      []string
		cols, scale int
		wantW       int
		wantH       int
	}{
		// Cells are max(w*scale, caption width + 4) wide and h*scale (+ 16
		// for a caption) high, with 6 px margins around and between them.
		{"no labels", 3, nil, 3, 2, 3*6 + 4*6, 8 + 2*6},
		{"labels widen cells", 4, []string{"7 (p=7)", "1", "2", "3"}, 2, 2, 2*(7*7+4) + 3*6, 2*(8+16) + 3*6},
		{"big scale", 2, []string{"a", "b"}, 1, 10, 30 + 2*6, 2*(40+16) + 3*6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			images := make([][]float32, tc.n)
			for i := range images {
				images[i] = digit
			}
			path := filepath.Join(t.TempDir(), "digits.png")
			if err := DigitGrid(path, images, 4, 3, tc.labels, tc.cols, tc.scale); err != nil {
				t.Fatal(err)
			}
			img := decodePNG(t, path)
			if b := img.Bounds(); b.Dx() != tc.wantW || b.Dy() != tc.wantH {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.wantW, tc.wantH)
			}
			if got := grayAt(t, img, 0, 0); got != 255 {
				t.Errorf("background %d, want white", got)
			}
			if tc.labels == nil {
				return
			}
			// Some caption pixel of the first cell must be dark.
			cellW := (tc.wantW - (tc.cols+1)*6) / tc.cols
			dark := false
			for y := 6 + 4*tc.scale; y < 6+4*tc.scale+16; y++ {
				for x := 6; x < 6+cellW; x++ {
					r, _, _, _ := img.At(x, y).RGBA()
					dark = dark || r < 0x8000
				}
			}
			if !dark {
				t.Error("no caption drawn under the first image")
			}
		})
	}
}

func TestDigitGridErrors(t *testing.T) {
	ok := [][]float32{{1, 2, 3, 4}}
	tests := []struct {
		name   string
		images [][]float32
		labels []string
		want   string
	}{
		{"no images", nil, nil, "no images"},
		{"label count", ok, []string{"a", "b"}, "2 labels for 1 images"},
		{"wrong length", [][]float32{{1}}, nil, "image 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.png")
			err := DigitGrid(path, tc.images, 2, 2, tc.labels, 0, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %q and %s", err, tc.want, path)
			}
		})
	}
}

func TestLinePlot(t *testing.T) {
	train := []float64{0.91, 0.96, 0.975, 0.98, 0.985}
	val := []float64{0.95, 0.97, 0.978, 0.98, 0.981}
	tests := []struct {
		name   string
		series []Series
	}{
		{"keras accuracy", []Series{{Name: "training", Y: train, Style: Dots}, {Name: "validation", Y: val, Style: Line}}},
		{"one point", []Series{{Name: "loss", Y: []float64{0.5}, Style: LineDots}}},
		{"unnamed constant", []Series{{Y: []float64{1, 1, 1}}}},
		{"many epochs custom colour", []Series{{Name: "loss", Y: make([]float64, 120), Color: color.Black}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plot.png")
			if err := LinePlot(path, "Accuracy", "epoch", "accuracy", tc.series...); err != nil {
				t.Fatal(err)
			}
			img := decodePNG(t, path)
			if b := img.Bounds(); b.Dx() != LinePlotWidth || b.Dy() != LinePlotHeight {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), LinePlotWidth, LinePlotHeight)
			}
			noTemps(t, filepath.Dir(path), "plot.png")
		})
	}
}

func TestLinePlotErrors(t *testing.T) {
	tests := []struct {
		name   string
		series []Series
		want   string
	}{
		{"no series", nil, "no series"},
		{"empty series", []Series{{Name: "a", Y: []float64{1}}, {Name: "b"}}, `series 1 ("b") is empty`},
		{"nan", []Series{{Name: "a", Y: []float64{1, math.NaN()}}}, `series 0 ("a"): Y[1] is NaN`},
		{"inf", []Series{{Y: []float64{math.Inf(-1)}}}, "Y[0] is -Inf"},
		{"bad style", []Series{{Y: []float64{1}, Style: Style(9)}}, "unknown style Style(9)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "p.png")
			err := LinePlot(path, "t", "x", "y", tc.series...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %q and %s", err, tc.want, path)
			}
			noTemps(t, dir)
		})
	}
}

func TestIntegerTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   []float64
	}{
		{1, 1, []float64{1}},
		{1, 5, []float64{1, 2, 3, 4, 5}},
		{0.5, 3.5, []float64{1, 2, 3}},
		{1, 30, []float64{5, 10, 15, 20, 25, 30}},
		{1, 120, []float64{20, 40, 60, 80, 100, 120}},
	}
	for _, tc := range tests {
		t.Run("", func(t *testing.T) {
			ticks := integerTicks{}.Ticks(tc.lo, tc.hi)
			var got []float64
			for _, tk := range ticks {
				got = append(got, tk.Value)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Ticks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("Ticks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
				}
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   string // labelled ticks
	}{
		{0.91, 0.994, "0.92 0.94 0.96 0.98"},
		{0, 1, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{-3, 7, "-2 0 2 4 6"},
		{0, 0.05, "0.00 0.01 0.02 0.03 0.04 0.05"},
		{0.015, 0.3, "0.05 0.10 0.15 0.20 0.25 0.30"},
		{2, 2, "2"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			var labels []string
			for _, tk := range (niceTicks{}).Ticks(tc.lo, tc.hi) {
				if tk.Value < tc.lo-1e-12 || tk.Value > tc.hi+1e-12 {
					t.Errorf("tick %v outside [%v, %v]", tk.Value, tc.lo, tc.hi)
				}
				if tk.Label != "" {
					labels = append(labels, tk.Label)
				}
			}
			if got := strings.Join(labels, " "); got != tc.want {
				t.Errorf("labels %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConfusion(t *testing.T) {
	tests := []struct {
		name    string
		classes int
		pairs   [][2]int
		want    Confusion
		csv     string
		correct int
		acc     float64
	}{
		{
			name:    "three classes",
			classes: 3,
			pairs:   [][2]int{{0, 0}, {0, 0}, {0, 2}, {1, 1}, {2, 1}, {2, 2}, {2, 2}, {2, 2}},
			want:    Confusion{{2, 0, 1}, {0, 1, 0}, {0, 1, 3}},
			csv:     "true\\pred,0,1,2\n0,2,0,1\n1,0,1,0\n2,0,1,3\n",
			correct: 6,
			acc:     0.75,
		},
		{
			name:    "empty",
			classes: 2,
			want:    Confusion{{0, 0}, {0, 0}},
			csv:     "true\\pred,0,1\n0,0,0\n1,0,0\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConfusion(tc.classes)
			for _, p := range tc.pairs {
				c.Add(p[0], p[1])
			}
			for i := range tc.want {
				for j := range tc.want[i] {
					if c[i][j] != tc.want[i][j] {
						t.Errorf("c[%d][%d] = %d, want %d", i, j, c[i][j], tc.want[i][j])
					}
				}
			}
			if c.Total() != len(tc.pairs) || c.Correct() != tc.correct || c.Accuracy() != tc.acc {
				t.Errorf("Total, Correct, Accuracy = %d, %d, %v; want %d, %d, %v",
					c.Total(), c.Correct(), c.Accuracy(), len(tc.pairs), tc.correct, tc.acc)
			}
			var b strings.Builder
			if err := c.WriteCSV(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.csv {
				t.Errorf("CSV:\n%s\nwant:\n%s", b.String(), tc.csv)
			}
			path := filepath.Join(t.TempDir(), "confusion.png")
			if err := c.PNG(path); err != nil {
				t.Fatal(err)
			}
			img := decodePNG(t, path)
			if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 400 {
				t.Errorf("size %dx%d, want 400x400", b.Dx(), b.Dy())
			}
		})
	}
}

func TestConfusionPNGSize(t *testing.T) {
	c := NewConfusion(10)
	c.Add(3, 5)
	path := filepath.Join(t.TempDir(), "c.png")
	if err := c.PNG(path); err != nil {
		t.Fatal(err)
	}
	want := 12 * ConfusionCellSize
	if b := decodePNG(t, path).Bounds(); b.Dx() != want || b.Dy() != want {
		t.Errorf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), want, want)
	}
}

func TestConfusionErrors(t *testing.T) {
	ragged := Confusion{{1, 2}, {3}}
	if err := ragged.WriteCSV(&strings.Builder{}); err == nil || !strings.Contains(err.Error(), "not square") {
		t.Errorf("WriteCSV of ragged matrix: err = %v", err)
	}
	path := filepath.Join(t.TempDir(), "c.png")
	for _, c := range []Confusion{ragged, NewConfusion(0)} {
		if err := c.PNG(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("PNG(%v): err = %v, want one naming %s", c, err, path)
		}
	}
	for _, p := range [][2]int{{-1, 0}, {0, 3}, {3, 0}} {
		t.Run("", func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Add(%d, %d) did not panic", p[0], p[1])
				}
			}()
			NewConfusion(3).Add(p[0], p[1])
		})
	}
}

// writers calls every file-writing function of the package with valid data.
var writers = []struct {
	name  string
	write func(path string) error
}{
	{"LinePlot", func(p string) error {
		return LinePlot(p, "t", "x", "y", Series{Name: "a", Y: []float64{1, 2}})
	}},
	{"GrayGrid", func(p string) error {
		return GrayGrid(p, [][]float32{{1, 2, 3, 4}}, 2, 2, 1, 1)
	}},
	{"DigitGrid", func(p string) error {
		return DigitGrid(p, [][]float32{{1, 2, 3, 4}}, 2, 2, []string{"1"}, 1, 1)
	}},
	{"Confusion.PNG", func(p string) error {
		c := NewConfusion(2)
		c.Add(0, 1)
		return c.PNG(p)
	}},
}

func TestWriteFailures(t *testing.T) {
	for _, wr := range writers {
		t.Run(wr.name+"/missing directory", func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "missing", "out.png")
			if err := wr.write(path); err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %s", err, path)
			}
			noTemps(t, dir)
		})
		t.Run(wr.name+"/parent is a file", func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "file", "out.png")
			if err := wr.write(path); err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %s", err, path)
			}
			noTemps(t, dir, "file")
		})
		t.Run(wr.name+"/target is a directory", func(t *testing.T) {
			// The temporary file is written, then the rename fails: it
			// must be cleaned up.
			dir := t.TempDir()
			path := filepath.Join(dir, "out.png")
			if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := wr.write(path); err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %s", err, path)
			}
			noTemps(t, dir, "out.png")
		})
		t.Run(wr.name+"/read-only directory", func(t *testing.T) {
			if os.Geteuid() == 0 {
				t.Skip("root can write to read-only directories")
			}
			dir := filepath.Join(t.TempDir(), "ro")
			if err := os.Mkdir(dir, 0o555); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(dir, 0o755)
			path := filepath.Join(dir, "out.png")
			if err := wr.write(path); err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %s", err, path)
			}
			noTemps(t, dir)
		})
		t.Run(wr.name+"/overwrite", func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.png")
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := wr.write(path); err != nil {
				t.Fatal(err)
			}
			decodePNG(t, path)
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("stat = %v, %v; want the old file's mode 0600 kept", fi, err)
			}
			noTemps(t, dir, "out.png")
		})
		t.Run(wr.name+"/through a symbolic link", func(t *testing.T) {
			dir := t.TempDir()
			path, real := filepath.Join(dir, "out.png"), filepath.Join(dir, "real.png")
			if err := os.Symlink("real.png", path); err != nil {
				t.Fatal(err)
			}
			if err := wr.write(path); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("lstat = %v, %v; want the link kept", fi, err)
			}
			decodePNG(t, real)
			noTemps(t, dir, "out.png", "real.png")
		})
	}
}

func TestStyleString(t *testing.T) {
	for s, want := range map[Style]string{Line: "Line", Dots: "Dots", LineDots: "LineDots", 7: "Style(7)"} {
		if got := s.String(); got != want {
			t.Errorf("Style(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}
