package demo

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // for image.Decode
	"math"
	"slices"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/serve"
)

// decode decodes a PNG or JPEG body.
func decode(t testing.TB, body []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// checkMNIST checks that x is 28×28 values in [0, 1] with ink centred by
// mass, black corners, and a box of about wantW×wantH (wantW 0: any).
func checkMNIST(t *testing.T, x []float32, wantW, wantH int) {
	t.Helper()
	if len(x) != 784 {
		t.Fatalf("%d values, want 784", len(x))
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
	if wantW > 0 && math.Abs(float64(box.Dx()-wantW)) > 1 {
		t.Errorf("box %v is %d wide, want %d", box, box.Dx(), wantW)
	}
	if math.Abs(float64(box.Dy()-wantH)) > 1 {
		t.Errorf("box %v is %d high, want %d", box, box.Dy(), wantH)
	}
	if x[0] != 0 || x[27] != 0 || x[28*27] != 0 || x[783] != 0 {
		t.Error("the corners are not black")
	}
}

// TestConvert: images for an MNIST-shaped model are prepared as MNIST's
// are: a light digit on black, its box fitting 20×20, centred by mass,
// whatever the image's size, colours, transparency and placement; a blank
// one is all zeros; other shapes get serve.ConvertImage's values.
func TestConvert(t *testing.T) {
	dark := testutil.DigitImage(300, 200) // a dark 1 on light grey, off to one side below
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
		name         string
		img          image.Image
		wantW, wantH int // the box's size, ±1
	}{
		{"dark on light", dark, 0, 20},
		{"light on dark", light, 20, 20},
		{"transparent", clear, 0, 20},
		{"JPEG", decode(t, jpg.Bytes()), 0, 20},
		{"PNG", decode(t, testutil.EncodePNG(t, dark)), 0, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := Convert(tc.img, []int{1, 28, 28})
			if err != nil {
				t.Fatal(err)
			}
			checkMNIST(t, x, tc.wantW, tc.wantH)
		})
	}
	t.Run("blank", func(t *testing.T) {
		x, err := Convert(image.NewGray(image.Rect(0, 0, 10, 10)), []int{1, 28, 28})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(x, func(v float32) bool { return v != 0 }) {
			t.Fatal("a blank image is not all zeros")
		}
	})
	for _, shape := range [][]int{{1, 32, 32}, {3, 28, 28}, {1, 28, 27}} {
		x, err := Convert(testutil.ColourImage(40, 33), shape)
		want, werr := serve.ConvertImage(testutil.ColourImage(40, 33), shape)
		if err != nil || werr != nil || !slices.Equal(x, want) {
			t.Errorf("shape %v: %v, %v: Convert is not serve.ConvertImage", shape, err, werr)
		}
	}
	if _, err := Convert(dark, []int{2, 8, 8}); err == nil {
		t.Error("2 channels: no error")
	}
}

// TestUploadCentred: a server made as Run makes it answers an upload to
// the MNIST-shaped model with the input Convert prepares, centred.
func TestUploadCentred(t *testing.T) {
	s, m := newServer(t)
	body := testutil.EncodePNG(t, testutil.DigitImage(90, 120))
	code, out, _ := testutil.Do(t, s, "POST", "/v1/models/digits:predict", "image/png", body)
	if code != 200 {
		t.Fatalf("%d %s", code, out)
	}
	var resp struct {
		Predictions [][]float32
		Input       [][]float32
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	x := slices.Concat(resp.Input...)
	want, err := Convert(decode(t, body), []int{1, 28, 28})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x, want) {
		t.Fatal("the input is not what Convert gives")
	}
	checkMNIST(t, x, 0, 20)
	y, err := m.Net.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.Predictions[0], y) {
		t.Errorf("predictions %v, Predict gives %v", resp.Predictions[0], y)
	}
}

// FuzzConvert: no image that decodes makes Convert panic, and it gives
// 784 values in [0, 1] for an MNIST-shaped model.
func FuzzConvert(f *testing.F) {
	f.Add(testutil.EncodePNG(f, testutil.DigitImage(30, 20)))
	f.Add(testutil.EncodePNG(f, testutil.ColourImage(12, 9)))
	f.Add(testutil.EncodePNG(f, image.NewGray(image.Rect(0, 0, 1, 1))))
	f.Fuzz(func(t *testing.T, body []byte) {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
		if err != nil || cfg.Width*cfg.Height > 1<<14 {
			return
		}
		img, _, err := image.Decode(bytes.NewReader(body))
		if err != nil {
			return
		}
		x, err := Convert(img, []int{1, 28, 28})
		if err != nil {
			t.Fatal(err)
		}
		if len(x) != 784 {
			t.Fatalf("%d values", len(x))
		}
		for i, v := range x {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("value %d is %v", i, v)
			}
		}
	})
}
