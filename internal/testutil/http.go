package testutil

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
)

// Do runs a request through h and returns the status, the body and the
// header of the answer.
func Do(t testing.TB, h http.Handler, method, path, contentType string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes(), w.Header()
}

// DigitImage is a w×h image of a dark "1" on a light background.
func DigitImage(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 240
	}
	for y := h / 5; y < h*4/5; y++ {
		for x := w/2 - w/20; x <= w/2+w/20; x++ {
			g.SetGray(x, y, color.Gray{20})
		}
	}
	return g
}

// ColourImage is a w×h picture of red, green and blue bands with a
// gradient, half transparent in one corner.
func ColourImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{R: uint8(255 * x / w), G: uint8(255 * y / h), B: uint8(40 * ((x / 7) % 3)), A: 255}
			if x < w/4 && y < h/4 {
				c.A = 128
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// EncodePNG returns img as a PNG file.
func EncodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// HugePNG is a valid 1×1 PNG whose header then claims w×h pixels.
func HugePNG(t testing.TB, w, h uint32) []byte {
	b := EncodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// The IHDR chunk: length at 8, type at 12, width 16, height 20, CRC at 29.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// ImageBombEnv marks the child process of ImageBomb.
const ImageBombEnv = "GOCNN_IMAGE_BOMB_CHILD"

// ImageBomb checks that 32 concurrent uploads of the largest image allowed
// (2048×2048, a few KiB of PNG that decode to 4 Mi pixels each) and one
// that declares 2^32 pixels keep a server's peak memory under 150 MiB. The
// uploads run in a child process (the test named test, run again), whose
// peak RSS the parent reads; in the child, newServer makes the server and
// path is its predict route. Call it from that test; skip it under the
// race detector, which multiplies memory.
func ImageBomb(t *testing.T, test string, newServer func(testing.TB) http.Handler, path string) {
	t.Helper()
	if os.Getenv(ImageBombEnv) != "" {
		s := newServer(t)
		big := EncodePNG(t, DigitImage(2048, 2048))
		var wg sync.WaitGroup
		for i := range 32 {
			wg.Go(func() {
				if code, body, _ := Do(t, s, "POST", path, "image/png", big); code != http.StatusOK {
					t.Errorf("upload %d: %d %s", i, code, body)
				}
			})
		}
		wg.Go(func() {
			if code, body, _ := Do(t, s, "POST", path, "image/png", HugePNG(t, 1<<16, 1<<16)); code != http.StatusRequestEntityTooLarge {
				t.Errorf("2^32 pixels: %d %s", code, body)
			}
		})
		wg.Wait()
		t.Logf("PNG of %d bytes", len(big))
		return
	}
	out, rss := Child(t, test, ImageBombEnv, "1")
	const bound = 150 << 20
	t.Logf("child's peak RSS %.0f MiB (bound %d MiB)", float64(rss)/(1<<20), bound>>20)
	if rss > bound {
		t.Errorf("peak RSS %.0f MiB, over %d MiB\n%s", float64(rss)/(1<<20), bound>>20, out)
	}
}
