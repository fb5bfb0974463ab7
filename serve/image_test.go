package serve

import (
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/testutil"
)

// TestDecodeImage: an upload to a model of MNIST's shape is converted as
// any other, by data.ImageValues; uploads over the pixel limit, empty,
// truncated or of another type are refused with an error that says so.
func TestDecodeImage(t *testing.T) {
	dark := testutil.DigitImage(300, 200) // a dark 1 on light grey, off to one side below
	x, err := DecodeImage(testutil.EncodePNG(t, dark), "image/png", []int{1, 28, 28}, DefaultMaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	want, err := data.ImageValues(dark, data.Gray, 28, 28, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x, want) {
		t.Errorf("DecodeImage gives other values than data.ImageValues: %v, want %v", x[:28], want[:28])
	}
	for _, tc := range []struct {
		name, contentType string
		body              []byte
		want              string
	}{
		{"over the pixel limit", "image/png", testutil.EncodePNG(t, dark), "300×200 pixels is over the limit of 1000"},
		{"huge header", "image/png", testutil.HugePNG(t, 1<<16, 1<<16), "65536×65536 pixels is over the limit"},
		{"zero size", "image/png", testutil.HugePNG(t, 0, 5), "decoding image/png"},
		{"truncated", "image/png", testutil.EncodePNG(t, testutil.DigitImage(20, 20))[:60], "decoding image/png"},
		{"webp", "image/webp", []byte("RIFF\x00\x00\x00\x00WEBP"), "unsupported image type"},
		{"truncated gif", "image/gif", []byte("GIF89a"), "decoding image/gif"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeImage(tc.body, tc.contentType, []int{1, 28, 28}, 1000)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
