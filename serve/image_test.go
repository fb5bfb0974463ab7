package serve

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"strings"
	"testing"
)

// moments returns the total, the centre of mass and the bounding box of
// the values above 0.1 of a 28×28 input.
func moments(x []float32) (sum, cx, cy float64, box image.Rectangle) {
	for i, v := range x {
		sum += float64(v)
		cx += float64(v) * (float64(i%28) + 0.5)
		cy += float64(v) * (float64(i/28) + 0.5)
		if v > 0.1 {
			box = box.Union(image.Rect(i%28, i/28, i%28+1, i/28+1))
		}
	}
	return sum, cx / sum, cy / sum, box
}

// TestDecodeImage: uploads are scaled as MNIST is: a light digit on black,
// its box fitting 20×20, centred by mass, whatever the image's size,
// colours, transparency and placement.
func TestDecodeImage(t *testing.T) {
	dark := digitImage(300, 200) // a dark 1 on light grey, off to one side below
	light := image.NewGray(image.Rect(0, 0, 50, 50))
	for y := 5; y < 20; y++ {
		for x := 30; x < 45; x++ {
			light.SetGray(x, y, color.Gray{255}) // a light square on black, in a corner
		}
	}
	clear := image.NewNRGBA(image.Rect(0, 0, 40, 40)) // black strokes on transparency
	for y := 10; y < 30; y++ {
		clear.SetNRGBA(20, y, color.NRGBA{A: 255})
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, dark, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, contentType string
		body              []byte
		wantW, wantH      int // the box's size, ±1
	}{
		{"dark on light PNG", "image/png", encodePNG(t, dark), 0, 20},
		{"light on dark PNG", "image/png", encodePNG(t, light), 20, 20},
		{"transparent PNG", "image/png", encodePNG(t, clear), 0, 20},
		{"JPEG", "image/jpeg", jpg.Bytes(), 0, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := DecodeImage(tc.body, tc.contentType, []int{1, 28, 28}, DefaultMaxPixels)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range x {
				if v < 0 || v > 1 {
					t.Fatalf("value %d is %v, outside [0, 1]", i, v)
				}
			}
			sum, cx, cy, box := moments(x)
			if sum < 10 {
				t.Fatalf("no ink: sum %v", sum)
			}
			if math.Abs(cx-14) > 1 || math.Abs(cy-14) > 1 {
				t.Errorf("centre of mass (%.1f, %.1f), want (14, 14)", cx, cy)
			}
			if tc.wantW > 0 && math.Abs(float64(box.Dx()-tc.wantW)) > 1 {
				t.Errorf("box %v is %d wide, want %d", box, box.Dx(), tc.wantW)
			}
			if math.Abs(float64(box.Dy()-tc.wantH)) > 1 {
				t.Errorf("box %v is %d high, want %d", box, box.Dy(), tc.wantH)
			}
			if x[0] != 0 || x[27] != 0 || x[28*27] != 0 || x[783] != 0 {
				t.Error("the corners are not black")
			}
		})
	}
	t.Run("blank", func(t *testing.T) {
		x, err := DecodeImage(encodePNG(t, image.NewGray(image.Rect(0, 0, 10, 10))), "image/png", []int{1, 28, 28}, DefaultMaxPixels)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range x {
			if v != 0 {
				t.Fatal("a blank image is not all zeros")
			}
		}
	})
	for _, tc := range []struct {
		name, contentType string
		body              []byte
		want              string
	}{
		{"over the pixel limit", "image/png", encodePNG(t, dark), "300×200 pixels is over the limit of 1000"},
		{"huge header", "image/png", hugePNG(t, 1<<16, 1<<16), "65536×65536 pixels is over the limit"},
		{"zero size", "image/png", hugePNG(t, 0, 5), "decoding image/png"},
		{"truncated", "image/png", encodePNG(t, digitImage(20, 20))[:60], "decoding image/png"},
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
