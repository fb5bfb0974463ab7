package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// idxBytes encodes an IDX file with the given header fields and payload.
func idxBytes(t DType, dims []uint32, payload []byte) []byte {
	b := []byte{0, 0, byte(t), byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

// gzipBytes compresses b.
func gzipBytes(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// seq returns n bytes 0, 1, 2, ...
func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestReadIDXFileGood(t *testing.T) {
	tests := []struct {
		name    string
		typ     DType
		dims    []uint32
		payload []byte
	}{
		{"ubyte3d", UByte, []uint32{3, 4, 5}, seq(60)},
		{"sbyte1d", SByte, []uint32{7}, seq(7)},
		{"int16", Int16, []uint32{2, 3}, seq(12)},
		{"int32", Int32, []uint32{5}, seq(20)},
		{"float32", Float32, []uint32{2, 2}, seq(16)},
		{"float64", Float64, []uint32{1, 1, 1, 3}, seq(24)},
		{"zero dim", UByte, []uint32{0, 28, 28}, nil},
		{"huge dims with a zero", Float64, []uint32{65535, 65535, 0, 65535}, nil},
		{"max dims", UByte, []uint32{1, 1, 1, 1, 1, 1, 1, 2}, seq(2)},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		raw := idxBytes(tt.typ, tt.dims, tt.payload)
		for _, gz := range []bool{false, true} {
			name, content := tt.name, raw
			if gz {
				name, content = name+".gz", gzipBytes(t, raw)
			}
			t.Run(name, func(t *testing.T) {
				// The file name never ends in .gz: detection is by content.
				path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".idx")
				if err := os.WriteFile(path, content, 0o644); err != nil {
					t.Fatal(err)
				}
				x, err := ReadIDXFile(path)
				if err != nil {
					t.Fatalf("ReadIDXFile: %v", err)
				}
				if x.Type != tt.typ {
					t.Errorf("Type = %v, want %v", x.Type, tt.typ)
				}
				want := make([]int, len(tt.dims))
				for i, d := range tt.dims {
					want[i] = int(d)
				}
				if !reflect.DeepEqual(x.Dims, want) {
					t.Errorf("Dims = %v, want %v", x.Dims, want)
				}
				if !bytes.Equal(x.Data, tt.payload) {
					t.Errorf("Data = %v, want %v", x.Data, tt.payload)
				}
				if got := x.Len() * x.Type.Size(); got != len(x.Data) {
					t.Errorf("Len()*Size() = %d, want len(Data) = %d", got, len(x.Data))
				}
				if len(x.Data) != cap(x.Data) {
					t.Errorf("cap(Data) = %d, want exactly %d", cap(x.Data), len(x.Data))
				}
			})
		}
	}
}

func TestReadIDXFileBad(t *testing.T) {
	good := idxBytes(UByte, []uint32{64, 64}, seq(64*64))
	goodGz := gzipBytes(t, good)

	// A gzip stream whose stored CRC does not match its content.
	badCRC := bytes.Clone(goodGz)
	badCRC[len(badCRC)-8] ^= 0xff
	// A gzip stream with a damaged compressed body.
	badBody := bytes.Clone(goodGz)
	for i := 20; i < 40; i++ {
		badBody[i] ^= 0x55
	}

	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"empty", nil, "empty file"},
		{"empty gzip", gzipBytes(t, nil), "empty file"},
		{"short header", []byte{0, 0, 8}, "truncated header: got 3 of 4 bytes"},
		{"bad magic", idxBytes(UByte, []uint32{1}, []byte{1})[2:], "bad magic bytes"},
		{"bad magic 2", append([]byte{0, 1}, idxBytes(UByte, []uint32{1}, []byte{1})[2:]...), "bad magic bytes 0x00 0x01"},
		{"unknown dtype", idxBytes(0x0A, []uint32{1}, []byte{1}), "unknown data type 0x0a"},
		{"zero dtype", idxBytes(0, []uint32{1}, []byte{1}), "unknown data type 0x00"},
		{"no dims", idxBytes(UByte, nil, nil), "no dimensions"},
		{"too many dims", idxBytes(UByte, make([]uint32, 9), nil), "9 dimensions, more than the limit of 8"},
		{"truncated dims", idxBytes(UByte, []uint32{1, 2}, nil)[:9], "truncated header: 2 dimension sizes need 8 bytes, got 5"},
		{"dim too large", idxBytes(UByte, []uint32{0, 1 << 31}, nil), "dimension 1 is 2147483648"},
		{"payload too large", idxBytes(UByte, []uint32{1 << 16, 1 << 16}, nil), "need more than the limit"},
		{"product overflows", idxBytes(Float64, []uint32{1<<31 - 1, 1<<31 - 1, 1<<31 - 1, 1<<31 - 1, 1<<31 - 1, 1<<31 - 1, 1<<31 - 1, 1<<31 - 1}, nil), "need more than the limit"},
		{"float64 too large", idxBytes(Float64, []uint32{1 << 28}, nil), "of float64 need more than the limit"},
		{"truncated payload", idxBytes(Int16, []uint32{5}, seq(7)), "truncated payload: dimensions [5] of int16 need 10 bytes, got 7"},
		{"no payload", idxBytes(UByte, []uint32{3}, nil), "need 3 bytes, got 0"},
		{"truncated payload gz", gzipBytes(t, good[:1000]), "need 4096 bytes, got 988"},
		{"trailing garbage", idxBytes(UByte, []uint32{2}, seq(5)), "3 trailing bytes after the 2-byte payload"},
		{"trailing garbage gz", gzipBytes(t, append(bytes.Clone(good), 1)), "1 trailing bytes after the 4096-byte payload"},
		{"gzip magic only", []byte{0x1f, 0x8b}, "corrupt or truncated gzip"},
		{"gzip header only", goodGz[:10], "corrupt or truncated gzip"},
		{"truncated gzip", goodGz[:len(goodGz)/2], "corrupt or truncated gzip"},
		{"truncated gzip trailer", goodGz[:len(goodGz)-4], "corrupt or truncated gzip"},
		{"gzip bad crc", badCRC, "corrupt or truncated gzip"},
		{"gzip corrupt body", badBody, "corrupt or truncated gzip"},
		{"gzip trailing garbage", append(bytes.Clone(goodGz), "junk"...), "corrupt or truncated gzip"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(path, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			x, err := ReadIDXFile(path)
			if err == nil {
				t.Fatalf("ReadIDXFile = %+v, nil; want error containing %q", x, tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file %s", msg, path)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
}

func TestReadIDXFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope")
	_, err := ReadIDXFile(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("ReadIDXFile(missing) error = %v, want one naming %s", err, path)
	}
}

func TestReadIDXName(t *testing.T) {
	_, err := ReadIDX(bytes.NewReader([]byte{1, 2, 8, 1}), "stream-name")
	if err == nil || !strings.Contains(err.Error(), "stream-name") {
		t.Fatalf("ReadIDX error = %v, want one naming stream-name", err)
	}
}

func TestDTypeString(t *testing.T) {
	tests := []struct {
		t    DType
		want string
		size int
	}{
		{UByte, "ubyte", 1},
		{SByte, "sbyte", 1},
		{Int16, "int16", 2},
		{Int32, "int32", 4},
		{Float32, "float32", 4},
		{Float64, "float64", 8},
		{0x0A, "DType(0x0a)", 0},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.t.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.t.Size(); got != tt.size {
				t.Errorf("Size() = %d, want %d", got, tt.size)
			}
		})
	}
}

// TestReadPayloadGrows checks that a payload larger than the first buffer
// is read intact.
func TestReadPayloadGrows(t *testing.T) {
	payload := seq(3<<20 + 5)
	x, err := ReadIDX(bytes.NewReader(idxBytes(UByte, []uint32{uint32(len(payload))}, payload)), "big")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Data, payload) || cap(x.Data) != len(payload) {
		t.Fatalf("payload differs or has spare capacity: len %d cap %d", len(x.Data), cap(x.Data))
	}
}

func FuzzReadIDX(f *testing.F) {
	good := idxBytes(UByte, []uint32{2, 3}, seq(6))
	f.Add(good)
	f.Add(gzipBytes(f, good))
	f.Add(idxBytes(Float64, []uint32{2}, seq(16)))
	f.Add(idxBytes(Int16, []uint32{0, 5}, nil))
	f.Add([]byte{})
	f.Add([]byte{0, 0})
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff})
	f.Add(idxBytes(Float64, []uint32{1 << 30, 1 << 30}, nil))
	f.Add(idxBytes(UByte, []uint32{4}, seq(9)))
	f.Add(gzipBytes(f, good)[:15])
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		if len(x.Dims) == 0 || len(x.Dims) > MaxIDXDims {
			t.Fatalf("accepted %d dimensions", len(x.Dims))
		}
		if x.Type.Size() == 0 {
			t.Fatalf("accepted type %v", x.Type)
		}
		if len(x.Data) != x.Len()*x.Type.Size() {
			t.Fatalf("len(Data) = %d, want %d for %v of %v", len(x.Data), x.Len()*x.Type.Size(), x.Dims, x.Type)
		}
	})
}

func TestReadIDXN(t *testing.T) {
	five := idxBytes(UByte, []uint32{5, 2, 3}, seq(30))
	tests := []struct {
		name     string
		content  []byte
		n        int
		wantDims []int
		wantData []byte
		wantErr  string
	}{
		{"all, n negative", five, -1, []int{5, 2, 3}, seq(30), ""},
		{"all, n zero", five, 0, []int{5, 2, 3}, seq(30), ""},
		{"first", five, 1, []int{1, 2, 3}, seq(6), ""},
		{"first three", five, 3, []int{3, 2, 3}, seq(18), ""},
		{"exactly all", five, 5, []int{5, 2, 3}, seq(30), ""},
		{"more than all", five, 9, []int{5, 2, 3}, seq(30), ""},
		{"int16 rows", idxBytes(Int16, []uint32{4, 2}, seq(16)), 2, []int{2, 2}, seq(8), ""},
		{"no rows", idxBytes(UByte, []uint32{0, 28, 28}, nil), 3, []int{0, 28, 28}, nil, ""},
		{"empty rows", idxBytes(Float64, []uint32{9, 0}, nil), 3, []int{3, 0}, nil, ""},
		// What is not read is not checked.
		{"trailing garbage beyond", idxBytes(UByte, []uint32{5}, seq(9)), 2, []int{2}, seq(2), ""},
		{"truncated beyond", idxBytes(UByte, []uint32{5, 2}, seq(4)), 2, []int{2, 2}, seq(4), ""},
		// A header too large to read whole may still be read in part.
		{"too large to read whole", idxBytes(UByte, []uint32{1 << 30, 4}, seq(8)), 2, []int{2, 4}, seq(8), ""},

		{"trailing garbage when all", idxBytes(UByte, []uint32{5}, seq(9)), 5, nil, nil, "4 trailing bytes after the 5-byte payload"},
		{"truncated within", idxBytes(UByte, []uint32{5, 2}, seq(4)), 3, nil, nil, "truncated payload: the first 3 entries of dimensions [5 2] of ubyte need 6 bytes, got 4"},
		{"rows too large", idxBytes(UByte, []uint32{3, 1 << 16, 1 << 16}, nil), 1, nil, nil, "the first 1 entries of dimensions [3 65536 65536] of ubyte need more than the limit of 2147483647 bytes"},
		{"prefix too large", idxBytes(Float64, []uint32{1 << 30, 1 << 10}, nil), 1 << 19, nil, nil, "the first 524288 entries of dimensions [1073741824 1024] of float64 need more than the limit of 2147483647 bytes"},
		{"bad header", idxBytes(UByte, nil, nil), 1, nil, nil, "no dimensions"},
	}
	for _, tt := range tests {
		for _, gz := range []bool{false, true} {
			name, content := tt.name, tt.content
			if gz {
				name, content = name+" gz", gzipBytes(t, content)
			}
			t.Run(name, func(t *testing.T) {
				x, err := ReadIDXN(bytes.NewReader(content), "stream", tt.n)
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "stream") {
						t.Fatalf("ReadIDXN(%d) error = %v, want one naming the stream and containing %q", tt.n, err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("ReadIDXN(%d): %v", tt.n, err)
				}
				if !reflect.DeepEqual(x.Dims, tt.wantDims) || !bytes.Equal(x.Data, tt.wantData) || len(x.Data) != cap(x.Data) {
					t.Fatalf("ReadIDXN(%d) = dims %v data %v (cap %d), want %v %v", tt.n, x.Dims, x.Data, cap(x.Data), tt.wantDims, tt.wantData)
				}
			})
		}
	}
}

func TestReadIDXFileN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.idx")
	if err := os.WriteFile(path, gzipBytes(t, idxBytes(UByte, []uint32{5, 2}, seq(10))), 0o644); err != nil {
		t.Fatal(err)
	}
	x, err := ReadIDXFileN(path, 2)
	if err != nil || !reflect.DeepEqual(x.Dims, []int{2, 2}) || !bytes.Equal(x.Data, seq(4)) {
		t.Fatalf("ReadIDXFileN = %+v, %v", x, err)
	}
	if _, err := ReadIDXFileN(path+"-missing", 2); err == nil || !strings.Contains(err.Error(), path+"-missing") {
		t.Fatalf("ReadIDXFileN(missing) error = %v, want one naming the file", err)
	}
}

// FuzzReadIDXN checks that a limited read never panics, reads no more than
// asked, and agrees with a full read: the same data up to the limit, and
// the same error when the limit covers the whole array.
func FuzzReadIDXN(f *testing.F) {
	good := idxBytes(UByte, []uint32{4, 3}, seq(12))
	f.Add(good, 2)
	f.Add(gzipBytes(f, good), 1)
	f.Add(good, 0)
	f.Add(good, 7)
	f.Add(idxBytes(Int32, []uint32{3, 1}, seq(11)), 2)
	f.Add(idxBytes(UByte, []uint32{1 << 31, 1}, seq(3)), 3)
	f.Add(idxBytes(UByte, []uint32{5}, seq(9)), 5)
	f.Add(idxBytes(Float64, []uint32{1 << 30, 1 << 30}, nil), 1)
	f.Add([]byte{0x1f, 0x8b}, 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		x, err := ReadIDXN(bytes.NewReader(b), "fuzz", n)
		full, fullErr := ReadIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz") {
				t.Fatalf("error %q does not name the input", err)
			}
			if fullErr == nil && (n <= 0 || n >= full.Dims[0]) {
				t.Fatalf("limited read of the whole array failed (%v), the full read did not", err)
			}
			return
		}
		if n > 0 && x.Dims[0] > n {
			t.Fatalf("read %d entries, asked for at most %d", x.Dims[0], n)
		}
		if len(x.Data) != x.Len()*x.Type.Size() {
			t.Fatalf("len(Data) = %d, want %d for %v of %v", len(x.Data), x.Len()*x.Type.Size(), x.Dims, x.Type)
		}
		if fullErr == nil && (x.Type != full.Type || !reflect.DeepEqual(x.Dims[1:], full.Dims[1:]) || !bytes.HasPrefix(full.Data, x.Data)) {
			t.Fatalf("limited read %v %v disagrees with the full read %v %v", x.Type, x.Dims, full.Type, full.Dims)
		}
		// Fewer entries than asked for means all were read, so checked.
		if fullErr != nil && (n <= 0 || x.Dims[0] < n) {
			t.Fatalf("limited read of the whole array succeeded, the full read failed: %v", fullErr)
		}
	})
}
