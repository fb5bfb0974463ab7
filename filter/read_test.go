package filter_test

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
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gocnn/cnn/filter"
)

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngSized is the PNG p with the size in its header changed to w×h (and
// the header's checksum fixed): a header that DecodeConfig accepts, with
// pixel data that does not match it.
func pngSized(p []byte, w, h uint32) []byte {
	p = bytes.Clone(p) // signature, then IHDR: length, type, 13 bytes, CRC
	binary.BigEndian.PutUint32(p[16:], w)
	binary.BigEndian.PutUint32(p[20:], h)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

// pngTransparent is the grey PNG p with a tRNS chunk after its header,
// making black transparent: it decodes to an *image.NRGBA.
func pngTransparent(p []byte) []byte {
	trns := []byte{0, 0, 0, 2, 't', 'R', 'N', 'S', 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(trns[10:], crc32.ChecksumIEEE(trns[4:10]))
	return append(append(append([]byte(nil), p[:33]...), trns...), p[33:]...)
}

// jpegSized is the baseline JPEG j with the size in its frame header
// changed to w×h.
func jpegSized(t testing.TB, j []byte, w, h uint16) []byte {
	t.Helper()
	i := bytes.Index(j, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	j = bytes.Clone(j) // marker, length, precision, height, width
	binary.BigEndian.PutUint16(j[i+5:], h)
	binary.BigEndian.PutUint16(j[i+7:], w)
	return j
}

// colourPicture is a w×h colour test pattern, some of it translucent.
func colourPicture(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	return img
}

// TestDecode checks which pictures Decode reads and which it refuses,
// and that a refusal for size names the picture, its size and the limit.
func TestDecode(t *testing.T) {
	edge := mustKernel(t, "edge")
	grayPNG := encodePNG(t, randomGray(image.Rect(0, 0, 512, 512), 7))
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, randomGray(image.Rect(0, 0, 4, 4), 8), nil); err != nil {
		t.Fatal(err)
	}
	rgba64 := encodePNG(t, image.NewNRGBA64(image.Rect(0, 0, 1, 1)))
	tallPNG := encodePNG(t, randomGray(image.Rect(0, 0, 1, 2000), 3))
	tests := []struct {
		name     string
		data     []byte
		k        filter.Kernel
		maxBytes int64
		want     string // in the error, or "" for success
	}{
		{"grey PNG", grayPNG, edge, filter.MaxBytes, ""},
		{"colour PNG", encodePNG(t, colourPicture(30, 20)), edge, filter.MaxBytes, ""},
		{"paletted PNG", encodePNG(t, image.NewPaletted(image.Rect(0, 0, 9, 9), color.Palette{color.Black, color.White})), edge, filter.MaxBytes, ""},
		{"colour JPEG", encodeJPEG(t, colourPicture(30, 20)), edge, filter.MaxBytes, ""},
		{"grey JPEG", encodeJPEG(t, randomGray(image.Rect(0, 0, 17, 9), 9)), edge, filter.MaxBytes, ""},
		{"grey PNG with a transparent colour", pngTransparent(grayPNG), edge, filter.MaxBytes, ""},
		{"16-bit PNG of 8192x8192", pngSized(rgba64, 8192, 8192), edge, filter.MaxBytes, "8192x8192 png picture needs about"},
		{"PNG of 2^59 pixels", pngSized(rgba64, 1<<30, 1<<29), edge, filter.MaxBytes, "1073741824x536870912 png picture"},
		{"JPEG of the largest size", jpegSized(t, encodeJPEG(t, colourPicture(8, 8)), 65535, 65535), edge, filter.MaxBytes, "65535x65535 jpeg"},
		{"grey PNG under a small limit", grayPNG, edge, 4 << 20, "512x512 png picture"},
		// The header says grey, so the picture is decoded; it turns out
		// to be in colour, which takes three times the buffers to filter.
		{"grey PNG with a transparent colour under a small limit", pngTransparent(grayPNG), edge, 12 << 20, "512x512 png picture"},
		// A 1x2000 picture needs under 2 MiB with a 3x3 kernel, but its
		// padding for a 99x99 one (2098 rows of 106) takes more.
		{"small kernel under a small limit", tallPNG, edge, 2 << 20, ""},
		{"large kernel under a small limit", tallPNG, filter.Kernel{Name: "big", Size: 99, Weights: make([]float64, 99*99)}, 2 << 20, "1x2000 png picture"},
		{"GIF", gifData.Bytes(), edge, filter.MaxBytes, "gif pictures are not supported"},
		{"text", []byte("not a picture"), edge, filter.MaxBytes, "want PNG or JPEG"},
		{"empty", nil, edge, filter.MaxBytes, "want PNG or JPEG"},
		{"truncated PNG", grayPNG[:len(grayPNG)/2], edge, filter.MaxBytes, "decoding"},
		{"bad kernel", grayPNG, filter.Kernel{Name: "even", Size: 2, Weights: make([]float64, 4)}, filter.MaxBytes, "size 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := filter.Decode(bytes.NewReader(tc.data), "pic.x", tc.k, tc.maxBytes)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
				}
				if msg := err.Error(); strings.Contains(msg, "more than the limit") {
					limit := fmt.Sprintf("limit of %d MiB", tc.maxBytes>>20)
					if !strings.Contains(msg, "pic.x") || !strings.Contains(msg, limit) || !strings.Contains(msg, "MiB decoded") {
						t.Errorf("err = %v: want it to name pic.x, the decoded size and the %s", err, limit)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := image.Decode(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != want.Bounds() {
				t.Errorf("bounds %v, want %v", img.Bounds(), want.Bounds())
			}
			if fmt.Sprintf("%T", img) != fmt.Sprintf("%T", want) {
				t.Errorf("got a %T, want a %T", img, want)
			}
		})
	}
}

// TestReadFile reads a picture from a file; anything but a regular file is
// refused, naming the path (named pipes: see cmd/filter's TestFIFOInput).
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.png")
	if err := os.WriteFile(good, encodePNG(t, colourPicture(5, 4)), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.png")
	tests := []struct {
		name, path, want string
	}{
		{"regular file", good, ""},
		{"directory", dir, "not a regular file"},
		{"missing", missing, "no such file"},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct{ name, path, want string }{"device", os.DevNull, "not a regular file"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := filter.ReadFile(tc.path, mustKernel(t, "sharpen"), filter.MaxBytes)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if img.Bounds() != image.Rect(0, 0, 5, 4) {
					t.Errorf("bounds %v, want 5x4", img.Bounds())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("err = %v, want one naming %s and mentioning %q", err, tc.path, tc.want)
			}
		})
	}
}

// FuzzDecode feeds Decode arbitrary bytes under a 32 MiB limit. It must
// never panic; decoding must not allocate more than the limit in all (a
// check that Decode's count is an upper bound); and what it decodes, Apply
// must filter to an image of the same bounds.
func FuzzDecode(f *testing.F) {
	grayPNG := encodePNG(f, randomGray(image.Rect(0, 0, 16, 12), 4))
	f.Add(grayPNG)
	f.Add(pngTransparent(grayPNG))
	f.Add(encodePNG(f, colourPicture(7, 5)))
	f.Add(encodePNG(f, image.NewGray16(image.Rect(0, 0, 3, 3))))
	f.Add(encodePNG(f, image.NewRGBA64(image.Rect(0, 0, 3, 2))))
	f.Add(encodePNG(f, image.NewPaletted(image.Rect(0, 0, 5, 5), color.Palette{color.Black, color.White, color.Transparent})))
	f.Add(pngSized(encodePNG(f, image.NewNRGBA64(image.Rect(0, 0, 1, 1))), 8192, 8192))
	f.Add(encodeJPEG(f, colourPicture(20, 17)))
	f.Add(encodeJPEG(f, randomGray(image.Rect(0, 0, 9, 9), 5)))
	f.Add(jpegSized(f, encodeJPEG(f, colourPicture(8, 8)), 30000, 30000))
	k, err := filter.ByName("box-blur")
	if err != nil {
		f.Fatal(err)
	}
	const maxBytes = 32 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		img, err := filter.Decode(bytes.NewReader(data), "fuzz", k, maxBytes)
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > maxBytes {
			t.Fatalf("Decode allocated %d bytes, more than its limit of %d (err = %v)", n, maxBytes, err)
		}
		if err != nil {
			return
		}
		out, err := filter.Apply(img, k)
		if err != nil {
			t.Fatalf("Apply on a decoded %T %v: %v", img, img.Bounds(), err)
		}
		if out.Bounds() != img.Bounds() {
			t.Fatalf("Apply gave bounds %v for %v", out.Bounds(), img.Bounds())
		}
	})
}
