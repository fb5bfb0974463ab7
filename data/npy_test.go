package data

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// npyFile returns a .npy file of the given format version (1, 2 or 3)
// whose header dictionary is dict, padded as NumPy pads it, followed by
// data.
func npyFile(version byte, dict string, data []byte) []byte {
	lenBytes := 2
	if version > 1 {
		lenBytes = 4
	}
	pre := 6 + 2 + lenBytes
	hlen := len(dict) + 1
	hlen += (64 - (pre+hlen)%64) % 64
	hdr := dict + strings.Repeat(" ", hlen-len(dict)-1) + "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.WriteByte(version)
	b.WriteByte(0)
	if version == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(hlen))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(hlen))
	}
	b.WriteString(hdr)
	b.Write(data)
	return b.Bytes()
}

// npyDict returns a .npy header dictionary as NumPy writes it.
func npyDict(descr string, fortran bool, shape string) string {
	order := "False"
	if fortran {
		order = "True"
	}
	return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }"
}

// le encodes values little-endian.
func le(values ...any) []byte {
	var b bytes.Buffer
	for _, v := range values {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

func TestReadNpyDtypes(t *testing.T) {
	want := []float32{-2, 0, 1, 3, 100, 7}
	tests := []struct {
		descr, dtype string
		data         []byte
		want         []float32
	}{
		{"<f4", "float32", le([]float32{-2, 0, 1, 3, 100, 7}), want},
		{"<f8", "float64", le([]float64{-2, 0, 1, 3, 100, 7}), want},
		{"|i1", "int8", le([]int8{-2, 0, 1, 3, 100, 7}), want},
		{"<i2", "int16", le([]int16{-2, 0, 1, 3, 100, 7}), want},
		{"<i4", "int32", le([]int32{-2, 0, 1, 3, 100, 7}), want},
		{"<i8", "int64", le([]int64{-2, 0, 1, 3, 100, 7}), want},
		{"|u1", "uint8", []byte{0, 1, 2, 3, 255, 7}, []float32{0, 1, 2, 3, 255, 7}},
		{"<u2", "uint16", le([]uint16{0, 1, 2, 3, 65535, 7}), []float32{0, 1, 2, 3, 65535, 7}},
		{"<u4", "uint32", le([]uint32{0, 1, 2, 3, 4, 7}), []float32{0, 1, 2, 3, 4, 7}},
		{"<u8", "uint64", le([]uint64{0, 1, 2, 3, 4, 7}), []float32{0, 1, 2, 3, 4, 7}},
		{"|b1", "bool", []byte{0, 1, 0, 1, 1, 0}, []float32{0, 1, 0, 1, 1, 0}},
		{"<u1", "uint8", []byte{0, 1, 2, 3, 4, 5}, []float32{0, 1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		for _, version := range []byte{1, 2, 3} {
			t.Run(tt.descr+"/v"+string('0'+version), func(t *testing.T) {
				file := npyFile(version, npyDict(tt.descr, false, "(2, 3)"), tt.data)
				a, err := ReadNpy(bytes.NewReader(file), "a.npy")
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(a.Shape, []int{2, 3}) || a.Dtype != tt.dtype || !slices.Equal(a.Data, tt.want) {
					t.Errorf("got shape %v dtype %s data %v, want [2 3] %s %v", a.Shape, a.Dtype, a.Data, tt.dtype, tt.want)
				}
			})
		}
	}
}

func TestReadNpyShapes(t *testing.T) {
	tests := []struct {
		name, dict string
		data       []byte
		shape      []int
		want       []float32
	}{
		{"scalar", npyDict("<f4", false, "()"), le(float32(2.5)), []int{}, []float32{2.5}},
		{"vector", npyDict("<f4", false, "(3,)"), le([]float32{1, 2, 3}), []int{3}, []float32{1, 2, 3}},
		{"empty", npyDict("<f4", false, "(0, 5)"), nil, []int{0, 5}, []float32{}},
		{"python2 long", npyDict("<f4", false, "(2L, 1L)"), le([]float32{1, 2}), []int{2, 1}, []float32{1, 2}},
		{"keys reordered", "{'shape': (2,), 'fortran_order': False, 'descr': '<i4'}", le([]int32{4, 5}), []int{2}, []float32{4, 5}},
		{"double quotes", `{"descr": "<i2", "fortran_order": False, "shape": (1,)}`, le(int16(9)), []int{1}, []float32{9}},
		// [[0 1 2] [3 4 5]] stored column by column.
		{"fortran 2-d", npyDict("<f4", true, "(2, 3)"), le([]float32{0, 3, 1, 4, 2, 5}), []int{2, 3}, []float32{0, 1, 2, 3, 4, 5}},
		// a[i,j,k] = 100i+10j+k for shape (2,2,3), first index fastest.
		{"fortran 3-d", npyDict("<f4", true, "(2, 2, 3)"),
			le([]float32{0, 100, 10, 110, 1, 101, 11, 111, 2, 102, 12, 112}), []int{2, 2, 3},
			[]float32{0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112}},
		{"fortran 1-d", npyDict("<f4", true, "(2,)"), le([]float32{1, 2}), []int{2}, []float32{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ReadNpy(bytes.NewReader(npyFile(1, tt.dict, tt.data)), "a.npy")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Shape, tt.shape) || !slices.Equal(a.Data, tt.want) {
				t.Errorf("got shape %v data %v, want %v %v", a.Shape, a.Data, tt.shape, tt.want)
			}
		})
	}
}

func TestReadNpyBad(t *testing.T) {
	good := npyFile(1, npyDict("<f4", false, "(2,)"), le([]float32{1, 2}))
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "a.npy: empty file"},
		{"short magic", []byte("\x93NUM"), "truncated header"},
		{"bad magic", []byte("PK\x03\x04\x00\x00\x00\x00\x00\x00"), "bad magic string"},
		{"bad version", []byte("\x93NUMPY\x09\x00\x10\x00"), "unknown .npy format version 9.0"},
		{"no header length", []byte("\x93NUMPY\x01\x00"), "no header length"},
		{"truncated header", good[:20], "truncated header: declared"},
		{"huge header", []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), "more than the limit of 65536"},
		{"truncated data", good[:len(good)-1], "truncated data: shape [2] of float32 needs 8 bytes, got 7"},
		{"trailing data", append(slices.Clip(good), 0), "trailing bytes"},
		{"big-endian", npyFile(1, npyDict(">f4", false, "(1,)"), []byte{0, 0, 0, 0}), "big-endian"},
		{"object", npyFile(1, npyDict("|O", false, "(1,)"), []byte{0, 0, 0, 0, 0, 0, 0, 0}), "object array"},
		{"string", npyFile(1, npyDict("<U3", false, "(1,)"), nil), "strings"},
		{"float16", npyFile(1, npyDict("<f2", false, "(1,)"), []byte{0, 0}), "unsupported dtype"},
		{"complex", npyFile(1, npyDict("<c8", false, "(1,)"), nil), "unsupported dtype"},
		{"no byte order", npyFile(1, npyDict("|f4", false, "(1,)"), nil), "no byte order"},
		{"structured", npyFile(1, "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }", nil), "structured"},
		{"no shape", npyFile(1, "{'descr': '<f4', 'fortran_order': False}", nil), "no 'shape' key"},
		{"no descr", npyFile(1, "{'shape': (1,), 'fortran_order': False}", nil), "no 'descr' key"},
		{"no order", npyFile(1, "{'shape': (1,), 'descr': '<f4'}", nil), "no 'fortran_order' key"},
		{"extra key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': None}", nil), "unknown key"},
		{"duplicate key", npyFile(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", nil), "twice"},
		{"negative dim", npyFile(1, npyDict("<f4", false, "(-1,)"), nil), "non-negative integer"},
		{"shape not tuple", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': 3}", nil), "unexpected"},
		{"order not bool", npyFile(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", nil), "unexpected"},
		{"no dict", npyFile(1, "hello", nil), "want '{'"},
		{"unterminated", npyFile(1, "{'descr: '<f4'", nil), "want ':'"},
		{"junk after dict", npyFile(1, npyDict("<f4", false, "(1,)")+" x", le(float32(1))), "after the dictionary"},
		{"huge shape", npyFile(1, npyDict("<f4", false, "(1099511627776,)"), nil), "more than the limit"},
		{"huge product", npyFile(1, npyDict("<f8", false, "(65536, 65536, 65536, 65536)"), nil), "more than the limit"},
		{"huge digits", npyFile(1, npyDict("<f8", false, "(99999999999999999999999,)"), nil), "too large"},
		{"too many dims", npyFile(1, npyDict("<f8", false, "("+strings.Repeat("1, ", 33)+")"), nil), "dimensions"},
		{"over cap", npyFile(1, npyDict("|u1", false, "(600000000,)"), nil), "needs 2400000000 bytes, more than the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			a, err := ReadNpy(bytes.NewReader(tt.file), "a.npy")
			if err == nil {
				t.Fatalf("got %+v, want an error", a)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "a.npy") {
				t.Errorf("got error %q, want one naming a.npy and saying %q", err, tt.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestReadNpyLyingShape checks that a header declaring a large array, under
// the cap, with no data behind it, allocates little before failing.
func TestReadNpyLyingShape(t *testing.T) {
	file := npyFile(1, npyDict("<f8", false, "(200000000,)"), make([]byte, 16))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadNpy(bytes.NewReader(file), "a.npy")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated data") {
		t.Errorf("got %v, want truncated data", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("allocated %d bytes for a 16-byte file declaring 1.6 GB", grew)
	}
}

func TestReadNpyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.npy")
	if err := os.WriteFile(path, npyFile(1, npyDict("<i8", false, "(2,)"), le([]int64{3, 4})), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := ReadNpyFile(path)
	if err != nil || !slices.Equal(a.Data, []float32{3, 4}) {
		t.Fatalf("got %v, %v", a, err)
	}
	if _, err := ReadNpyFile(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("reading a directory: got %v, want an error saying it is a directory", err)
	}
	if _, err := ReadNpyFile(filepath.Join(dir, "none.npy")); err == nil {
		t.Error("reading a missing file: no error")
	}
}

// writeZip writes a zip archive of the given members, deflated or stored,
// to path.
func writeZip(t *testing.T, path string, deflate bool, members ...any) {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < len(members); i += 2 {
		method := zip.Store
		if deflate {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: members[i].(string), Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(members[i+1].([]byte)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadNpz(t *testing.T) {
	x := npyFile(1, npyDict("<f4", false, "(3, 2)"), le([]float32{0, 1, 2, 3, 4, 5}))
	y := npyFile(1, npyDict("<i8", false, "(3,)"), le([]int64{1, 0, 2}))
	for _, deflate := range []bool{false, true} {
		name := "stored"
		if deflate {
			name = "deflated"
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.npz")
			writeZip(t, path, deflate, "x.npy", x, "y.npy", y, "other", npyFile(1, npyDict("<f4", false, "()"), le(float32(1))))
			m, err := ReadNpz(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(m) != 3 || !slices.Equal(m["x"].Data, []float32{0, 1, 2, 3, 4, 5}) || !slices.Equal(m["y"].Data, []float32{1, 0, 2}) || m["other"] == nil {
				t.Fatalf("got %v", m)
			}
			d, err := LoadNpz(path, "x", "y")
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
			if d.N != 3 || d.C != 2 || d.Classes != 3 || !slices.Equal(d.Labels, []int{1, 0, 2}) {
				t.Errorf("got %+v", d)
			}
			if _, err := LoadNpz(path, "x", "labels"); err == nil || !strings.Contains(err.Error(), `no array named "labels"`) || !strings.Contains(err.Error(), `"x", "y"`) {
				t.Errorf("missing key: got %v", err)
			}
		})
	}
}

func TestReadNpzBad(t *testing.T) {
	good := npyFile(1, npyDict("<f4", false, "(2,)"), le([]float32{1, 2}))
	dir := t.TempDir()
	tests := []struct {
		name  string
		write func(path string)
		want  string
	}{
		{"not zip", func(p string) { os.WriteFile(p, good, 0o644) }, "not a readable .npz"},
		{"bad member", func(p string) { writeZip(t, p, true, "x.npy", good, "y.npy", []byte("hello, world")) }, "member y.npy: bad magic"},
		{"duplicate", func(p string) { writeZip(t, p, false, "x.npy", good, "x", good) }, "a second array named \"x\""},
		{"truncated member", func(p string) { writeZip(t, p, true, "x.npy", good[:len(good)-2]) }, "member x.npy: truncated data"},
		{"too many members", func(p string) {
			var m []any
			for i := 0; i <= MaxNpzMembers; i++ {
				m = append(m, "a"+string(rune('a'+i%26))+strings.Repeat("z", i/26)+".npy", good)
			}
			writeZip(t, p, false, m...)
		}, "more than the limit of 1024"},
		// A small header followed by 4 MiB of zeros that deflate to
		// almost nothing: the excess is refused after one byte.
		{"bomb", func(p string) { writeZip(t, p, true, "x.npy", append(slices.Clip(good), make([]byte, 4<<20)...)) }, "member x.npy: trailing bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".npz")
			tt.write(path)
			_, err := ReadNpz(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v, want an error naming %s and saying %q", err, path, tt.want)
			}
		})
	}
}

// TestReadNpzCaps checks the archive-wide cap, and the quick refusal of a
// member that declares more than the cap uncompressed.
func TestReadNpzCaps(t *testing.T) {
	dir := t.TempDir()
	a := npyFile(1, npyDict("<f4", false, "(100,)"), make([]byte, 400))
	path := filepath.Join(dir, "two.npz")
	writeZip(t, path, true, "a.npy", a, "b.npy", a)
	if _, err := readNpz(path, 800); err != nil {
		t.Errorf("two arrays of 400 bytes under a cap of 800: %v", err)
	}
	if _, err := readNpz(path, 799); err == nil || !strings.Contains(err.Error(), "member b.npy") || !strings.Contains(err.Error(), "more than the limit of 399") {
		t.Errorf("two arrays of 400 bytes under a cap of 799: got %v", err)
	}

	// A member whose local and central headers declare 1<<40 bytes.
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "x.npy", Method: zip.Deflate, CompressedSize64: 2, UncompressedSize64: 1 << 40, CRC32: 0})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{3, 0})
	zw.Close()
	path = filepath.Join(dir, "big.npz")
	os.WriteFile(path, b.Bytes(), 0o644)
	if _, err := ReadNpz(path); err == nil || !strings.Contains(err.Error(), "declares 1099511627776 bytes uncompressed") {
		t.Errorf("member declaring 1<<40 bytes: got %v", err)
	}
}

func TestFromArrays(t *testing.T) {
	arr := func(shape []int, v ...float32) *Array { return &Array{Shape: shape, Data: v} }
	x4 := arr([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	tests := []struct {
		name      string
		x, y      *Array
		classes   int
		c, h, w   int
		k         int
		labels    []int
		y0        []float32
		wantError string
	}{
		{name: "vectors, labels", x: x4, y: arr([]int{2}, 2, 0), c: 3, k: 3, labels: []int{2, 0}},
		{name: "labels, classes given", x: x4, y: arr([]int{2}, 2, 0), classes: 5, c: 3, k: 5, labels: []int{2, 0}},
		{name: "one class seen", x: x4, y: arr([]int{2}, 0, 0), c: 3, k: 1, labels: []int{0, 0}},
		{name: "grey images", x: arr([]int{2, 1, 3}, 1, 2, 3, 4, 5, 6), y: arr([]int{2}, 1, 0), c: 1, h: 1, w: 3, k: 2, labels: []int{1, 0}},
		{name: "nchw", x: arr([]int{1, 2, 1, 1}, 1, 2), y: arr([]int{1}, 1), c: 2, h: 1, w: 1, k: 2, labels: []int{1}},
		{name: "one feature", x: arr([]int{2}, 1, 2), y: arr([]int{2}, 1, 0), c: 1, k: 2, labels: []int{1, 0}},
		{name: "one-hot", x: x4, y: arr([]int{2, 3}, 0, 0, 1, 1, 0, 0), c: 3, k: 3, labels: []int{2, 0}, y0: []float32{0, 0, 1}},
		{name: "soft targets", x: x4, y: arr([]int{2, 2}, 0.5, 0.5, 1, 0), c: 3, k: 2, y0: []float32{0.5, 0.5}},
		{name: "regression", x: x4, y: arr([]int{2, 1}, 1.5, -2), c: 3, k: 1, y0: []float32{1.5}},
		{name: "nil", x: nil, y: x4, wantError: "needs both"},
		{name: "NaN", x: arr([]int{2, 2}, 1, 2, float32(math.NaN()), 4), y: arr([]int{2}, 0, 1), wantError: "x: value NaN at index [1 0] (example 1) is not finite"},
		{name: "Inf", x: arr([]int{1, 1, 1, 2}, 1, float32(math.Inf(1))), y: arr([]int{1}, 0), wantError: "at index [0 0 0 1]"},
		{name: "N mismatch", x: x4, y: arr([]int{3}, 0, 1, 0), wantError: "x has 2 examples but y has 3 targets"},
		{name: "negative label", x: x4, y: arr([]int{2}, 0, -1), wantError: "label -1 at index 1 is negative"},
		{name: "fractional label", x: x4, y: arr([]int{2}, 0.5, 1), wantError: "label 0.5 at index 0 is not a whole number"},
		{name: "NaN label", x: x4, y: arr([]int{2}, 0, float32(math.NaN())), wantError: "not a number"},
		{name: "huge label", x: x4, y: arr([]int{2}, 0, 1<<25), wantError: "not below the limit"},
		{name: "label over classes", x: x4, y: arr([]int{2}, 0, 3), classes: 3, wantError: "not below the 3 classes"},
		{name: "rows vs classes", x: x4, y: arr([]int{2, 2}, 1, 0, 0, 1), classes: 3, wantError: "rows of 2 targets, but 3 classes"},
		{name: "NaN target", x: x4, y: arr([]int{2, 1}, 1, float32(math.NaN())), wantError: "y: value NaN at index [1 0]"},
		{name: "bad data length", x: arr([]int{2, 3}, 1, 2), y: arr([]int{2}, 0, 1), wantError: "2 values, but shape [2 3] needs 6"},
		{name: "5-d", x: arr([]int{1, 1, 1, 1, 1}, 1), y: arr([]int{1}, 0), wantError: "want [N]"},
		{name: "no examples", x: arr([]int{0, 3}), y: arr([]int{0}), wantError: "no examples"},
		{name: "no features", x: arr([]int{2, 0}), y: arr([]int{2}, 0, 1), wantError: "no values"},
		{name: "scalar y", x: x4, y: arr([]int{}, 1), wantError: "want [N] labels"},
		{name: "negative classes", x: x4, y: arr([]int{2}, 0, 1), classes: -1, wantError: "classes asked for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := FromArrays(tt.x, tt.y, tt.classes)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("got %v, want an error saying %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
			if d.C != tt.c || d.H != tt.h || d.W != tt.w || d.Classes != tt.k || !slices.Equal(d.Labels, tt.labels) {
				t.Errorf("got C,H,W %d,%d,%d Classes %d labels %v, want %d,%d,%d %d %v", d.C, d.H, d.W, d.Classes, d.Labels, tt.c, tt.h, tt.w, tt.k, tt.labels)
			}
			if tt.y0 == nil && d.Y != nil || tt.y0 != nil && !slices.Equal(d.Y[:d.Classes], tt.y0) {
				t.Errorf("got Y %v, want first row %v", d.Y, tt.y0)
			}
		})
	}
}

// TestFromArraysNames checks that errors about arrays read from files name
// the file and member.
func TestFromArraysNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.npz")
	writeZip(t, path, true,
		"x.npy", npyFile(1, npyDict("<f4", false, "(2, 1)"), le([]float32{1, float32(math.NaN())})),
		"y.npy", npyFile(1, npyDict("<i4", false, "(2,)"), le([]int32{0, 1})))
	_, err := LoadNpz(path, "x", "y")
	if err == nil || !strings.Contains(err.Error(), "x ("+path+" member x.npy): value NaN at index [1 0]") {
		t.Errorf("got %v", err)
	}
}

func FuzzReadNpy(f *testing.F) {
	f.Add(npyFile(1, npyDict("<f4", false, "(2, 3)"), le([]float32{0, 1, 2, 3, 4, 5})))
	f.Add(npyFile(2, npyDict("<f8", true, "(2, 2)"), le([]float64{1, 2, 3, 4})))
	f.Add(npyFile(3, npyDict("|u1", false, "(2, 1, 2, 2)"), []byte{1, 2, 3, 4, 5, 6, 7, 8}))
	f.Add(npyFile(1, npyDict("<i8", false, "()"), le(int64(-3))))
	f.Add(npyFile(1, npyDict("|b1", false, "(0,)"), nil))
	f.Add(npyFile(1, npyDict("<f4", false, "(1, 1)"), le(float32(math.NaN()))))
	f.Add(npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", nil))
	f.Add(npyFile(1, npyDict(">i2", false, "(1,)"), []byte{0, 1}))
	f.Add([]byte(npyMagic + "\x01\x00"))
	f.Fuzz(func(t *testing.T, file []byte) {
		a, err := ReadNpy(bytes.NewReader(file), "f.npy")
		if err != nil {
			if !strings.Contains(err.Error(), "f.npy") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if n, ok := mulSizes(a.Shape...); !ok || n != len(a.Data) {
			t.Fatalf("shape %v but %d values", a.Shape, len(a.Data))
		}
		if len(a.Shape) == 0 {
			return
		}
		y := &Array{Shape: a.Shape[:1], Data: make([]float32, a.Shape[0])}
		for i := range y.Data {
			y.Data[i] = float32(i % 3)
		}
		d, err := FromArrays(a, y, 0)
		if err != nil {
			return
		}
		if err := d.Check(); err != nil {
			t.Errorf("inconsistent dataset: %v", err)
		}
	})
}
