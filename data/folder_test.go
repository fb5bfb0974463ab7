package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// squareImage returns an h×w picture that differs with class c and number
// i: a coloured square on a gradient.
func squareImage(c, i, h, w int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := color.NRGBA{uint8(40*c + 7*x), uint8(13*i + 5*y), uint8(90 + 11*c - 3*i + x*y), 255}
			if x >= w/4 && x < 3*w/4 && y >= h/4 && y < 3*h/4 {
				v = color.NRGBA{uint8(200 - 50*c), uint8(30 * i), uint8(60 + 20*c), 255}
			}
			img.SetNRGBA(x, y, v)
		}
	}
	return img
}

// encodeImage encodes img as format ("png", "jpeg" or "gif").
func encodeImage(tb testing.TB, img image.Image, format string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	case "gif":
		err = gif.Encode(&buf, img, nil)
	default:
		tb.Fatalf("unknown format %s", format)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes b at path, making its folder.
func writeFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// writeFolder writes, under a new temporary folder, len(counts) classes
// named c0, c1, ..., class c holding counts[c] images h×w named
// img000.<ext>, ..., cycling through the formats, and returns the folder.
func writeFolder(tb testing.TB, counts []int, h, w int, formats ...string) string {
	tb.Helper()
	if len(formats) == 0 {
		formats = []string{"png"}
	}
	dir := tb.TempDir()
	k := 0
	for c, n := range counts {
		for i := range n {
			f := formats[k%len(formats)]
			k++
			ext := f
			if f == "jpeg" {
				ext = "jpg"
			}
			name := filepath.Join(dir, fmt.Sprintf("c%d", c), fmt.Sprintf("img%03d.%s", i, ext))
			writeFile(tb, name, encodeImage(tb, squareImage(c, i, h, w), f))
		}
	}
	return dir
}

// drain returns copies of the batches of the rest of the epoch and its
// error.
func drain(it Batches) ([]Batch, error) {
	var out []Batch
	for it.Next() {
		b := it.Batch()
		out = append(out, Batch{X: slices.Clone(b.X), Labels: slices.Clone(b.Labels), Index: slices.Clone(b.Index), N: b.N})
	}
	return out, it.Err()
}

// sameBatches reports the first difference between batches a and b, bit
// for bit, or "".
func sameBatches(a, b []Batch) string {
	if len(a) != len(b) {
		return "different numbers of batches: " + strconv.Itoa(len(a)) + " and " + strconv.Itoa(len(b))
	}
	for k := range a {
		if a[k].N != b[k].N || !slices.Equal(a[k].Labels, b[k].Labels) || !slices.Equal(a[k].Index, b[k].Index) || len(a[k].X) != len(b[k].X) {
			return "batch " + strconv.Itoa(k) + " differs in N, labels, index or size"
		}
		for j := range a[k].X {
			if math.Float32bits(a[k].X[j]) != math.Float32bits(b[k].X[j]) {
				return "batch " + strconv.Itoa(k) + " differs at value " + strconv.Itoa(j)
			}
		}
	}
	return ""
}

// TestOpenImageFolder checks class names, order, shapes and values of
// folders of PNG, JPEG and GIF files, grey and colour, resized or not.
func TestOpenImageFolder(t *testing.T) {
	tests := []struct {
		name    string
		formats []string
		opts    []FolderOption
		shape   []int
	}{
		{"png gray native size", []string{"png"}, nil, []int{1, 8, 6}},
		{"png rgb", []string{"png"}, []FolderOption{Color(RGB)}, []int{3, 8, 6}},
		{"png rgb resized", []string{"png"}, []FolderOption{Color(RGB), ImageSize(5, 9)}, []int{3, 5, 9}},
		{"jpeg gray", []string{"jpeg"}, nil, []int{1, 8, 6}},
		{"gif rgb resized", []string{"gif"}, []FolderOption{Color(RGB), ImageSize(4, 4)}, []int{3, 4, 4}},
		{"mixed, one worker, no prefetch", []string{"png", "jpeg", "gif"}, []FolderOption{Workers(1), Prefetch(0)}, []int{1, 8, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFolder(t, []int{3, 2, 4}, 8, 6, tc.formats...)
			f, err := OpenImageFolder(dir, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.ClassNames(); !slices.Equal(got, []string{"c0", "c1", "c2"}) {
				t.Errorf("ClassNames = %v", got)
			}
			if f.Len() != 9 || !slices.Equal(f.Labels(), []int{0, 0, 0, 1, 1, 2, 2, 2, 2}) {
				t.Errorf("Len %d, Labels %v", f.Len(), f.Labels())
			}
			if files := f.Files(); !slices.IsSorted(files) || !strings.HasSuffix(files[3], filepath.Join("c1", "img000."+filepath.Ext(files[3])[1:])) {
				t.Errorf("Files = %v", files)
			}
			in := f.Info()
			if !slices.Equal(in.Shape, tc.shape) || in.Targets != 3 || !in.HasLabels || in.HasY || in.HasWeights || len(in.ClassNames) != 3 {
				t.Errorf("Info = %+v", in)
			}
			ds, err := f.Load()
			if err != nil {
				t.Fatal(err)
			}
			if err := ds.Check(); err != nil {
				t.Fatal(err)
			}
			// Each example is ImageValues of its decoded file.
			for i, path := range f.Files() {
				raw, _ := os.ReadFile(path)
				img, _, err := image.Decode(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				want, err := ImageValues(img, ColorMode(tc.shape[0]), tc.shape[1], tc.shape[2], nil)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ds.Image(i), want) {
					t.Fatalf("example %d (%s) differs from ImageValues", i, path)
				}
			}
		})
	}
}

// TestImageFolderListing checks what is and is not an example: case of
// extensions, hidden and other files, nested folders, links.
func TestImageFolderListing(t *testing.T) {
	dir := t.TempDir()
	png1 := encodeImage(t, squareImage(0, 0, 4, 4), "png")
	for _, name := range []string{"a/x.PNG", "a/sub/y.jpeg", "a/sub/deeper/z.Gif", "a/w.JPG", "b/b.png", ".hidden/h.png", "a/.h.png", "a/.hid/q.png"} {
		writeFile(t, filepath.Join(dir, name), png1)
	}
	writeFile(t, filepath.Join(dir, "a", "notes.txt"), []byte("not an image"))
	writeFile(t, filepath.Join(dir, "loose.png"), png1) // not in a class folder
	if err := os.Symlink(filepath.Join(dir, "b", "b.png"), filepath.Join(dir, "a", "link.png")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	// A link to a folder, here to its own parent: a loop if followed.
	if err := os.Symlink("..", filepath.Join(dir, "a", "sub", "up")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "b"), filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	f, err := OpenImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, p := range f.Files() {
		r, _ := filepath.Rel(dir, p)
		rel = append(rel, filepath.ToSlash(r))
	}
	want := []string{"a/link.png", "a/sub/deeper/z.Gif", "a/sub/y.jpeg", "a/w.JPG", "a/x.PNG", "b/b.png"}
	if !slices.Equal(rel, want) || !slices.Equal(f.ClassNames(), []string{"a", "b"}) {
		t.Fatalf("files %v, classes %v; want %v, [a b]", rel, f.ClassNames(), want)
	}
	if _, err := f.Load(); err != nil {
		t.Fatal(err)
	}
}

// TestImageFolderOpenErrors checks that a folder without classes or
// images, an empty class and bad options are errors naming the folder.
func TestImageFolderOpenErrors(t *testing.T) {
	png1 := encodeImage(t, squareImage(0, 0, 4, 4), "png")
	tests := []struct {
		name  string
		files map[string][]byte
		opts  []FolderOption
		want  string // in the error, after the folder's path
	}{
		{"empty folder", nil, nil, "no class folder"},
		{"only loose files", map[string][]byte{"x.png": png1}, nil, "no class folder"},
		{"empty class", map[string][]byte{"a/x.png": png1, "b/readme.txt": []byte("hi")}, nil, "b has no image"},
		{"bad size", map[string][]byte{"a/x.png": png1}, []FolderOption{ImageSize(0, 3)}, "not positive"},
		{"bad workers", map[string][]byte{"a/x.png": png1}, []FolderOption{Workers(0)}, "workers"},
		{"bad colour", map[string][]byte{"a/x.png": png1}, []FolderOption{Color(2)}, "colour mode"},
		{"bad prefetch", map[string][]byte{"a/x.png": png1}, []FolderOption{Prefetch(-1)}, "prefetch"},
		{"bad cache", map[string][]byte{"a/x.png": png1}, []FolderOption{CacheDecoded(-1)}, "cache"},
		{"bad max pixels", map[string][]byte{"a/x.png": png1}, []FolderOption{MaxPixels(0)}, "pixels"},
		{"first image bad", map[string][]byte{"a/a.png": []byte("junk"), "a/b.png": png1}, nil, "a.png"},
		{"all bad, skipped", map[string][]byte{"a/a.png": []byte("junk")}, []FolderOption{SkipBad()}, "no file is a good image"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, b := range tc.files {
				writeFile(t, filepath.Join(dir, name), b)
			}
			_, err := OpenImageFolder(dir, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want one naming %s and saying %q", err, dir, tc.want)
			}
		})
	}
	if _, err := OpenImageFolder(filepath.Join(t.TempDir(), "none")); err == nil || !strings.Contains(err.Error(), "none") {
		t.Fatalf("missing folder: err = %v", err)
	}
	// The first image bad under SkipBad: the size comes from the next.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a", "a.png"), []byte("junk"))
	writeFile(t, filepath.Join(dir, "a", "b.png"), png1)
	f, err := OpenImageFolder(dir, SkipBad())
	if err != nil || !slices.Equal(f.Info().Shape, []int{1, 4, 4}) || f.Skipped() != 1 {
		t.Fatalf("first bad, SkipBad: %v, %v", err, f)
	}
}

// TestImageFolderMatchesIterator checks that the folder's batches are bit
// for bit those of an Iterator over Load's Dataset, shuffled or not, in
// several epochs, whatever the workers, prefetch and cache.
func TestImageFolderMatchesIterator(t *testing.T) {
	dir := writeFolder(t, []int{7, 5, 11}, 6, 5, "png", "gif")
	tests := []struct {
		name  string
		size  int
		opts  []Option
		fopts []FolderOption
	}{
		{"sequential", 4, nil, nil},
		{"shuffled", 5, []Option{Shuffle(42)}, nil},
		{"shuffled, drop last", 5, []Option{Shuffle(7), DropLast()}, []FolderOption{Color(RGB)}},
		{"one worker, no prefetch", 3, []Option{Shuffle(1)}, []FolderOption{Workers(1), Prefetch(0)}},
		{"many workers, deep prefetch", 2, []Option{Shuffle(2)}, []FolderOption{Workers(8), Prefetch(5)}},
		{"cached", 6, []Option{Shuffle(3)}, []FolderOption{CacheDecoded(1 << 20), Color(RGB), ImageSize(9, 7)}},
		{"partly cached", 6, []Option{Shuffle(3)}, []FolderOption{CacheDecoded(10 * 30)}},
		{"batch larger than the folder", 100, []Option{Shuffle(4)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := OpenImageFolder(dir, tc.fopts...)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := f.Load()
			if err != nil {
				t.Fatal(err)
			}
			ref, err := NewIterator(ds, tc.size, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			it, err := f.Batches(tc.size, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer it.Close()
			for e := range 3 {
				ref.Epoch(e)
				it.Epoch(e)
				want, _ := drain(ref)
				got, err := drain(it)
				if err != nil {
					t.Fatal(err)
				}
				if d := sameBatches(got, want); d != "" {
					t.Fatalf("epoch %d: %s", e, d)
				}
			}
		})
	}
}

// TestImageFolderResume checks that Epoch(3) on a new iterator gives the
// batches that epoch 3 gives after epochs 0 to 2, and that Epoch in the
// middle of an epoch starts over.
func TestImageFolderResume(t *testing.T) {
	dir := writeFolder(t, []int{9, 8}, 5, 5)
	f, err := OpenImageFolder(dir, Workers(3))
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := f.Batches(4, Shuffle(11))
	defer seq.Close()
	var want []Batch
	for e := range 4 {
		seq.Epoch(e)
		if want, err = drain(seq); err != nil {
			t.Fatal(err)
		}
	}
	fresh, _ := f.Batches(4, Shuffle(11))
	defer fresh.Close()
	fresh.Epoch(3)
	got, err := drain(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameBatches(got, want); d != "" {
		t.Fatal(d)
	}
	// Start epoch 3 again after two batches of epoch 1.
	fresh.Epoch(1)
	fresh.Next()
	fresh.Next()
	fresh.Epoch(3)
	if got, err = drain(fresh); err != nil {
		t.Fatal(err)
	}
	if d := sameBatches(got, want); d != "" {
		t.Fatal("restarted:", d)
	}
	// Next after the end of an epoch stays false.
	if fresh.Next() {
		t.Fatal("Next true after the end of the epoch")
	}
}

// TestImageFolderSplit checks that Split is deterministic, disjoint and
// complete, and agrees with Dataset.Split.
func TestImageFolderSplit(t *testing.T) {
	dir := writeFolder(t, []int{6, 7, 4}, 4, 4)
	f, err := OpenImageFolder(dir, Color(RGB))
	if err != nil {
		t.Fatal(err)
	}
	train, val, err := f.Split(0.25, 5)
	if err != nil {
		t.Fatal(err)
	}
	train2, val2, _ := f.Split(0.25, 5)
	if !slices.Equal(train.Files(), train2.Files()) || !slices.Equal(val.Files(), val2.Files()) {
		t.Fatal("Split is not deterministic")
	}
	if train.Len() != 13 || val.Len() != 4 {
		t.Fatalf("split 17 into %d and %d; want 13 and 4", train.Len(), val.Len())
	}
	all := append(train.Files(), val.Files()...)
	slices.Sort(all)
	if !slices.Equal(all, f.Files()) {
		t.Fatal("the parts are not disjoint and complete")
	}
	if !slices.Equal(train.ClassNames(), f.ClassNames()) || !slices.Equal(train.Info().Shape, f.Info().Shape) {
		t.Fatal("the parts lost class names or options")
	}
	other, _, _ := f.Split(0.25, 6)
	if slices.Equal(other.Files(), train.Files()) {
		t.Fatal("seeds 5 and 6 split alike")
	}
	ds, _ := f.Load()
	dtrain, dval, err := ds.Split(13, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		part *ImageFolder
		want *Dataset
	}{{train, dtrain}, {val, dval}} {
		got, err := c.part.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Fatal("Split then Load differs from Load then Dataset.Split")
		}
	}
	for _, frac := range []float64{0, 1, -0.5, math.NaN(), 0.001, 0.999} {
		if _, _, err := f.Split(frac, 1); err == nil {
			t.Errorf("Split(%v) succeeded", frac)
		}
	}
}

// TestImageFolderCache checks that cached examples are read from memory
// in later epochs: the files are gone, yet the batches are the same.
func TestImageFolderCache(t *testing.T) {
	dir := writeFolder(t, []int{5, 6}, 7, 7)
	f, err := OpenImageFolder(dir, Color(RGB), CacheDecoded(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	g, err := OpenImageFolder(dir, Color(RGB)) // no cache
	if err != nil {
		t.Fatal(err)
	}
	it, _ := f.Batches(4, Shuffle(9))
	defer it.Close()
	first, err := drain(it)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "c0")); err != nil {
		t.Fatal(err)
	}
	it.Epoch(1)
	it.Epoch(0)
	again, err := drain(it)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameBatches(again, first); d != "" {
		t.Fatal(d)
	}
	if _, err := f.Load(); err != nil {
		t.Fatal("Load from the cache:", err)
	}
	// Without a cache the removed files are missed.
	itg, _ := g.Batches(4, Shuffle(9))
	defer itg.Close()
	if _, err := drain(itg); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "c0")) {
		t.Fatalf("uncached, files removed: err = %v", err)
	}
}

// pngChunk returns a PNG chunk of type typ holding b.
func pngChunk(typ string, b []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
	out = append(out, typ...)
	out = append(out, b...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), b...)))
}

// pngHeader returns the start of a PNG file declaring an 8-bit grey image
// of w×h pixels, with no image data.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	out := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	return append(out, pngChunk("IEND", nil)...)
}

// TestImageFolderBadFiles checks that each kind of bad file ends the epoch
// (and Load) with an error naming it, and that under SkipBad it is left
// out of its batch and counted once.
func TestImageFolderBadFiles(t *testing.T) {
	good := encodeImage(t, squareImage(1, 2, 6, 6), "png")
	tests := []struct {
		name  string
		write func(t *testing.T, path string) // writes the bad file at path
	}{
		{"truncated png", func(t *testing.T, path string) { writeFile(t, path, good[:len(good)/2]) }},
		{"text named png", func(t *testing.T, path string) { writeFile(t, path, []byte("hello, world\n")) }},
		{"empty file", func(t *testing.T, path string) { writeFile(t, path, nil) }},
		{"0x0 png", func(t *testing.T, path string) { writeFile(t, path, pngHeader(0, 0)) }},
		{"bomb header", func(t *testing.T, path string) { writeFile(t, path, pngHeader(100000, 100000)) }},
		{"symlink loop", func(t *testing.T, path string) {
			if err := os.Symlink(filepath.Base(path), path); err != nil {
				t.Skip(err)
			}
		}},
		{"folder named png", func(t *testing.T, path string) {
			target := filepath.Join(filepath.Dir(filepath.Dir(path)), ".elsewhere")
			if err := os.Mkdir(target, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Skip(err)
			}
		}},
		{"named pipe", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Skip(err)
			}
		}},
		{"unreadable", func(t *testing.T, path string) {
			writeFile(t, path, good)
			if err := os.Chmod(path, 0); err != nil {
				t.Fatal(err)
			}
			if f, err := os.Open(path); err == nil { // root reads it anyway
				f.Close()
				t.Skip("running as a user who reads unreadable files")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for c := range 2 {
				for i := range 3 {
					writeFile(t, filepath.Join(dir, "c"+strconv.Itoa(c), "g"+strconv.Itoa(i)+".png"), encodeImage(t, squareImage(c, i, 6, 6), "png"))
				}
			}
			bad := filepath.Join(dir, "c0", "zbad.png")
			tc.write(t, bad)
			f, err := OpenImageFolder(dir)
			if err != nil {
				t.Fatal(err)
			}
			if f.Len() != 7 {
				t.Fatalf("Len = %d; want 7", f.Len())
			}
			it, _ := f.Batches(2, Shuffle(1))
			defer it.Close()
			_, err = drain(it)
			if err == nil || !strings.Contains(err.Error(), bad) {
				t.Fatalf("Err = %v; want one naming %s", err, bad)
			}
			if it.Next() {
				t.Fatal("Next after an error")
			}
			t.Log(err)
			if _, err := f.Load(); err == nil || !strings.Contains(err.Error(), bad) {
				t.Fatalf("Load: %v; want an error naming %s", err, bad)
			}

			f, err = OpenImageFolder(dir, SkipBad())
			if err != nil {
				t.Fatal(err)
			}
			it, _ = f.Batches(2, Shuffle(1))
			defer it.Close()
			for e := range 2 {
				it.Epoch(e)
				bs, err := drain(it)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, b := range bs {
					n += b.N
					if slices.Contains(b.Index, 3) { // zbad.png is example 3
						t.Fatal("the bad example is in a batch")
					}
					if len(b.X) != b.N*36 {
						t.Fatalf("batch of %d examples has %d values", b.N, len(b.X))
					}
				}
				if n != 6 || f.Skipped() != 1 {
					t.Fatalf("epoch %d: %d examples, %d skipped; want 6 and 1", e, n, f.Skipped())
				}
			}
			ds, err := f.Load()
			if err != nil || ds.N != 6 || f.Skipped() != 1 {
				t.Fatalf("Load under SkipBad: %v, %d skipped", err, f.Skipped())
			}
		})
	}
}

// waitGoroutines waits, a few seconds at most, for the number of
// goroutines to fall to n, and fails t if it does not.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

// TestImageFolderGoroutines checks that Close, Epoch and the end of an
// epoch leave no goroutine behind, and that Close is idempotent.
func TestImageFolderGoroutines(t *testing.T) {
	dir := writeFolder(t, []int{10, 10}, 8, 8)
	f, err := OpenImageFolder(dir, Workers(4), Prefetch(1))
	if err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	it, _ := f.Batches(3, Shuffle(1))
	it.Next()
	it.Next()
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, base)
	if it.Next() || it.Close() != nil {
		t.Fatal("Next true, or Close failed, after Close")
	}
	it.Epoch(1) // harmless after Close
	if it.Next() {
		t.Fatal("Next true after Close and Epoch")
	}

	it, _ = f.Batches(3)
	for range 5 {
		it.Next()
		it.Epoch(2) // cancels in flight
	}
	if _, err := drain(it); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, base) // the epoch is over: nothing runs
	it.Close()
	waitGoroutines(t, base)
}

// TestImageFolderConcurrent runs several iterators and Loads over one
// ImageFolder at once (for the race detector) and checks they agree.
func TestImageFolderConcurrent(t *testing.T) {
	dir := writeFolder(t, []int{6, 6}, 6, 6)
	f, err := OpenImageFolder(dir, CacheDecoded(1<<20), Workers(2))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := NewIterator(ds, 5, Shuffle(3))
	want, _ := drain(ref)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it, _ := f.Batches(5, Shuffle(3))
			defer it.Close()
			got, err := drain(it)
			if err != nil {
				errs <- err.Error()
			} else if d := sameBatches(got, want); d != "" {
				errs <- d
			}
			if _, err := f.Load(); err != nil {
				errs <- err.Error()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestImageFolderBatchesErrors checks a bad batch size.
func TestImageFolderBatchesErrors(t *testing.T) {
	dir := writeFolder(t, []int{1}, 3, 3)
	f, err := OpenImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Batches(0); err == nil {
		t.Fatal("batch size 0 accepted")
	}
	var _ Source = f
}

// TestImageFolderLargeFile checks a file larger than what is read whole
// into memory, which is decoded as it is read, and a truncated one.
func TestImageFolderLargeFile(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 256, 200))
	state := uint32(1)
	for i := range img.Pix {
		state = state*1664525 + 1013904223
		img.Pix[i] = uint8(state >> 24)
	}
	b := encodeImage(t, img, "png")
	if len(b) <= smallFile {
		t.Fatalf("the PNG is only %d bytes", len(b))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "big.png")
	writeFile(t, path, b)
	writeFile(t, filepath.Join(dir, "b", "cut.png"), b[:smallFile+100])
	f, err := OpenImageFolder(dir, Color(RGB), ImageSize(16, 12), SkipBad())
	if err != nil {
		t.Fatal(err)
	}
	ds, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ImageValues(img, RGB, 16, 12, nil)
	if ds.N != 1 || !slices.Equal(ds.X, want) || f.Skipped() != 1 {
		t.Fatalf("N = %d, %d skipped, values equal: %v", ds.N, f.Skipped(), slices.Equal(ds.X, want))
	}
}

// registerPanicky registers two image formats whose decoders panic: one
// in DecodeConfig, one in Decode only.
var registerPanicky = sync.OnceFunc(func() {
	image.RegisterFormat("panicky-config", "PANICCFG",
		func(io.Reader) (image.Image, error) { panic("decode of panicky-config") },
		func(io.Reader) (image.Config, error) { panic("config of panicky-config") })
	image.RegisterFormat("panicky-decode", "PANICDEC",
		func(io.Reader) (image.Image, error) { panic("decode of panicky-decode") },
		func(io.Reader) (image.Config, error) {
			return image.Config{ColorModel: color.GrayModel, Width: 2, Height: 2}, nil
		})
})

// TestImageFolderDecoderPanic checks that a decoder's panic becomes an
// error naming the file and the panic, with the stack of the panic.
func TestImageFolderDecoderPanic(t *testing.T) {
	registerPanicky()
	for _, magic := range []string{"PANICCFG", "PANICDEC"} {
		t.Run(magic, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "a", "good.png"), encodeImage(t, squareImage(0, 0, 2, 2), "png"))
			bad := filepath.Join(dir, "a", "panic.png")
			writeFile(t, bad, []byte(magic+"rest"))
			f, err := OpenImageFolder(dir)
			if err != nil {
				t.Fatal(err)
			}
			it, _ := f.Batches(2)
			defer it.Close()
			_, err = drain(it)
			if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "panic") {
				t.Fatalf("err = %v", err)
			}
			if stack := fmt.Sprintf("%+v", err); !strings.Contains(stack, "runtime.gopanic") || !strings.Contains(stack, "folder_test.go") {
				t.Fatalf("the error's stack does not reach the panic:\n%s", stack)
			}
		})
	}
}

// TestImageFolderPrefetchBound checks that decoding stops Prefetch batches
// ahead of the consumer, and that a cached epoch decodes nothing.
func TestImageFolderPrefetchBound(t *testing.T) {
	dir := writeFolder(t, []int{20, 20}, 4, 4)
	for _, p := range []int{0, 1, 3} {
		t.Run("prefetch "+strconv.Itoa(p), func(t *testing.T) {
			f, err := OpenImageFolder(dir, Prefetch(p), Workers(3), CacheDecoded(1<<20))
			if err != nil {
				t.Fatal(err)
			}
			it, _ := f.Batches(3)
			defer it.Close()
			if !it.Next() {
				t.Fatal(it.Err())
			}
			// The held batch and p more: the pipeline fills them and stops.
			want := int64(3 * (p + 1))
			deadline := time.Now().Add(5 * time.Second)
			for f.decoded.Load() < want && time.Now().Before(deadline) {
				runtime.Gosched()
			}
			for range 1000 {
				runtime.Gosched()
			}
			if got := f.decoded.Load(); got != want {
				t.Fatalf("%d files decoded while the first batch is held; want %d", got, want)
			}
			for it.Next() {
			}
			if f.decoded.Load() != 40 {
				t.Fatalf("%d files decoded in an epoch of 40", f.decoded.Load())
			}
			it.Epoch(1)
			if _, err := drain(it); err != nil || f.decoded.Load() != 40 {
				t.Fatalf("cached epoch: %v, %d decoded in all", err, f.decoded.Load())
			}
		})
	}
}
