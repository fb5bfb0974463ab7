package kernels

import (
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"testing"
)

func (s DepthwiseShape) String() string {
	return fmt.Sprintf("N%d_C%d_%dx%d_M%d_k%dx%d_s%dx%d_d%dx%d_p%d,%d_o%dx%d", s.N, s.C, s.H, s.W, s.M, s.KH, s.KW, s.SH, s.SW, s.DH, s.DW, s.PadT, s.PadL, s.OH, s.OW)
}

// depthwiseShape completes a shape from its input, kernel, stride,
// dilation and padding mode as Keras computes them: 'valid'
// out = floor((in − k')/s) + 1 with k' the dilated extent, 'same'
// out = ceil(in/s) with the odd padding cell after the input.
func depthwiseShape(n, c, h, w, m, kh, kw, sh, sw, dh, dw int, same bool) DepthwiseShape {
	s := DepthwiseShape{N: n, C: c, H: h, W: w, M: m, KH: kh, KW: kw, SH: sh, SW: sw, DH: dh, DW: dw}
	eh, ew := (kh-1)*dh+1, (kw-1)*dw+1
	if same {
		s.OH, s.OW = (h+sh-1)/sh, (w+sw-1)/sw
		s.PadT, s.PadL = max((s.OH-1)*sh+eh-h, 0)/2, max((s.OW-1)*sw+ew-w, 0)/2
	} else {
		s.OH, s.OW = (h-eh)/sh+1, (w-ew)/sw+1
	}
	return s
}

// depthwiseShapes are the fixed cases and random ones: odd sizes, batch 1,
// strides, dilations, multipliers and both paddings.
func depthwiseShapes() []DepthwiseShape {
	shapes := []DepthwiseShape{
		depthwiseShape(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, false),
		depthwiseShape(2, 3, 7, 5, 1, 3, 3, 1, 1, 1, 1, true),
		depthwiseShape(1, 2, 9, 11, 2, 3, 5, 2, 3, 1, 1, true),
		depthwiseShape(3, 4, 8, 8, 3, 3, 3, 1, 1, 2, 2, false),
		depthwiseShape(2, 2, 9, 7, 1, 3, 2, 1, 1, 3, 2, true),
		depthwiseShape(1, 5, 4, 13, 1, 1, 4, 2, 1, 1, 3, true),
		depthwiseShape(2, 3, 16, 16, 1, 3, 3, 2, 2, 1, 1, true),
	}
	rng := rand.New(rand.NewSource(17))
	for len(shapes) < 40 {
		kh, kw, dh, dw := 1+rng.Intn(5), 1+rng.Intn(5), 1+rng.Intn(3), 1+rng.Intn(3)
		sh, sw := 1+rng.Intn(3), 1+rng.Intn(3)
		h, w := (kh-1)*dh+1+rng.Intn(8), (kw-1)*dw+1+rng.Intn(8)
		shapes = append(shapes, depthwiseShape(1+rng.Intn(3), 1+rng.Intn(4), h, w, 1+rng.Intn(3), kh, kw, sh, sw, dh, dw, rng.Intn(2) == 0))
	}
	return shapes
}

// TestDepthwiseMatchesNaive checks the depthwise kernels, in float32 and
// float64, against the naive float64 loops on every shape of
// depthwiseShapes, with and without a bias.
func TestDepthwiseMatchesNaive(t *testing.T) {
	for i, s := range depthwiseShapes() {
		t.Run(s.String(), func(t *testing.T) {
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(int64(i)))
			cm := s.C * s.M
			x, w, b := randSlice(rng, s.N*s.C*s.H*s.W), randSlice(rng, cm*s.KH*s.KW), randSlice(rng, cm)
			dy := randSlice(rng, s.N*cm*s.OH*s.OW)
			if i%2 == 1 {
				b = nil
			}
			var b64 []float64
			if b != nil {
				b64 = to64(b)
			}
			y64 := make([]float64, len(dy))
			NaiveDepthwiseForward(s, to64(x), to64(w), b64, y64)
			dx64, dw64, db64 := make([]float64, len(x)), make([]float64, len(w)), make([]float64, cm)
			NaiveDepthwiseBackward(s, to64(x), to64(w), to64(dy), dx64, dw64, db64)

			y, dx, dw, db := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w)), make([]float32, cm)
			for k := range y { // stale values must be overwritten
				y[k] = 9
			}
			DepthwiseForward(s, x, w, b, y)
			DepthwiseBackwardData(s, w, dy, dx)
			DepthwiseBackwardFilter(s, x, dy, dw, db)
			checkClose(t, "y", y, y64, 1e-5)
			checkClose(t, "dx", dx, dx64, 1e-5)
			checkClose(t, "dw", dw, dw64, 1e-5)
			checkClose(t, "db", db, db64, 1e-5)

			y2 := make([]float64, len(dy))
			DepthwiseForward(s, to64(x), to64(w), b64, y2)
			for k := range y2 {
				if d := y2[k] - y64[k]; d > 1e-12 || d < -1e-12 {
					t.Fatalf("float64 y[%d] = %v, want %v", k, y2[k], y64[k])
				}
			}
		})
	}
}

// TestDepthwiseValidate checks that shapes whose windows leave the input,
// or with sizes that are not positive, are refused.
func TestDepthwiseValidate(t *testing.T) {
	good := depthwiseShape(1, 2, 5, 5, 1, 3, 3, 1, 1, 2, 2, false)
	tests := []struct {
		name string
		edit func(*DepthwiseShape)
	}{
		{"zero multiplier", func(s *DepthwiseShape) { s.M = 0 }},
		{"zero dilation", func(s *DepthwiseShape) { s.DH = 0 }},
		{"output window outside the input", func(s *DepthwiseShape) { s.OH = 6 }},
		{"padding too large", func(s *DepthwiseShape) { s.PadL = 5 }},
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.edit(&s)
			if s.Validate() == nil {
				t.Errorf("%v was accepted", s)
			}
		})
	}
}

// BenchmarkDepthwise times the depthwise kernels at MobileNet-like shapes
// (3×3, 'same') and, for comparison, the same convolution run as a dense
// Conv2D whose kernel is zero off the channel diagonal (what a network
// without a depthwise layer computes). It reports the bytes of x and y
// moved per second.
func BenchmarkDepthwise(b *testing.B) {
	for _, s := range []DepthwiseShape{
		depthwiseShape(16, 32, 56, 56, 1, 3, 3, 1, 1, 1, 1, true),
		depthwiseShape(16, 128, 28, 28, 1, 3, 3, 1, 1, 1, 1, true),
		depthwiseShape(16, 128, 28, 28, 1, 3, 3, 2, 2, 1, 1, true),
	} {
		rng := rand.New(rand.NewSource(1))
		cm := s.C * s.M
		x, w, dy := randSlice(rng, s.N*s.C*s.H*s.W), randSlice(rng, cm*s.KH*s.KW), randSlice(rng, s.N*cm*s.OH*s.OW)
		y, dx, dw, db := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w)), make([]float32, cm)
		bytes := int64(4 * (len(x) + len(y)))
		b.Run(s.String()+"/forward", func(b *testing.B) {
			b.SetBytes(bytes)
			for range b.N {
				DepthwiseForward(s, x, w, nil, y)
			}
		})
		b.Run(s.String()+"/data", func(b *testing.B) {
			b.SetBytes(bytes)
			for range b.N {
				DepthwiseBackwardData(s, w, dy, dx)
			}
		})
		b.Run(s.String()+"/filter", func(b *testing.B) {
			b.SetBytes(bytes)
			for range b.N {
				DepthwiseBackwardFilter(s, x, dy, dw, db)
			}
		})
		cs := ConvShape{N: s.N, C: s.C, H: s.H, W: s.W, F: cm, KH: s.KH, KW: s.KW, SH: s.SH, SW: s.SW, PadT: s.PadT, PadL: s.PadL, OH: s.OH, OW: s.OW}
		dense := make([]float32, cm*s.C*s.KH*s.KW)
		b.Run(s.String()+"/dense-conv-forward", func(b *testing.B) {
			b.SetBytes(bytes)
			for range b.N {
				Conv2DForward(cs, x, dense, nil, y)
			}
		})
	}
}

// TestDepthwiseDeterministic checks that the depthwise kernels give the
// same bits with one goroutine as with several.
func TestDepthwiseDeterministic(t *testing.T) {
	s := depthwiseShape(3, 5, 11, 9, 2, 3, 3, 1, 1, 1, 1, true)
	rng := rand.New(rand.NewSource(9))
	cm := s.C * s.M
	x, w, b, dy := randSlice(rng, s.N*s.C*s.H*s.W), randSlice(rng, cm*9), randSlice(rng, cm), randSlice(rng, s.N*cm*s.OH*s.OW)
	run := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		y, dx, dw, db := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w)), make([]float32, cm)
		DepthwiseForward(s, x, w, b, y)
		DepthwiseBackwardData(s, w, dy, dx)
		DepthwiseBackwardFilter(s, x, dy, dw, db)
		return [][]float32{y, dx, dw, db}
	}
	one, many := run(1), run(4)
	for i := range one {
		if !slices.Equal(one[i], many[i]) {
			t.Errorf("result %d differs between GOMAXPROCS 1 and 4", i)
		}
	}
}
