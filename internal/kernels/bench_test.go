package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// Benchmarks at the shapes of the MNIST recipe with batch 128. Every
// benchmark family runs with the assembly micro-kernel (when available) and
// the pure-Go one.

var (
	benchConv1 = ConvShape{N: 128, C: 1, H: 28, W: 28, F: 10, KH: 5, KW: 5, SH: 1, SW: 1, OH: 24, OW: 24}
	benchConv2 = ConvShape{N: 128, C: 10, H: 12, W: 12, F: 20, KH: 5, KW: 5, SH: 1, SW: 1, OH: 8, OW: 8}
	benchPool1 = PoolShape{N: 128, C: 10, H: 24, W: 24, KH: 2, KW: 2, SH: 2, SW: 2, OH: 12, OW: 12}
	benchPool2 = PoolShape{N: 128, C: 20, H: 8, W: 8, KH: 2, KW: 2, SH: 2, SW: 2, OH: 4, OW: 4}
)

// convFlops is the multiply-add count ×2 of one convolution pass.
func convFlops(s ConvShape) float64 {
	return 2 * float64(s.N*s.F*s.OH*s.OW*s.C*s.KH*s.KW)
}

// benchFamily runs body as sub-benchmarks "avx512", "avx2" and "go" (the
// paths this CPU has, each forced: the AVX-512 one is not left to
// measurement), reporting GFLOP/s when flops > 0.
func benchFamily(b *testing.B, flops float64, body func(b *testing.B)) {
	savedAsm, saved512, savedAuto := useAsm, useAVX512, autoAVX512
	defer func() { useAsm, useAVX512, autoAVX512 = savedAsm, saved512, savedAuto }()
	autoAVX512 = false // each sub-benchmark forces its path
	type path struct {
		name        string
		asm, avx512 bool
	}
	paths := []path{{"go", false, false}}
	if hasAsm {
		paths = append([]path{{"avx2", true, false}}, paths...)
	}
	if hasAVX512 {
		paths = append([]path{{"avx512", true, true}}, paths...)
	}
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			useAsm, useAVX512 = p.asm, p.avx512
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				body(b)
			}
			if flops > 0 {
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			}
		})
	}
}

// convClasses are the convolution shapes of BenchmarkConv, one or more per
// class of layer in the benchmark suite (bench/suite.sh), at batch 128.
var convClasses = []struct {
	name string
	s    ConvShape
}{
	{"recipe5x5/c1_28", benchConv1},
	{"recipe5x5/c10_12", benchConv2},
	{"valid3x3/c1_28", ConvShape{N: 128, C: 1, H: 28, W: 28, F: 32, KH: 3, KW: 3, SH: 1, SW: 1, OH: 26, OW: 26}},
	{"valid3x3/c32_26", ConvShape{N: 128, C: 32, H: 26, W: 26, F: 64, KH: 3, KW: 3, SH: 1, SW: 1, OH: 24, OW: 24}},
	{"same3x3/c8_28", ConvShape{N: 128, C: 8, H: 28, W: 28, F: 8, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 28, OW: 28}},
	{"same3x3/c16_28", ConvShape{N: 128, C: 16, H: 28, W: 28, F: 16, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 28, OW: 28}},
	{"same3x3/c32_14", ConvShape{N: 128, C: 32, H: 14, W: 14, F: 32, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 14, OW: 14}},
	{"same3x3/c64_7", ConvShape{N: 128, C: 64, H: 7, W: 7, F: 64, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 7, OW: 7}},
	// Keras 'same' with stride 2 on an even input pads one cell after it.
	{"stride2/c16_28", ConvShape{N: 128, C: 16, H: 28, W: 28, F: 32, KH: 3, KW: 3, SH: 2, SW: 2, OH: 14, OW: 14}},
	{"stride2/c32_14", ConvShape{N: 128, C: 32, H: 14, W: 14, F: 64, KH: 3, KW: 3, SH: 2, SW: 2, OH: 7, OW: 7}},
	{"pointwise/c32_28", ConvShape{N: 128, C: 32, H: 28, W: 28, F: 16, KH: 1, KW: 1, SH: 1, SW: 1, OH: 28, OW: 28}},
	{"pointwise/c64_14", ConvShape{N: 128, C: 64, H: 14, W: 14, F: 32, KH: 1, KW: 1, SH: 1, SW: 1, OH: 14, OW: 14}},
}

// BenchmarkConv runs every pass of every shape of convClasses, as
// BenchmarkConv/<class>/<shape>/<pass>/<asm|go>: the forward pass (fwd),
// the data and filter gradients (data, filter) and the filter gradient
// through a 2x2 max pool (pooled, from the pooled gradient and argmax; its
// GFLOP/s are those of the filter pass it replaces), all on the direct
// path, and for 3x3 stride-1 shapes the three passes on the F(2x2, 3x3)
// Winograd path (fwd-wino, data-wino, filter-wino) and on the F(4x4, 3x3)
// one (fwd-wino4, data-wino4, filter-wino4; the Winograd GFLOP/s count the
// direct convolution's multiply-adds, so that they compare with fwd, data
// and filter).
func BenchmarkConv(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	for _, tc := range convClasses {
		s := tc.s
		x := randSlice(rng, s.N*s.C*s.H*s.W)
		w := randSlice(rng, s.F*s.C*s.KH*s.KW)
		bias := randSlice(rng, s.F)
		y := make([]float32, s.N*s.F*s.OH*s.OW)
		dy := randSlice(rng, len(y))
		dx := make([]float32, len(x))
		dw, db := make([]float32, len(w)), make([]float32, s.F)
		ps := PoolShape{N: s.N, C: s.F, H: s.OH, W: s.OW, KH: 2, KW: 2, SH: 2, SW: 2, OH: s.OH / 2, OW: s.OW / 2}
		m := ps.N * ps.C * ps.OH * ps.OW
		q, am, dq := make([]float32, m), make([]int32, m), randSlice(rng, m)
		MaxPool2DReLUForward(ps, dy, q, am)
		passes := []struct {
			name string
			mode int
			run  func()
		}{
			{"fwd", winoOff, func() { Conv2DForward(s, x, w, bias, y) }},
			{"data", winoOff, func() { Conv2DBackwardData(s, w, dy, dx) }},
			{"filter", winoOff, func() { Conv2DBackwardFilter(s, x, dy, dw, db) }},
			{"pooled", winoOff, func() { Conv2DBackwardFilterPooled(s, ps, x, dq, am, dw, db) }},
		}
		if winoApplies(s) {
			passes = append(passes, passes[0], passes[1], passes[2], passes[0], passes[1], passes[2])
			passes[4].name, passes[4].mode = "fwd-wino", winoOn2
			passes[5].name, passes[5].mode = "data-wino", winoOn2
			passes[6].name, passes[6].mode = "filter-wino", winoOn2
			passes[7].name, passes[7].mode = "fwd-wino4", winoOn4
			passes[8].name, passes[8].mode = "data-wino4", winoOn4
			passes[9].name, passes[9].mode = "filter-wino4", winoOn4
		}
		for _, pass := range passes {
			b.Run(tc.name+"/"+pass.name, func(b *testing.B) {
				withWino(pass.mode, func() {
					benchFamily(b, convFlops(s), func(*testing.B) { pass.run() })
				})
			})
		}
	}
}

func BenchmarkMaxPool2D(b *testing.B) {
	rng := rand.New(rand.NewSource(4))
	for _, tc := range []struct {
		name string
		s    PoolShape
	}{
		{"pool1", benchPool1}, {"pool2", benchPool2},
		// The 'same' suite network's later pools: 14x14 -> 7x7 and
		// 7x7 -> 3x3.
		{"14to7c32", pool2x2Shape(128, 32, 14, 14)}, {"14to7c64", pool2x2Shape(128, 64, 14, 14)},
		{"7to3c32", pool2x2Shape(128, 32, 7, 7)}, {"7to3c64", pool2x2Shape(128, 64, 7, 7)},
	} {
		s := tc.s
		x := randSlice(rng, s.N*s.C*s.H*s.W)
		n := s.N * s.C * s.OH * s.OW
		y := make([]float32, n)
		am := make([]int32, n)
		dy := randSlice(rng, n)
		dx := make([]float32, len(x))
		b.Run(tc.name+"/fwd", func(b *testing.B) {
			benchFamily(b, 0, func(*testing.B) { MaxPool2DForward(s, x, y, am) })
		})
		b.Run(tc.name+"/bwd", func(b *testing.B) {
			benchFamily(b, 0, func(*testing.B) { MaxPool2DBackward(s, dy, am, dx) })
		})
	}
}

func BenchmarkReLU(b *testing.B) {
	rng := rand.New(rand.NewSource(5))
	x := randSlice(rng, 128*10*24*24)
	y := make([]float32, len(x))
	dx := make([]float32, len(x))
	b.Run("fwd", func(b *testing.B) { benchFamily(b, 0, func(*testing.B) { ReLUForward(x, y) }) })
	b.Run("bwd", func(b *testing.B) { benchFamily(b, 0, func(*testing.B) { ReLUBackward(y, x, dx) }) })
}

// BenchmarkSgemm measures the single-threaded GEMM at the per-image
// shapes of the recipe (m, n, k, transposes) and the dense layers.
func BenchmarkSgemm(b *testing.B) {
	rng := rand.New(rand.NewSource(6))
	for _, tc := range []struct {
		name     string
		tA, tB   bool
		m, n, k  int
		parallel bool
	}{
		{"conv1fwd", false, false, 10, 576, 25, false},
		{"conv2fwd", false, false, 20, 64, 250, false},
		{"conv2bwdData", true, false, 250, 64, 20, false},
		{"conv1bwdFilter", false, true, 10, 25, 576, false},
		{"conv2bwdFilter", false, true, 20, 250, 64, false},
		{"dense1fwd", false, true, 128, 100, 320, false},
		{"dense1bwdW", true, false, 320, 100, 128, false},
		{"big256", false, false, 256, 256, 256, false},
		{"MatMul/dense1fwd", false, true, 128, 100, 320, true},
		{"MatMul/big256", false, false, 256, 256, 256, true},
	} {
		a := randSlice(rng, tc.m*tc.k)
		bb := randSlice(rng, tc.k*tc.n)
		c := make([]float32, tc.m*tc.n)
		lda, ldb := tc.k, tc.n
		if tc.tA {
			lda = tc.m
		}
		if tc.tB {
			ldb = tc.k
		}
		flops := 2 * float64(tc.m*tc.n*tc.k)
		b.Run(fmt.Sprintf("%s_%dx%dx%d", tc.name, tc.m, tc.n, tc.k), func(b *testing.B) {
			benchFamily(b, flops, func(*testing.B) {
				if tc.parallel {
					MatMul(tc.tA, tc.tB, tc.m, tc.n, tc.k, a, bb, c)
				} else {
					Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, lda, bb, ldb, 0, c, tc.n)
				}
			})
		})
	}
}

// BenchmarkTrainStep runs every kernel of one training step of the MNIST
// recipe at batch 128 as the ops call them (forward and backward of both
// convolutions, the pools with the ReLUs fused in, the two dense layers),
// the number to multiply by 391 steps per epoch. The filter gradients are
// taken from the pooled gradients, and conv1's full-size output gradient
// is never formed. The two full-size ReLUs are still computed because the
// graph keeps the ReLU nodes that the pools bypass; the "nodead" variant
// leaves them out.
func BenchmarkTrainStep(b *testing.B) {
	rng := rand.New(rand.NewSource(7))
	c1, c2, p1, p2 := benchConv1, benchConv2, benchPool1, benchPool2
	const n = 128
	x := randSlice(rng, n*28*28)
	w1, b1 := randSlice(rng, 10*25), randSlice(rng, 10)
	w2, b2 := randSlice(rng, 20*250), randSlice(rng, 20)
	w3, w4 := randSlice(rng, 320*100), randSlice(rng, 100*10)
	y1 := make([]float32, n*10*24*24)
	r1 := make([]float32, len(y1))
	q1 := make([]float32, n*10*12*12)
	a1 := make([]int32, len(q1))
	y2 := make([]float32, n*20*8*8)
	r2 := make([]float32, len(y2))
	q2 := make([]float32, n*320)
	a2 := make([]int32, len(q2))
	h := make([]float32, n*100)
	o := make([]float32, n*10)
	do := randSlice(rng, n*10)
	dh := make([]float32, n*100)
	dw3, dw4 := make([]float32, 320*100), make([]float32, 100*10)
	dq2 := make([]float32, n*320)
	dy2 := make([]float32, len(y2))
	dq1 := make([]float32, len(q1))
	dw1, db1 := make([]float32, len(w1)), make([]float32, 10)
	dw2, db2 := make([]float32, len(w2)), make([]float32, 20)
	step := func(dead bool) {
		Conv2DForward(c1, x, w1, b1, y1)
		if dead {
			ReLUForward(y1, r1)
		}
		MaxPool2DReLUForward(p1, y1, q1, a1)
		Conv2DForward(c2, q1, w2, b2, y2)
		if dead {
			ReLUForward(y2, r2)
		}
		MaxPool2DReLUForward(p2, y2, q2, a2)
		MatMul(false, false, n, 100, 320, q2, w3, h)
		ReLUForward(h, h)
		MatMul(false, false, n, 10, 100, h, w4, o)
		// backward
		MatMul(true, false, 100, 10, n, h, do, dw4)
		MatMul(false, true, n, 100, 10, do, w4, dh)
		ReLUBackward(h, dh, dh)
		MatMul(true, false, 320, 100, n, q2, dh, dw3)
		MatMul(false, true, n, 320, 100, dh, w3, dq2)
		Conv2DBackwardFilterPooled(c2, p2, q1, dq2, a2, dw2, db2)
		MaxPool2DBackward(p2, dq2, a2, dy2)
		Conv2DBackwardData(c2, w2, dy2, dq1)
		Conv2DBackwardFilterPooled(c1, p1, x, dq1, a1, dw1, db1)
	}
	benchFamily(b, 0, func(*testing.B) { step(true) })
	b.Run("nodead", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			step(false)
		}
	})
}

// BenchmarkGemv compares, for products of a few rows at the shapes of
// dense layers at inference (784→10, the recipe's 320→100 and 100→10),
// the two ways Sgemm can form them: each row on its own,
// reading B in place (gemvRow: "rows"), or through packed panels of A and
// B (sgemmPacked: "packed"). gemvMaxRows is where the first stops paying.
func BenchmarkGemv(b *testing.B) {
	rng := rand.New(rand.NewSource(8))
	for _, sz := range []struct{ n, k int }{{10, 784}, {100, 320}, {10, 100}} {
		for _, m := range []int{1, 4, 8} {
			a := randSlice(rng, m*sz.k)
			bb := randSlice(rng, sz.k*sz.n)
			c := make([]float32, m*sz.n)
			flops := 2 * float64(m*sz.n*sz.k)
			name := fmt.Sprintf("%dx%dx%d", m, sz.n, sz.k)
			b.Run(name+"/rows", func(b *testing.B) {
				benchFamily(b, flops, func(*testing.B) {
					clear(c)
					for i := range m {
						gemvRow(false, sz.n, sz.k, 1, a[i*sz.k:], sz.k, bb, sz.n, c[i*sz.n:])
					}
				})
			})
			b.Run(name+"/packed", func(b *testing.B) {
				benchFamily(b, flops, func(*testing.B) {
					clear(c)
					sgemmPacked(false, false, m, sz.n, sz.k, 1, a, sz.k, bb, sz.n, c, sz.n)
				})
			})
		}
	}
}

// BenchmarkMicroKernel runs the GEMM micro-kernel alone on four 5×16 tiles
// held in L1, at depths of every depth class (see choose.go): the
// comparison that the measured choice between AVX-512 and AVX2 makes.
func BenchmarkMicroKernel(b *testing.B) {
	const cols = 4 * nr
	for _, k := range []int{9, 16, 25, 48, 72, 144, 288, 576} {
		rng := rand.New(rand.NewSource(int64(k)))
		a, bb, c := randSlice(rng, mr*k), randSlice(rng, k*cols), make([]float32, mr*cols)
		boff := make([]int32, k)
		for p := range boff {
			boff[p] = int32(p * cols)
		}
		coff := [mr]int32{0, cols, 2 * cols, 3 * cols, 4 * cols}
		src := [8]int32{0, 8, 16, 24, 32, 40, 48, 56}
		b.Run(fmt.Sprintf("k%d", k), func(b *testing.B) {
			benchFamily(b, 2*float64(mr*cols*k), func(*testing.B) {
				kernel(k, a, boff, bb, src[:], coff[:], c, src[:], nil, 0)
			})
		})
	}
}
