package data

import (
	"image"
	"image/color"
	"testing"
)

func TestGrayOfMatchesGrayModel(t *testing.T) {
	for _, c := range []color.RGBA{{0, 0, 0, 255}, {255, 255, 255, 255}, {12, 200, 77, 255}, {255, 0, 0, 255}, {1, 2, 3, 255}} {
		want := color.GrayModel.Convert(c).(color.Gray).Y
		if got := grayOf(c.R, c.G, c.B); got != want {
			t.Errorf("grayOf(%v) = %d, want %d", c, got, want)
		}
	}
}

func TestImageValues(t *testing.T) {
	img := image.NewNRGBA(image.Rect(3, 5, 5, 6)) // 2×1, origin not at 0
	img.SetNRGBA(3, 5, color.NRGBA{255, 0, 0, 255})
	img.SetNRGBA(4, 5, color.NRGBA{0, 0, 255, 255})
	tests := []struct {
		name string
		mode ColorMode
		h, w int
		want []float32
	}{
		{"rgb as is", RGB, 1, 2, []float32{1, 0, 0, 0, 0, 1}},
		{"gray as is", Gray, 1, 2, []float32{float32(grayOf(255, 0, 0)) / 255, float32(grayOf(0, 0, 255)) / 255}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ImageValues(img, tc.mode, tc.h, tc.w, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	t.Run("scaled", func(t *testing.T) {
		got, err := ImageValues(img, RGB, 4, 6, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3*4*6 {
			t.Fatalf("%d values, want %d", len(got), 3*4*6)
		}
		for _, v := range got {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("value %v outside [0, 1]", v)
			}
		}
		// The left edge is red, the right edge blue.
		if got[0] < 0.9 || got[2*24+5] < 0.9 {
			t.Errorf("left red %v, right blue %v; want both near 1", got[0], got[2*24+5])
		}
	})
	for _, bad := range []struct {
		name string
		mode ColorMode
		h, w int
		img  image.Image
	}{
		{"unknown mode", 2, 1, 1, img},
		{"zero size", RGB, 0, 1, img},
		{"empty image", RGB, 1, 1, image.NewRGBA(image.Rect(0, 0, 0, 0))},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if _, err := ImageValues(bad.img, bad.mode, bad.h, bad.w, nil); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestParseColorMode(t *testing.T) {
	for in, want := range map[string]ColorMode{"gray": Gray, "GREY": Gray, "rgb": RGB, "RGB": RGB} {
		if got, err := ParseColorMode(in); err != nil || got != want {
			t.Errorf("ParseColorMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseColorMode("cmyk"); err == nil {
		t.Error("cmyk: no error")
	}
}

// TestImageValuesGrayFastPath: a grey image of the size asked for gives
// the values the RGBA path gives (the same image as NRGBA), also when its
// bounds do not start at 0, 0.
func TestImageValuesGrayFastPath(t *testing.T) {
	g := image.NewGray(image.Rect(2, 3, 9, 8))
	for i := range g.Pix {
		g.Pix[i] = uint8(i*37 + 11)
	}
	sub := g.SubImage(image.Rect(3, 4, 8, 7)).(*image.Gray)
	for _, img := range []*image.Gray{g, sub} {
		b := img.Bounds()
		rgba := image.NewNRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				rgba.Set(x, y, img.At(x, y))
			}
		}
		got, err := ImageValues(img, Gray, b.Dy(), b.Dx(), nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ImageValues(rgba, Gray, b.Dy(), b.Dx(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("bounds %v: value %d is %v, want %v", b, i, got[i], want[i])
			}
		}
	}
}
