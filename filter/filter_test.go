package filter_test

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gocnn/cnn/filter"
)

func mustKernel(t *testing.T, name string) filter.Kernel {
	t.Helper()
	k, err := filter.ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// randomGray is a grey image with random pixels and bounds that do not
// start at the origin.
func randomGray(r image.Rectangle, seed uint64) *image.Gray {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewGray(r)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img
}

// randomRGBA is a colour image with random, valid premultiplied pixels,
// some of them translucent.
func randomRGBA(r image.Rectangle, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 2))
	img := image.NewRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			a := uint8(255)
			if rng.IntN(4) == 0 {
				a = uint8(rng.IntN(256))
			}
			c := func() uint8 { return uint8(rng.IntN(int(a) + 1)) }
			img.SetRGBA(x, y, color.RGBA{c(), c(), c(), a})
		}
	}
	return img
}

// TestIdentity checks that the identity kernel reproduces its input pixel
// for pixel, for grey and colour images of several kinds.
func TestIdentity(t *testing.T) {
	r := image.Rect(3, 5, 23, 17)
	nrgba := image.NewNRGBA(r)
	for i := range nrgba.Pix {
		nrgba.Pix[i] = uint8(i * 37)
		if i%4 == 3 {
			nrgba.Pix[i] = 255 // opaque, so NRGBA and RGBA agree exactly
		}
	}
	gray16 := image.NewGray16(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			gray16.SetGray16(x, y, color.Gray16{Y: uint16(x*y) * 257})
		}
	}
	tests := []struct {
		name     string
		img      image.Image
		wantGray bool
	}{
		{"gray", randomGray(r, 1), true},
		{"gray16", gray16, true},
		{"rgba with alpha", randomRGBA(r, 2), false},
		{"opaque nrgba", nrgba, false},
		{"one pixel", randomGray(image.Rect(0, 0, 1, 1), 3), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := filter.Apply(tc.img, mustKernel(t, "identity"))
			if err != nil {
				t.Fatal(err)
			}
			if out.Bounds() != tc.img.Bounds() {
				t.Fatalf("bounds %v, want %v", out.Bounds(), tc.img.Bounds())
			}
			_, isGray := out.(*image.Gray)
			_, isRGBA := out.(*image.RGBA)
			if isGray != tc.wantGray || isRGBA == tc.wantGray {
				t.Fatalf("result is a %T", out)
			}
			b := tc.img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					var want, got color.Color
					if tc.wantGray {
						want, got = color.GrayModel.Convert(tc.img.At(x, y)), out.At(x, y)
					} else {
						want, got = color.RGBAModel.Convert(tc.img.At(x, y)), out.At(x, y)
					}
					if want != got {
						t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got, want)
					}
				}
			}
		})
	}
}

// uniform is a w×h grey image of the value v.
func uniform(w, h int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

// TestConstantImage checks each kernel on a constant image: blurs and
// sharpen keep the value in the interior, edge detection gives 0 there,
// and at a corner the zero padding shows (box blur sees 4 of 9 pixels).
func TestConstantImage(t *testing.T) {
	const v = 90
	tests := []struct {
		kernel           string
		interior, corner uint8
	}{
		{"identity", v, v},
		{"edge", 0, 255},         // 8v − 3v = 450, clamped
		{"sharpen", v, 255},      // 5v − 2v = 270, clamped
		{"box-blur", v, 40},      // 4v/9
		{"gaussian-blur", v, 51}, // (4+2+2+1)v/16 = 50.6
	}
	for _, tc := range tests {
		t.Run(tc.kernel, func(t *testing.T) {
			out, err := filter.Apply(uniform(7, 6, v), mustKernel(t, tc.kernel))
			if err != nil {
				t.Fatal(err)
			}
			g := out.(*image.Gray)
			for y := 1; y < 5; y++ {
				for x := 1; x < 6; x++ {
					if got := g.GrayAt(x, y).Y; got != tc.interior {
						t.Fatalf("interior pixel (%d,%d) = %d, want %d", x, y, got, tc.interior)
					}
				}
			}
			for _, p := range []image.Point{{0, 0}, {6, 0}, {0, 5}, {6, 5}} {
				if got := g.GrayAt(p.X, p.Y).Y; got != tc.corner {
					t.Errorf("corner %v = %d, want %d", p, got, tc.corner)
				}
			}
		})
	}
}

// TestLectureInnerProducts reproduces the lecture's inner products of the
// edge and sharpen kernels with a 3x3 patch, at the centre pixel of a 3x3
// image. Intensities are scaled by 100 to fit 8-bit pixels: the lecture's
// 0.1 is 10 here, 0.2 is 20 and 0.8 is 80.
func TestLectureInnerProducts(t *testing.T) {
	patch := func(centre uint8) *image.Gray {
		img := uniform(3, 3, 10)
		img.SetGray(1, 1, color.Gray{Y: centre})
		return img
	}
	tests := []struct {
		name   string
		kernel string
		centre uint8
		want   uint8
	}{
		{"edge on flat 0.1 patch", "edge", 10, 0},
		{"edge with 0.2 centre", "edge", 20, 80},
		{"sharpen on flat 0.1 patch", "sharpen", 10, 10},
		{"sharpen with 0.2 centre", "sharpen", 20, 60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := filter.Apply(patch(tc.centre), mustKernel(t, tc.kernel))
			if err != nil {
				t.Fatal(err)
			}
			if got := out.(*image.Gray).GrayAt(1, 1).Y; got != tc.want {
				t.Errorf("centre = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestColourChannels checks that the channels are filtered separately and
// alpha is kept: a blur of an image whose channels are three different
// constants keeps each constant in the interior.
func TestColourChannels(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 5, 5))
	for y := 0; y < 5; y++ {
		for x := 0; x < 5; x++ {
			img.SetRGBA(x, y, color.RGBA{200, 100, 30, 255})
		}
	}
	for _, name := range []string{"box-blur", "gaussian-blur", "sharpen"} {
		t.Run(name, func(t *testing.T) {
			out, err := filter.Apply(img, mustKernel(t, name))
			if err != nil {
				t.Fatal(err)
			}
			rgba := out.(*image.RGBA)
			if got := rgba.RGBAAt(2, 2); got != (color.RGBA{200, 100, 30, 255}) {
				t.Errorf("interior pixel %v", got)
			}
			if got := rgba.RGBAAt(0, 0).A; got != 255 {
				t.Errorf("corner alpha %d, want 255", got)
			}
		})
	}
}

func TestByName(t *testing.T) {
	if got, want := filter.Names(), []string{"identity", "edge", "sharpen", "box-blur", "gaussian-blur"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	tests := []struct {
		name   string
		sum    float64
		centre float64
	}{
		{"identity", 1, 1},
		{"edge", 0, 8},
		{"sharpen", 1, 5},
		{"box-blur", 1, 1.0 / 9},
		{"gaussian-blur", 1, 4.0 / 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := mustKernel(t, tc.name)
			if k.Name != tc.name || k.Size != 3 || len(k.Weights) != 9 {
				t.Fatalf("kernel %+v", k)
			}
			var sum float64
			for i, w := range k.Weights {
				sum += w
				if w != k.Weights[8-i] {
					t.Errorf("weight %d differs from its half-turn %d", i, 8-i)
				}
			}
			if math.Abs(sum-tc.sum) > 1e-12 || k.Weights[4] != tc.centre {
				t.Errorf("sum %v centre %v, want %v and %v", sum, k.Weights[4], tc.sum, tc.centre)
			}
			k.Weights[4] = 100 // a copy: the next call is unaffected
			if mustKernel(t, tc.name).Weights[4] != tc.centre {
				t.Error("changing a returned kernel changed the named kernel")
			}
		})
	}
	if _, err := filter.ByName("emboss"); err == nil || !strings.Contains(err.Error(), "emboss") || !strings.Contains(err.Error(), "gaussian-blur") {
		t.Errorf("unknown kernel: err = %v", err)
	}
}

func TestApplyErrors(t *testing.T) {
	img := uniform(4, 4, 1)
	tests := []struct {
		name string
		img  image.Image
		k    filter.Kernel
		want string
	}{
		{"even size", img, filter.Kernel{Name: "even", Size: 2, Weights: make([]float64, 4)}, "size 2"},
		{"zero size", img, filter.Kernel{Name: "zero"}, "size 0"},
		{"too large", img, filter.Kernel{Name: "huge", Size: 101, Weights: make([]float64, 101*101)}, "size 101"},
		{"weights do not match", img, filter.Kernel{Name: "short", Size: 3, Weights: make([]float64, 8)}, "8 weights"},
		{"NaN weight", img, filter.Kernel{Name: "nan", Size: 1, Weights: []float64{math.NaN()}}, "NaN"},
		{"empty image", image.NewGray(image.Rect(0, 0, 0, 5)), filter.Kernel{Name: "one", Size: 1, Weights: []float64{1}}, "empty"},
		{"nil image", nil, filter.Kernel{Name: "one", Size: 1, Weights: []float64{1}}, "nil image"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := filter.Apply(tc.img, tc.k)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// A kernel larger than the image still works: 'same' padding surrounds the
// image with zeros.
func TestLargeKernel(t *testing.T) {
	w := make([]float64, 25)
	for i := range w {
		w[i] = 1
	}
	out, err := filter.Apply(uniform(2, 2, 10), filter.Kernel{Name: "sum5", Size: 5, Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out.(*image.Gray).Pix {
		if v != 40 {
			t.Errorf("pixel %d = %d, want 40", i, v)
		}
	}
}

// The edge kernel is 0 on flat regions and large where the centre stands
// out from its neighbours.
func ExampleApply() {
	img := image.NewGray(image.Rect(0, 0, 5, 5))
	for i := range img.Pix {
		img.Pix[i] = 10
	}
	img.SetGray(2, 2, color.Gray{Y: 20})
	k, err := filter.ByName("edge")
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := filter.Apply(img, k)
	if err != nil {
		fmt.Println(err)
		return
	}
	g := out.(*image.Gray)
	for y := 0; y < 5; y++ {
		fmt.Println(g.Pix[y*g.Stride : y*g.Stride+5])
	}
	// Output:
	// [50 30 30 30 50]
	// [30 0 0 0 30]
	// [30 0 80 0 30]
	// [30 0 0 0 30]
	// [50 30 30 30 50]
}

func ExampleNames() {
	fmt.Println(filter.Names())
	// Output: [identity edge sharpen box-blur gaussian-blur]
}
