package serve

import (
	"bytes"
	"context"
	"image/gif"
	"image/jpeg"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
	"github.com/pkg/errors"
)

// manyScanJPEG is a baseline JPEG of an w×h digit whose one scan is
// repeated n times: every scan is decoded again over the whole image, as
// each of a crafted progressive JPEG's is.
func manyScanJPEG(t testing.TB, w, h, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testutil.DigitImage(w, h), nil); err != nil {
		t.Fatal(err)
	}
	j := b.Bytes()
	sos := bytes.Index(j, []byte{0xff, 0xda})
	if sos < 0 || !bytes.HasSuffix(j, []byte{0xff, 0xd9}) {
		t.Fatal("no SOS or EOI in the encoded JPEG")
	}
	out := append([]byte(nil), j[:sos]...)
	for range n {
		out = append(out, j[sos:len(j)-2]...)
	}
	return append(out, 0xff, 0xd9)
}

// TestJPEGScans: the scans of a JPEG are counted before it is decoded,
// and an upload of more than MaxJPEGScans, or of more scans times pixels
// than MaxJPEGScanPixels, is refused with a 400 naming them, while one of
// fewer is served.
func TestJPEGScans(t *testing.T) {
	s, _ := newServer(t)
	for _, tc := range []struct {
		name  string
		side  int
		scans int
		code  int
		want  string
	}{
		{"one scan", 40, 1, http.StatusOK, `"predictions"`},
		{"ten scans", 40, 10, http.StatusOK, `"predictions"`},
		{"the limit", 40, MaxJPEGScans, http.StatusOK, `"predictions"`},
		{"one past the limit", 40, MaxJPEGScans + 1, http.StatusBadRequest, "JPEG of more than 256 scans"},
		{"55,000 scans", 40, 55000, http.StatusBadRequest, "JPEG of more than 256 scans"},
		{"32 scans of 2048×2048", 2048, 32, http.StatusOK, `"predictions"`},
		{"33 scans of 2048×2048", 2048, 33, http.StatusBadRequest, "JPEG of 33 scans of 2048×2048 pixels refused: over 32 scans"},
		{"100 scans of 2048×2048", 2048, 100, http.StatusBadRequest, "JPEG of 100 scans of 2048×2048 pixels refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := manyScanJPEG(t, tc.side, tc.side, tc.scans)
			if got := jpegScans(body, 1<<30); got != tc.scans {
				t.Errorf("jpegScans counts %d scans, want %d", got, tc.scans)
			}
			code, answer, _ := testutil.Do(t, s, "POST", "/v1/models/digits:predict", "image/jpeg", body)
			if code != tc.code || !bytes.Contains(answer, []byte(tc.want)) {
				t.Errorf("%d %.200s, want %d and %q", code, answer, tc.code, tc.want)
			}
		})
	}
}

// cancelAfter is a context whose Err says Canceled from its nth call on:
// a decode that checks it between reads is cancelled part-way, at a point
// that does not depend on timing.
type cancelAfter struct {
	context.Context
	n atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestDecodeImageContext: a decode whose context ends part-way stops at
// its next read and says why, for each image type; the same image decodes
// without a context.
func TestDecodeImageContext(t *testing.T) {
	for _, tc := range []struct {
		contentType string
		body        []byte
	}{
		{"image/jpeg", manyScanJPEG(t, 1024, 1024, 32)},
		{"image/png", testutil.EncodePNG(t, testutil.DigitImage(1024, 1024))},
		{"image/gif", encodeGIF(t)},
	} {
		t.Run(tc.contentType, func(t *testing.T) {
			for _, after := range []int64{0, 1} {
				ctx := &cancelAfter{Context: context.Background()}
				ctx.n.Store(after)
				if _, err := DecodeImageContext(ctx, tc.body, tc.contentType, []int{1, 28, 28}, DefaultMaxPixels); !errors.Is(err, context.Canceled) {
					t.Errorf("decoding with a context cancelled after %d reads: %v", after, err)
				}
			}
			if _, err := DecodeImage(tc.body, tc.contentType, []int{1, 28, 28}, DefaultMaxPixels); err != nil {
				t.Errorf("decoding without a context: %v", err)
			}
		})
	}
}

// encodeGIF is a small digit as a GIF.
func encodeGIF(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, testutil.DigitImage(32, 32), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
