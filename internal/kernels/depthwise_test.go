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
		// MobileNet's stride-2 blocks: 'same' on an even input pads after
		// it only, on an odd one before it too.
		depthwiseShape(1, 4, 14, 14, 1, 3, 3, 2, 2, 1, 1, true),
		depthwiseShape(3, 2, 15, 13, 1, 3, 3, 2, 2, 1, 1, true),
		depthwiseShape(2, 2, 9, 11, 2, 3, 3, 2, 2, 1, 1, false),
		depthwiseShape(1, 3, 30, 31, 1, 3, 3, 2, 2, 1, 1, false),
		// Stride and dilation that mix the phases: taps of one row fall in
		// different phases, and 1x1 kernels.
		depthwiseShape(2, 3, 17, 19, 2, 3, 3, 3, 2, 2, 3, true),
		depthwiseShape(1, 2, 12, 11, 1, 5, 4, 3, 3, 2, 1, true),
		depthwiseShape(2, 3, 6, 7, 3, 1, 1, 2, 3, 1, 1, false),
		depthwiseShape(1, 1, 40, 3, 1, 3, 3, 1, 1, 1, 1, true),
	}
	rng := rand.New(rand.NewSource(17))
	for len(shapes) < 60 {
		kh, kw, dh, dw := 1+rng.Intn(5), 1+rng.Intn(5), 1+rng.Intn(3), 1+rng.Intn(3)
		sh, sw := 1+rng.Intn(3), 1+rng.Intn(3)
		h, w := (kh-1)*dh+1+rng.Intn(8), (kw-1)*dw+1+rng.Intn(8)
		shapes = append(shapes, depthwiseShape(1+rng.Intn(3), 1+rng.Intn(4), h, w, 1+rng.Intn(3), kh, kw, sh, sw, dh, dw, rng.Intn(2) == 0))
	}
	return shapes
}

// depthwisePaths runs body once per kernel path this build has: the
// assembly one (where the CPU has AVX2 and FMA) and pure Go.
func depthwisePaths(t *testing.T, body func(t *testing.T)) {
	saved := useAsm
	defer func() { useAsm = saved }()
	for _, asm := range []bool{true, false} {
		name := "go"
		if asm {
			name = "asm"
		}
		t.Run(name, func(t *testing.T) {
			if asm && !hasAsm {
				t.Skip("no assembly kernels in this build or on this CPU")
			}
			useAsm = asm
			body(t)
		})
	}
}

// TestDepthwiseMatchesNaive checks the depthwise kernels, in float32 on
// every kernel path and in float64, against the naive float64 loops on
// every shape of depthwiseShapes, with and without a bias.
func TestDepthwiseMatchesNaive(t *testing.T) {
	depthwisePaths(t, func(t *testing.T) {
		for i, s := range depthwiseShapes() {
			t.Run(s.String(), func(t *testing.T) { checkDepthwise(t, i, s) })
		}
	})
}

func checkDepthwise(t *testing.T, i int, s DepthwiseShape) {
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

	// Stale values must be overwritten.
	y, dx, dw, db := fill(len(dy), 9), fill(len(x), 9), fill(len(w), 9), fill(cm, 9)
	DepthwiseForward(s, x, w, b, y)
	DepthwiseBackwardData(s, w, dy, dx)
	DepthwiseBackwardFilter(s, x, dy, dw, db)
	checkClose(t, "y", y, y64, 1e-5)
	checkClose(t, "dx", dx, dx64, 1e-5)
	checkClose(t, "dw", dw, dw64, 1e-5)
	checkClose(t, "db", db, db64, 1e-5)

	y2, dx2, dw2, db2 := make([]float64, len(dy)), make([]float64, len(x)), make([]float64, len(w)), make([]float64, cm)
	DepthwiseForward(s, to64(x), to64(w), b64, y2)
	DepthwiseBackwardData(s, to64(w), to64(dy), dx2)
	DepthwiseBackwardFilter(s, to64(x), to64(dy), dw2, db2)
	for _, r := range []struct {
		name      string
		got, want []float64
	}{{"y", y2, y64}, {"dx", dx2, dx64}, {"dw", dw2, dw64}, {"db", db2, db64}} {
		for k := range r.got {
			if d := r.got[k] - r.want[k]; d > 1e-12 || d < -1e-12 {
				t.Fatalf("float64 %s[%d] = %v, want %v", r.name, k, r.got[k], r.want[k])
			}
		}
	}
}

// fill returns n copies of v.
func fill(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
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

// depthwiseClasses are the depthwise layers of the MobileNet network of
// the benchmark suite (bench/suite.sh) at batch 128: 3×3, 'same', strides
// 1 and 2.
var depthwiseClasses = []struct {
	name string
	s    DepthwiseShape
}{
	{"s1/c16_28", depthwiseShape(128, 16, 28, 28, 1, 3, 3, 1, 1, 1, 1, true)},
	{"s2/c32_28", depthwiseShape(128, 32, 28, 28, 1, 3, 3, 2, 2, 1, 1, true)},
	{"s1/c64_14", depthwiseShape(128, 64, 14, 14, 1, 3, 3, 1, 1, 1, 1, true)},
	{"s2/c64_14", depthwiseShape(128, 64, 14, 14, 1, 3, 3, 2, 2, 1, 1, true)},
	{"s1/c128_7", depthwiseShape(128, 128, 7, 7, 1, 3, 3, 1, 1, 1, 1, true)},
}

// BenchmarkDepthwise runs every pass of every shape of depthwiseClasses
// on every kernel path, as BenchmarkDepthwise/<class>/<pass>/<path>: the
// forward pass (fwd) and the data and filter gradients (data, filter),
// reporting GFLOP/s of the multiply-adds of the convolution.
func BenchmarkDepthwise(b *testing.B) {
	for _, tc := range depthwiseClasses {
		s := tc.s
		rng := rand.New(rand.NewSource(1))
		cm := s.C * s.M
		x, w, bias, dy := randSlice(rng, s.N*s.C*s.H*s.W), randSlice(rng, cm*s.KH*s.KW), randSlice(rng, cm), randSlice(rng, s.N*cm*s.OH*s.OW)
		y, dx, dw, db := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w)), make([]float32, cm)
		flops := 2 * float64(s.N*cm*s.OH*s.OW*s.KH*s.KW)
		b.Run(tc.name+"/fwd", func(b *testing.B) {
			benchFamily(b, flops, func(*testing.B) { DepthwiseForward(s, x, w, bias, y) })
		})
		b.Run(tc.name+"/data", func(b *testing.B) {
			benchFamily(b, flops, func(*testing.B) { DepthwiseBackwardData(s, w, dy, dx) })
		})
		b.Run(tc.name+"/filter", func(b *testing.B) {
			benchFamily(b, flops, func(*testing.B) { DepthwiseBackwardFilter(s, x, dy, dw, db) })
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
