package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
)

var (
	sized = Format{Name: "test file", Magic: "TESTFILE", Version: 3,
		Sections: []Section{{Name: "meta", Length: Uint32}, {Name: "data", Length: Uint64}}}
	raw = Format{Name: "raw file", Magic: "RAWFILE!", Version: 1,
		Sections: []Section{{Name: "body", Length: Raw}}}
	mixed = Format{Name: "mixed file", Magic: "MIXEDFIL", Version: 2,
		Sections: []Section{{Name: "meta", Length: Uint32}, {Name: "rest", Length: Raw}}}
	formats = []Format{sized, raw, mixed}
)

var le = binary.LittleEndian

func encode(t testing.TB, f Format, sections ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f.Write(&b, sections...); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withSum appends the checksum of b to b.
func withSum(b []byte) []byte { return le.AppendUint32(b, crc32.ChecksumIEEE(b)) }

// TestLayout: Write produces the documented layout byte for byte, and
// Read gives the sections back.
func TestLayout(t *testing.T) {
	tests := []struct {
		name     string
		f        Format
		sections [][]byte
		want     []byte
	}{
		{"sized", sized, [][]byte{[]byte("ab"), []byte("xyz")},
			withSum(slices.Concat([]byte("TESTFILE"), le.AppendUint32(nil, 3), le.AppendUint32(nil, 2), []byte("ab"), le.AppendUint64(nil, 3), []byte("xyz")))},
		{"raw", raw, [][]byte{[]byte("hello")},
			withSum(slices.Concat([]byte("RAWFILE!"), le.AppendUint32(nil, 1), []byte("hello")))},
		{"mixed, empty sections", mixed, [][]byte{{}, {}},
			withSum(slices.Concat([]byte("MIXEDFIL"), le.AppendUint32(nil, 2), le.AppendUint32(nil, 0)))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := encode(t, tc.f, tc.sections...)
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("wrote %x, want %x", got, tc.want)
			}
			maxima := make([]int64, len(tc.sections))
			for i, s := range tc.sections {
				maxima[i] = int64(len(s)) // exactly enough
			}
			back, err := tc.f.Read(bytes.NewReader(got), maxima...)
			if err != nil {
				t.Fatal(err)
			}
			for i := range back {
				if !bytes.Equal(back[i], tc.sections[i]) {
					t.Errorf("section %d read back as %q, want %q", i, back[i], tc.sections[i])
				}
			}
		})
	}
}

// TestReadErrors: every way a file can be wrong is an error that says
// which, with the documented error types.
func TestReadErrors(t *testing.T) {
	good := encode(t, sized, []byte("meta"), []byte("payload"))
	goodRaw := encode(t, raw, []byte("payload"))
	flipped := bytes.Clone(good)
	flipped[len(flipped)-6] ^= 1
	version := bytes.Clone(good)
	version[8] = 4
	head := slices.Concat([]byte("TESTFILE"), le.AppendUint32(nil, 3))
	tests := []struct {
		name    string
		f       Format
		file    []byte
		max     []int64
		want    string
		large   *TooLargeError // when set, the error must be this
		badSum  bool           // the error must be a *ChecksumError
		sumSize int64
	}{
		{"empty", sized, nil, []int64{10, 10}, "not a test file (bad magic or too short)", nil, false, 0},
		{"short", sized, good[:7], []int64{10, 10}, "not a test file", nil, false, 0},
		{"wrong magic", sized, append([]byte("OTHERFIL"), good[8:]...), []int64{10, 10}, "not a test file", nil, false, 0},
		{"other format", raw, good, []int64{10}, "not a raw file", nil, false, 0},
		{"version", sized, version, []int64{10, 10}, "test file version 4; this program reads version 3", nil, false, 0},
		{"ends in a length", sized, good[:14], []int64{10, 10}, "test file is truncated: it ends after 2 of the 4 bytes of the length of its meta section", nil, false, 0},
		{"ends in a section", sized, good[:18], []int64{10, 10}, "test file is truncated: it ends after 2 of the 4 bytes of its meta section", nil, false, 0},
		{"ends in the checksum", sized, good[:len(good)-1], []int64{10, 10}, "ends after 3 of the 4 bytes of its checksum", nil, false, 0},
		{"bit flip", sized, flipped, []int64{10, 10}, "test file is corrupt or truncated (checksum mismatch)", nil, true, int64(len(good))},
		{"data after the checksum", sized, append(bytes.Clone(good), 0), []int64{10, 10}, "test file has data after its checksum", nil, false, 0},
		{"section over its maximum", sized, good, []int64{3, 10}, "the meta section holds 4 bytes, at most 3 are expected",
			&TooLargeError{Format: "test file", Section: "meta", Max: 3, Size: 4}, false, 0},
		{"huge recorded length", sized, slices.Concat(head, le.AppendUint32(nil, 0), le.AppendUint64(nil, math.MaxUint64)), []int64{10, 10}, "holds 9223372036854775807 bytes, at most 10",
			&TooLargeError{Format: "test file", Section: "data", Max: 10, Size: math.MaxInt64}, false, 0},
		{"raw over its maximum", raw, goodRaw, []int64{6}, "the body section holds more than the 6 bytes expected",
			&TooLargeError{Format: "raw file", Section: "body", Max: 6, Size: -1, Partial: []byte("payloa")}, false, 0},
		{"raw cut short", raw, goodRaw[:len(goodRaw)-2], []int64{10}, "raw file is corrupt or truncated (checksum mismatch)", nil, true, int64(len(goodRaw) - 2)},
		{"raw without a checksum", raw, goodRaw[:14], []int64{10}, "checksum mismatch", nil, true, 14},
		{"raw with data after it", raw, append(bytes.Clone(goodRaw), 0), []int64{10}, "checksum mismatch", nil, true, int64(len(goodRaw) + 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.f.Read(bytes.NewReader(tc.file), tc.max...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
			if got != nil {
				t.Errorf("sections %q returned with the error", got)
			}
			var large *TooLargeError
			if errors.As(err, &large) != (tc.large != nil) {
				t.Errorf("err = %#v; a *TooLargeError: %v", err, tc.large != nil)
			} else if tc.large != nil && (large.Format != tc.large.Format || large.Section != tc.large.Section ||
				large.Max != tc.large.Max || large.Size != tc.large.Size || !bytes.Equal(large.Partial, tc.large.Partial)) {
				t.Errorf("err = %+v, want %+v", *large, *tc.large)
			}
			var sum *ChecksumError
			if errors.As(err, &sum) != tc.badSum {
				t.Errorf("err = %#v; a *ChecksumError: %v", err, tc.badSum)
			} else if tc.badSum && sum.Size != tc.sumSize {
				t.Errorf("checksum error says %d bytes were read, want %d", sum.Size, tc.sumSize)
			}
		})
	}
}

// TestBadFormats: a Format that cannot work, or calls that do not fit it,
// are errors, not panics.
func TestBadFormats(t *testing.T) {
	tests := []struct {
		name     string
		f        Format
		sections [][]byte
		max      []int64
		want     string
		readOnly bool // the problem is in the maxima, which only Read takes
	}{
		{"short magic", Format{Name: "x", Magic: "SHORT", Sections: []Section{{Name: "a", Length: Raw}}}, [][]byte{nil}, []int64{1}, "not 8 bytes", false},
		{"raw not last", Format{Name: "x", Magic: "12345678", Sections: []Section{{Name: "a", Length: Raw}, {Name: "b", Length: Uint32}}}, [][]byte{nil, nil}, []int64{1, 1}, "raw section a is not the last", false},
		{"unknown length kind", Format{Name: "x", Magic: "12345678", Sections: []Section{{Name: "a", Length: 9}}}, [][]byte{nil}, []int64{1}, "unknown length kind", false},
		{"too few sections", sized, [][]byte{nil}, []int64{1}, "has 2 sections, 1", false},
		{"negative maximum", sized, [][]byte{nil, nil}, []int64{1, -1}, "negative maximum", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.readOnly {
				if err := tc.f.Write(io.Discard, tc.sections...); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Write: err = %v, want one saying %q", err, tc.want)
				}
			}
			if _, err := tc.f.Read(bytes.NewReader(nil), tc.max...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Read: err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// endless reads as zeros forever, counting what it gives.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	clear(p)
	e.n += int64(len(p))
	return len(p), nil
}

// TestReadIsBounded: whatever a file claims or holds, Read takes no more
// bytes from it than the header, the recorded lengths, the maxima, the
// checksum and one byte to look past the end.
func TestReadIsBounded(t *testing.T) {
	head := slices.Concat([]byte("TESTFILE"), le.AppendUint32(nil, 3))
	meta := []byte("meta")
	const max = 1000
	tests := []struct {
		name   string
		f      Format
		prefix []byte // then zeros forever
		most   int64
	}{
		{"wrong magic", sized, []byte("NOTMAGIC"), HeaderSize},
		{"wrong version", sized, append([]byte("TESTFILE"), 9, 0, 0, 0), HeaderSize},
		{"huge meta length", sized, slices.Concat(head, le.AppendUint32(nil, math.MaxUint32)), HeaderSize + 4},
		{"huge data length", sized, slices.Concat(head, le.AppendUint32(nil, 4), meta, le.AppendUint64(nil, 1<<62)), HeaderSize + 4 + 4 + 8},
		{"allowed length, endless data", sized, slices.Concat(head, le.AppendUint32(nil, 4), meta, le.AppendUint64(nil, max)), HeaderSize + 4 + 4 + 8 + max + TrailerSize + 1},
		{"endless raw section", raw, []byte("RAWFILE!\x01\x00\x00\x00"), HeaderSize + max + TrailerSize + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &testutil.Counter{R: io.MultiReader(bytes.NewReader(tc.prefix), &endless{})}
			maxima := []int64{max, max}[:len(tc.f.Sections)]
			if _, err := tc.f.Read(c, maxima...); err == nil {
				t.Fatal("no error")
			}
			if c.N > tc.most {
				t.Errorf("read %d bytes, want at most %d", c.N, tc.most)
			}
		})
	}
}

// FuzzRead feeds arbitrary bytes to Read for each test format: it must
// not panic, must respect the maxima, and what it accepts must be exactly
// what Write makes of the sections it returns.
func FuzzRead(f *testing.F) {
	f.Add(uint8(0), encode(f, sized, []byte("meta"), []byte("payload")))
	f.Add(uint8(1), encode(f, raw, []byte("payload")))
	f.Add(uint8(2), encode(f, mixed, []byte("m"), []byte("rest")))
	f.Add(uint8(0), []byte("TESTFILE\x03\x00\x00\x00\xff\xff\xff\xff"))
	f.Add(uint8(1), []byte("RAWFILE!"))
	f.Add(uint8(2), []byte{})
	const max = 64
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		format := formats[int(which)%len(formats)]
		maxima := []int64{max, max}[:len(format.Sections)]
		c := &testutil.Counter{R: bytes.NewReader(b)}
		got, err := format.Read(c, maxima...)
		if c.N > HeaderSize+2*(8+max)+TrailerSize+1 {
			t.Fatalf("read %d bytes", c.N)
		}
		if err != nil {
			return
		}
		for i, s := range got {
			if len(s) > max {
				t.Fatalf("section %d has %d bytes, over the maximum", i, len(s))
			}
		}
		if again := encode(t, format, got...); !bytes.Equal(again, b) {
			t.Fatalf("read %x, which writes back as %x", b, again)
		}
	})
}
