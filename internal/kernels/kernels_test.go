package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"sync/atomic"
	"testing"
)

const tol = 1e-4

func TestSgemm(t *testing.T) {
	sizes := []struct{ m, n, k int }{
		{1, 1, 1}, {1, 17, 3}, {7, 1, 5}, {5, 16, 8}, {10, 576, 25}, {20, 64, 250},
		{20, 250, 64}, {250, 64, 20}, {13, 33, 7}, {6, 15, 300}, {251, 40, 9}, {3, 530, 4},
		{128, 100, 320},
		// One row: B read in place (gemvRow), with a tail of columns and k
		// past one block.
		{1, 100, 300}, {1, 64, 7}, {1, 45, 600},
		// A few rows (gemvRow, one row at a time), with masked column
		// tails.
		{1, 10, 784}, {2, 10, 100}, {3, 21, 257}, {4, 5, 1}, {4, 41, 33}, {2, 1, 9},
	}
	coefs := []struct{ alpha, beta float32 }{{1, 0}, {-0.5, 1}, {2, -1.5}, {0, 0.5}}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(1))
		for _, sz := range sizes {
			for ci, co := range coefs {
				for _, tA := range []bool{false, true} {
					for _, tB := range []bool{false, true} {
						pad := ci // vary leading-dimension slack
						name := fmt.Sprintf("m%d_n%d_k%d_tA%v_tB%v_a%g_b%g", sz.m, sz.n, sz.k, tA, tB, co.alpha, co.beta)
						t.Run(name, func(t *testing.T) {
							m, n, k := sz.m, sz.n, sz.k
							ar, ac := m, k
							if tA {
								ar, ac = k, m
							}
							br, bc := k, n
							if tB {
								br, bc = n, k
							}
							lda, ldb, ldc := ac+pad, bc+2*pad, n+3*pad
							a := randSlice(rng, ar*lda)
							b := randSlice(rng, br*ldb)
							c := randSlice(rng, m*ldc)
							want := naiveGemm(tA, tB, m, n, k, float64(co.alpha), a, lda, b, ldb, float64(co.beta), c, ldc)
							Sgemm(tA, tB, m, n, k, co.alpha, a, lda, b, ldb, co.beta, c, ldc)
							checkClose(t, "C", c, want, tol)
						})
					}
				}
			}
		}
	})
}

func TestSgemmBetaZeroIgnoresNaN(t *testing.T) {
	a := []float32{1, 2, 3, 4}
	b := []float32{1, 0, 0, 1}
	c := []float32{float32(math.NaN()), float32(math.NaN()), float32(math.NaN()), float32(math.NaN())}
	Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	checkClose(t, "C", c, []float64{1, 2, 3, 4}, 0)
}

func TestMatMul(t *testing.T) {
	sizes := []struct{ m, n, k int }{{1, 1, 1}, {128, 100, 320}, {128, 10, 100}, {320, 100, 128}, {3, 700, 50}, {2, 2, 3}, {101, 37, 61}}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(2))
		for _, sz := range sizes {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					t.Run(fmt.Sprintf("m%d_n%d_k%d_tA%v_tB%v", sz.m, sz.n, sz.k, tA, tB), func(t *testing.T) {
						m, n, k := sz.m, sz.n, sz.k
						lda, ldb := k, n
						if tA {
							lda = m
						}
						if tB {
							ldb = k
						}
						a := randSlice(rng, m*k)
						b := randSlice(rng, k*n)
						c := randSlice(rng, m*n)
						want := naiveGemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
						MatMul(tA, tB, m, n, k, a, b, c)
						checkClose(t, "C", c, want, tol)
					})
				}
			}
		}
	})
}

func same(h, k int) int { return h } // stride-1 'same' output size

var convShapes = []ConvShape{
	// The recipe's layers.
	{N: 3, C: 1, H: 28, W: 28, F: 10, KH: 5, KW: 5, SH: 1, SW: 1, OH: 24, OW: 24},
	{N: 2, C: 10, H: 12, W: 12, F: 20, KH: 5, KW: 5, SH: 1, SW: 1, OH: 8, OW: 8},
	// Single image, 3 channels, non-square kernel, stride 2, padding.
	{N: 1, C: 3, H: 7, W: 9, F: 4, KH: 3, KW: 2, SH: 2, SW: 2, PadT: 1, PadL: 1, OH: 4, OW: 5},
	// Stride 3 with padding, odd sizes.
	{N: 2, C: 2, H: 11, W: 10, F: 7, KH: 4, KW: 5, SH: 3, SW: 3, PadT: 2, PadL: 1, OH: 4, OW: 3},
	// Asymmetric 'same' padding (bottom/right implied by OH/OW).
	{N: 3, C: 3, H: 6, W: 7, F: 6, KH: 4, KW: 4, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: same(6, 4), OW: same(7, 4)},
	// Mixed strides, 1x1 kernel, unused trailing input.
	{N: 4, C: 5, H: 9, W: 8, F: 11, KH: 1, KW: 1, SH: 2, SW: 3, OH: 4, OW: 3},
	{N: 1, C: 1, H: 1, W: 1, F: 1, KH: 1, KW: 1, SH: 1, SW: 1, OH: 1, OW: 1},
	// Large enough to split the output positions into several blocks.
	{N: 2, C: 16, H: 40, W: 38, F: 9, KH: 5, KW: 5, SH: 1, SW: 1, PadT: 2, PadL: 2, OH: 40, OW: 38},
	{N: 1, C: 24, H: 33, W: 35, F: 6, KH: 3, KW: 3, SH: 2, SW: 1, PadT: 1, PadL: 0, OH: 17, OW: 33},
	// More images than a worker chunk, odd batch.
	{N: 7, C: 2, H: 5, W: 6, F: 3, KH: 2, KW: 3, SH: 1, SW: 2, PadT: 1, PadL: 2, OH: 5, OW: 4},
	// The layer classes of the benchmark suite, with channel counts that
	// are not multiples of the tiles: 3x3 'same'; stride-2 'same' on an
	// even input (padding after it only) and on an odd one; 1x1; 3x3
	// valid with rows of a whole number of chunks.
	{N: 2, C: 16, H: 28, W: 28, F: 16, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 28, OW: 28},
	{N: 1, C: 13, H: 14, W: 14, F: 12, KH: 3, KW: 3, SH: 2, SW: 2, OH: 7, OW: 7},
	{N: 2, C: 3, H: 15, W: 15, F: 8, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OH: 8, OW: 8},
	{N: 3, C: 7, H: 14, W: 14, F: 17, KH: 1, KW: 1, SH: 1, SW: 1, OH: 14, OW: 14},
	{N: 1, C: 5, H: 4, W: 6, F: 6, KH: 1, KW: 1, SH: 1, SW: 1, OH: 4, OW: 6}, // planes of 3 chunks
	{N: 1, C: 9, H: 26, W: 26, F: 32, KH: 3, KW: 3, SH: 1, SW: 1, OH: 24, OW: 24},
	// Stride 2 over rows of 8 and more column pairs (the vector
	// deinterleave): 'same' on an even and an odd width, and trailing
	// columns that no window reads.
	{N: 1, C: 4, H: 28, W: 28, F: 6, KH: 3, KW: 3, SH: 2, SW: 2, OH: 14, OW: 14},
	{N: 2, C: 3, H: 9, W: 37, F: 5, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OH: 5, OW: 19},
	{N: 1, C: 2, H: 6, W: 40, F: 3, KH: 2, KW: 3, SH: 2, SW: 2, OH: 3, OW: 8},
	{N: 1, C: 2, H: 5, W: 23, F: 4, KH: 3, KW: 4, SH: 1, SW: 2, PadT: 1, PadL: 3, OH: 5, OW: 12},
}

func TestConv(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(3))
		for _, s := range convShapes {
			t.Run(s.String(), func(t *testing.T) {
				if err := s.Validate(); err != nil {
					t.Fatal(err)
				}
				K := s.C * s.KH * s.KW
				x := randSlice(rng, s.N*s.C*s.H*s.W)
				w := randSlice(rng, s.F*K)
				b := randSlice(rng, s.F)
				dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
				x64, w64, dy64 := to64(x), to64(w), to64(dy)

				y := randSlice(rng, len(dy)) // garbage must be overwritten
				Conv2DForward(s, x, w, b, y)
				checkClose(t, "y", y, naiveConvForward(s, x64, w64, to64(b)), tol)
				Conv2DForward(s, x, w, nil, y)
				checkClose(t, "y(nobias)", y, naiveConvForward(s, x64, w64, nil), tol)

				dx := randSlice(rng, len(x))
				Conv2DBackwardData(s, w, dy, dx)
				checkClose(t, "dx", dx, naiveConvBackwardData(s, w64, dy64), tol)

				dw := randSlice(rng, len(w))
				db := randSlice(rng, s.F)
				Conv2DBackwardFilter(s, x, dy, dw, db)
				wdw, wdb := naiveConvBackwardFilter(s, x64, dy64)
				checkClose(t, "dw", dw, wdw, tol)
				checkClose(t, "db", db, wdb, tol)
				Conv2DBackwardFilter(s, x, dy, dw, nil)
				checkClose(t, "dw(nodb)", dw, wdw, tol)
			})
		}
	})
}

// poisonScratch fills the scratch pool with NaN buffers, so that a kernel
// that reads scratch memory it has not written gives NaNs.
func poisonScratch() {
	for range 8 {
		b := make([]float32, 1<<18)
		for i := range b {
			b[i] = float32(math.NaN())
		}
		putBuf(&b)
	}
}

// TestConvScratchNaN checks that no convolution pass reads scratch memory
// it has not written (prepared images, padded planes): with NaNs in every
// recycled buffer, the results still match the reference.
func TestConvScratchNaN(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // one pool shard
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(12))
		for _, s := range convShapes {
			t.Run(s.String(), func(t *testing.T) {
				x := randSlice(rng, s.N*s.C*s.H*s.W)
				w := randSlice(rng, s.F*s.C*s.KH*s.KW)
				dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
				x64, w64, dy64 := to64(x), to64(w), to64(dy)
				y := make([]float32, len(dy))
				poisonScratch()
				Conv2DForward(s, x, w, nil, y)
				checkClose(t, "y", y, naiveConvForward(s, x64, w64, nil), tol)
				dx := make([]float32, len(x))
				poisonScratch()
				Conv2DBackwardData(s, w, dy, dx)
				checkClose(t, "dx", dx, naiveConvBackwardData(s, w64, dy64), tol)
				dw, db := make([]float32, len(w)), make([]float32, s.F)
				poisonScratch()
				Conv2DBackwardFilter(s, x, dy, dw, db)
				wdw, wdb := naiveConvBackwardFilter(s, x64, dy64)
				checkClose(t, "dw", dw, wdw, tol)
				checkClose(t, "db", db, wdb, tol)
			})
		}
	})
}

// TestConvGOMAXPROCS checks the kernels with one and with several workers
// (more workers than images, uneven chunks).
func TestConvGOMAXPROCS(t *testing.T) {
	s := ConvShape{N: 5, C: 3, H: 9, W: 9, F: 4, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 9, OW: 9}
	rng := rand.New(rand.NewSource(4))
	K := s.C * s.KH * s.KW
	x := randSlice(rng, s.N*s.C*s.H*s.W)
	w := randSlice(rng, s.F*K)
	dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
	wdw, wdb := naiveConvBackwardFilter(s, to64(x), to64(dy))
	for _, p := range []int{1, 2, 4, 7} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
			y := make([]float32, len(dy))
			Conv2DForward(s, x, w, nil, y)
			checkClose(t, "y", y, naiveConvForward(s, to64(x), to64(w), nil), tol)
			dw := make([]float32, len(w))
			db := make([]float32, s.F)
			Conv2DBackwardFilter(s, x, dy, dw, db)
			checkClose(t, "dw", dw, wdw, tol)
			checkClose(t, "db", db, wdb, tol)
			// Through a 2x2 max pool with a fused ReLU.
			ps := PoolShape{N: s.N, C: s.F, H: s.OH, W: s.OW, KH: 2, KW: 2, SH: 2, SW: 2, OH: s.OH / 2, OW: s.OW / 2}
			m := ps.N * ps.C * ps.OH * ps.OW
			q, am, dq := make([]float32, m), make([]int32, m), dy[:m]
			MaxPool2DReLUForward(ps, y, q, am)
			dyp := make([]float32, len(dy))
			MaxPool2DBackward(ps, dq, am, dyp)
			pdw, pdb := naiveConvBackwardFilter(s, to64(x), to64(dyp))
			Conv2DBackwardFilterPooled(s, ps, x, dq, am, dw, db)
			checkClose(t, "dw(pooled)", dw, pdw, tol)
			checkClose(t, "db(pooled)", db, pdb, tol)
		})
	}
}

// TestBitIdenticalAnyGOMAXPROCS checks that the kernels that sum over a
// batch (the filter gradients and MatMul, whose paths depend on the number
// of workers) give bit-identical results for every GOMAXPROCS, so that a
// seeded training run is reproducible on any machine.
func TestBitIdenticalAnyGOMAXPROCS(t *testing.T) {
	s := ConvShape{N: 37, C: 3, H: 12, W: 12, F: 6, KH: 5, KW: 5, SH: 1, SW: 1, OH: 8, OW: 8}
	ps := PoolShape{N: s.N, C: s.F, H: s.OH, W: s.OW, KH: 2, KW: 2, SH: 2, SW: 2, OH: 4, OW: 4}
	mms := []struct{ m, n, k int }{{128, 100, 320}, {320, 100, 128}, {128, 320, 100}, {40, 600, 300}, {7, 900, 530}}
	rng := rand.New(rand.NewSource(11))
	x := randSlice(rng, s.N*s.C*s.H*s.W)
	dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
	y := randSlice(rng, len(dy))
	m := ps.N * ps.C * ps.OH * ps.OW
	q, am := make([]float32, m), make([]int32, m)
	MaxPool2DReLUForward(ps, y, q, am)
	var ab [][2][]float32
	for _, sz := range mms {
		ab = append(ab, [2][]float32{randSlice(rng, sz.m*sz.k), randSlice(rng, sz.k*sz.n)})
	}
	// Filter gradients of a padded stride-2 conv with fewer filters than
	// a tile and of a 'same' conv with a partial last tile.
	convs := []ConvShape{
		{N: 19, C: 5, H: 14, W: 14, F: 3, KH: 3, KW: 3, SH: 2, SW: 2, OH: 7, OW: 7},
		{N: 21, C: 4, H: 10, W: 10, F: 10, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 10, OW: 10},
	}
	var xs, dys [][]float32
	for _, c := range convs {
		xs = append(xs, randSlice(rng, c.N*c.C*c.H*c.W))
		dys = append(dys, randSlice(rng, c.N*c.F*c.OH*c.OW))
	}
	run := func() [][]float32 {
		dw, db := make([]float32, s.F*s.C*s.KH*s.KW), make([]float32, s.F)
		pdw, pdb := make([]float32, len(dw)), make([]float32, s.F)
		Conv2DBackwardFilter(s, x, dy, dw, db)
		Conv2DBackwardFilterPooled(s, ps, x, dy[:m], am, pdw, pdb)
		out := [][]float32{dw, db, pdw, pdb}
		for i, c := range convs {
			dw, db := make([]float32, c.F*c.C*c.KH*c.KW), make([]float32, c.F)
			Conv2DBackwardFilter(c, xs[i], dys[i], dw, db)
			out = append(out, dw, db)
		}
		for i, sz := range mms {
			c := make([]float32, sz.m*sz.n)
			MatMul(i%2 == 1, i%3 == 1, sz.m, sz.n, sz.k, ab[i][0], ab[i][1], c)
			out = append(out, c)
		}
		return out
	}
	forEachImpl(t, func(t *testing.T) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		want := run()
		for _, p := range []int{2, 3, 4, 7, 16, 64} {
			t.Run(fmt.Sprint("GOMAXPROCS=", p), func(t *testing.T) {
				runtime.GOMAXPROCS(p)
				for i, got := range run() {
					for j := range got {
						if math.Float32bits(got[j]) != math.Float32bits(want[i][j]) {
							t.Fatalf("output %d [%d] = %v, with GOMAXPROCS=1 %v", i, j, got[j], want[i][j])
						}
					}
				}
			})
		}
	})
}

// TestNaiveConvBackwardFD checks the hand-derived naive backward passes
// (used as references above) by central finite differences of
// L = Σ g·conv(x, w) in float64.
func TestNaiveConvBackwardFD(t *testing.T) {
	shapes := []ConvShape{
		{N: 2, C: 2, H: 5, W: 6, F: 3, KH: 3, KW: 2, SH: 2, SW: 1, PadT: 1, PadL: 1, OH: 3, OW: 6},
		{N: 1, C: 1, H: 6, W: 6, F: 2, KH: 3, KW: 3, SH: 1, SW: 1, OH: 4, OW: 4},
	}
	rng := rand.New(rand.NewSource(5))
	for _, s := range shapes {
		t.Run(s.String(), func(t *testing.T) {
			x := to64(randSlice(rng, s.N*s.C*s.H*s.W))
			w := to64(randSlice(rng, s.F*s.C*s.KH*s.KW))
			b := to64(randSlice(rng, s.F))
			g := to64(randSlice(rng, s.N*s.F*s.OH*s.OW))
			loss := func() float64 {
				var l float64
				for i, v := range naiveConvForward(s, x, w, b) {
					l += v * g[i]
				}
				return l
			}
			const eps = 1e-4
			fd := func(p *float64) float64 {
				old := *p
				*p = old + eps
				lp := loss()
				*p = old - eps
				lm := loss()
				*p = old
				return (lp - lm) / (2 * eps)
			}
			dx := naiveConvBackwardData(s, w, g)
			dw, db := naiveConvBackwardFilter(s, x, g)
			for i := range x {
				if d := fd(&x[i]); math.Abs(d-dx[i]) > 1e-6 {
					t.Errorf("dx[%d] = %g, finite difference %g", i, dx[i], d)
				}
			}
			for i := range w {
				if d := fd(&w[i]); math.Abs(d-dw[i]) > 1e-6 {
					t.Errorf("dw[%d] = %g, finite difference %g", i, dw[i], d)
				}
			}
			for i := range b {
				if d := fd(&b[i]); math.Abs(d-db[i]) > 1e-6 {
					t.Errorf("db[%d] = %g, finite difference %g", i, db[i], d)
				}
			}
		})
	}
}

func TestConvWorkedExamples(t *testing.T) {
	filter := []float32{1, 0, 1, 0, 1, 0, 1, 0, 1}
	tests := []struct {
		name  string
		h     int
		image []float32
		want  []float64
	}{
		{"5x5", 5, []float32{
			1, 1, 1, 0, 0,
			0, 1, 1, 1, 0,
			0, 0, 1, 1, 1,
			0, 0, 1, 1, 0,
			0, 1, 1, 0, 0,
		}, []float64{4, 3, 4, 2, 4, 3, 2, 3, 4}},
		{"4x4", 4, []float32{
			1, 1, 1, 0,
			0, 1, 1, 1,
			0, 1, 1, 0,
			1, 1, 0, 0,
		}, []float64{4, 3, 3, 4}},
	}
	forEachImpl(t, func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				o := tc.h - 2
				s := ConvShape{N: 1, C: 1, H: tc.h, W: tc.h, F: 1, KH: 3, KW: 3, SH: 1, SW: 1, OH: o, OW: o}
				y := make([]float32, o*o)
				Conv2DForward(s, tc.image, filter, nil, y)
				checkClose(t, "y", y, tc.want, 0)
			})
		}
	})
}

func TestMaxPoolWorkedExample(t *testing.T) {
	x := make([]float32, 144)
	for i := range x {
		x[i] = float32((i * 37) % 101)
	}
	for _, tc := range []struct{ stride, out int }{{3, 4}, {1, 10}} {
		t.Run(fmt.Sprint("stride", tc.stride), func(t *testing.T) {
			s := PoolShape{N: 1, C: 1, H: 12, W: 12, KH: 3, KW: 3, SH: tc.stride, SW: tc.stride, OH: tc.out, OW: tc.out}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			y := make([]float32, tc.out*tc.out)
			MaxPool2DForward(s, x, y, nil)
			for oh := 0; oh < tc.out; oh++ {
				for ow := 0; ow < tc.out; ow++ {
					var m float32
					for i := 0; i < 3; i++ {
						for j := 0; j < 3; j++ {
							m = max(m, x[(oh*tc.stride+i)*12+ow*tc.stride+j])
						}
					}
					if y[oh*tc.out+ow] != m {
						t.Errorf("y[%d,%d] = %g, want %g", oh, ow, y[oh*tc.out+ow], m)
					}
				}
			}
		})
	}
}

var poolShapes = []PoolShape{
	{N: 3, C: 10, H: 24, W: 24, KH: 2, KW: 2, SH: 2, SW: 2, OH: 12, OW: 12}, // recipe pool1 (fast path)
	{N: 2, C: 20, H: 8, W: 8, KH: 2, KW: 2, SH: 2, SW: 2, OH: 4, OW: 4},     // recipe pool2
	{N: 1, C: 2, H: 7, W: 7, KH: 2, KW: 2, SH: 2, SW: 2, OH: 3, OW: 3},      // odd input, floor mode
	{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, OH: 5, OW: 7},      // overlapping windows
	{N: 1, C: 3, H: 7, W: 8, KH: 3, KW: 2, SH: 2, SW: 3, PadT: 1, PadL: 1, OH: 4, OW: 3},
	{N: 2, C: 1, H: 5, W: 5, KH: 2, KW: 2, SH: 2, SW: 2, OH: 3, OW: 3}, // 'same': bottom/right padding
	{N: 2, C: 2, H: 6, W: 5, KH: 3, KW: 3, SH: 3, SW: 2, PadT: 2, PadL: 2, OH: 3, OW: 4},
	// 2x2 fast paths that do not cover the input: odd sizes, an
	// overlapping last chunk, an odd number of 4-window rows.
	{N: 3, C: 2, H: 17, W: 19, KH: 2, KW: 2, SH: 2, SW: 2, OH: 8, OW: 9},
	{N: 2, C: 3, H: 11, W: 9, KH: 2, KW: 2, SH: 2, SW: 2, OH: 5, OW: 4},
	// 2x2 windows inside the input, too few per row for the chunks.
	{N: 2, C: 3, H: 14, W: 14, KH: 2, KW: 2, SH: 2, SW: 2, OH: 7, OW: 7},
	{N: 1, C: 2, H: 9, W: 13, KH: 2, KW: 2, SH: 2, SW: 2, OH: 4, OW: 6},
	// 5 to 7 windows a row, one chunk each; 3 a row, the plain loop.
	{N: 1, C: 3, H: 11, W: 11, KH: 2, KW: 2, SH: 2, SW: 2, OH: 5, OW: 5},
	{N: 1, C: 2, H: 15, W: 15, KH: 2, KW: 2, SH: 2, SW: 2, OH: 7, OW: 7},
	{N: 1, C: 4, H: 7, W: 7, KH: 2, KW: 2, SH: 2, SW: 2, OH: 3, OW: 3},
}

func TestMaxPool(t *testing.T) { forEachImpl(t, testMaxPool) }

func testMaxPool(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	for _, s := range poolShapes {
		t.Run(s.String(), func(t *testing.T) {
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			x := randSlice(rng, s.N*s.C*s.H*s.W)
			n := s.N * s.C * s.OH * s.OW
			y := randSlice(rng, n)
			am := make([]int32, n)
			MaxPool2DForward(s, x, y, am)
			wy, wam := naiveMaxPool(s, to64(x))
			checkClose(t, "y", y, wy, 0)
			for i := range am {
				if am[i] != wam[i] {
					t.Fatalf("argmax[%d] = %d, want %d", i, am[i], wam[i])
				}
			}
			y2 := make([]float32, n)
			MaxPool2DForward(s, x, y2, nil)
			checkClose(t, "y(no argmax)", y2, wy, 0)

			dy := randSlice(rng, n)
			dx := randSlice(rng, len(x))
			MaxPool2DBackward(s, dy, am, dx)
			want := make([]float64, len(x))
			for i, a := range wam {
				want[a] += float64(dy[i])
			}
			checkClose(t, "dx", dx, want, tol)

			// Fused with a ReLU before the pool: the values of the
			// pool of ReLU(x), the argmax of x for windows with a
			// positive output and -1 elsewhere, and their gradient.
			yr := randSlice(rng, n)
			amr := make([]int32, n)
			MaxPool2DReLUForward(s, x, yr, amr)
			wyr := make([]float64, n)
			wdxr := make([]float64, len(x))
			for i, v := range wy {
				wa := wam[i]
				if !(v > 0) {
					wa = -1
				}
				if amr[i] != wa {
					t.Fatalf("relu argmax[%d] = %d, want %d", i, amr[i], wa)
				}
				wyr[i] = max(v, 0)
				if wa >= 0 {
					wdxr[wa] += float64(dy[i])
				}
			}
			checkClose(t, "y(relu)", yr, wyr, 0)
			MaxPool2DBackward(s, dy, amr, dx)
			checkClose(t, "dx(relu)", dx, wdxr, tol)

			// Finite differences of L = Σ dy·maxpool(x) (inputs are
			// distinct, so the max is locally linear).
			x64 := to64(x)
			for i := 0; i < len(x64); i += 1 + len(x64)/150 { // a sample of inputs
				old := x64[i]
				x64[i] = old + 1e-7
				yp, _ := naiveMaxPool(s, x64)
				x64[i] = old - 1e-7
				ym, _ := naiveMaxPool(s, x64)
				x64[i] = old
				var d float64
				for o := range yp {
					d += float64(dy[o]) * (yp[o] - ym[o]) / 2e-7
				}
				if math.Abs(d-want[i]) > 1e-5 {
					t.Fatalf("dx[%d] = %g, finite difference %g", i, want[i], d)
				}
			}
		})
	}
}

func TestMaxPoolTiesAndNaN(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		nan := float32(math.NaN())
		// 2 rows x 36 columns: 18 windows, enough for the 8-wide path; 2
		// rows x 12 columns: 6 windows, the plain loop.
		for _, tc := range []struct{ w, a, b, c int }{{36, 5, 7, 9}, {12, 1, 3, 5}} {
			w := tc.w
			x := make([]float32, 2*w)
			for i := range x {
				x[i] = 3 // all ties
			}
			x[2*tc.a+1] = nan
			x[w+2*tc.b] = nan
			x[2*tc.c] = nan
			s := PoolShape{N: 1, C: 1, H: 2, W: w, KH: 2, KW: 2, SH: 2, SW: 2, OH: 1, OW: w / 2}
			y := make([]float32, w/2)
			am := make([]int32, w/2)
			MaxPool2DForward(s, x, y, am)
			for i := range y {
				if i == tc.a || i == tc.b || i == tc.c {
					// NaN windows: the value must match the chosen element.
					if v := x[am[i]]; !(v == y[i] || (v != v && y[i] != y[i])) {
						t.Errorf("w=%d window %d: y=%g but x[argmax=%d]=%g", w, i, y[i], am[i], v)
					}
					continue
				}
				if y[i] != 3 || am[i] != int32(2*i) {
					t.Errorf("w=%d tie window %d: got %g at %d, want 3 at %d", w, i, y[i], am[i], 2*i)
				}
			}
		}
	})
}

func TestAvgPool(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, s := range poolShapes {
		t.Run(s.String(), func(t *testing.T) {
			x := randSlice(rng, s.N*s.C*s.H*s.W)
			n := s.N * s.C * s.OH * s.OW
			y := randSlice(rng, n)
			AvgPool2DForward(s, x, y)
			checkClose(t, "y", y, naiveAvgPool(s, to64(x)), tol)
			dy := randSlice(rng, n)
			dx := randSlice(rng, len(x))
			AvgPool2DBackward(s, dy, dx)
			want := naiveAvgPoolBackward(s, to64(dy))
			checkClose(t, "dx", dx, want, tol)
			// Finite differences (avg pooling is linear).
			x64 := to64(x)
			for i := 0; i < len(x64); i += 1 + len(x64)/150 { // a sample of inputs
				old := x64[i]
				x64[i] = old + 1e-3
				yp := naiveAvgPool(s, x64)
				x64[i] = old - 1e-3
				ym := naiveAvgPool(s, x64)
				x64[i] = old
				var d float64
				for o := range yp {
					d += float64(dy[o]) * (yp[o] - ym[o]) / 2e-3
				}
				if math.Abs(d-want[i]) > 1e-9 {
					t.Fatalf("dx[%d] = %g, finite difference %g", i, want[i], d)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := ConvShape{N: 1, C: 1, H: 5, W: 5, F: 1, KH: 3, KW: 3, SH: 1, SW: 1, OH: 3, OW: 3}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*ConvShape){
		func(s *ConvShape) { s.N = 0 },
		func(s *ConvShape) { s.C = -1 },
		func(s *ConvShape) { s.F = 0 },
		func(s *ConvShape) { s.KW = 0 },
		func(s *ConvShape) { s.SH = 0 },
		func(s *ConvShape) { s.OW = 0 },
		func(s *ConvShape) { s.PadT = -1 },
		func(s *ConvShape) { s.PadL = 3 },
		func(s *ConvShape) { s.OH = 6 },
	}
	for i, f := range bad {
		s := good
		f(&s)
		if s.Validate() == nil {
			t.Errorf("case %d: %+v accepted", i, s)
		}
	}
	p := PoolShape{N: 1, C: 1, H: 4, W: 4, KH: 2, KW: 2, SH: 2, SW: 2, OH: 2, OW: 2}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p.OW = 3
	if p.Validate() == nil {
		t.Error("pool with windows outside the input accepted")
	}
}

func TestParallelFor(t *testing.T) {
	for _, f := range []struct {
		name  string
		run   func(int, func(lo, hi int))
		chunk int // chunks per goroutine at most
	}{{"ParallelFor", ParallelFor, 1}, {"parallelImages", parallelImages, chunksPerWorker}} {
		for _, p := range []int{1, 2, 3} {
			for _, n := range []int{0, 1, 2, 3, 5, 100, 1001} {
				t.Run(fmt.Sprintf("%s/procs%d_n%d", f.name, p, n), func(t *testing.T) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
					seen := make([]int32, n)
					var calls atomic.Int32
					f.run(n, func(lo, hi int) {
						calls.Add(1)
						for i := lo; i < hi; i++ {
							atomic.AddInt32(&seen[i], 1)
						}
					})
					for i, v := range seen {
						if v != 1 {
							t.Fatalf("index %d visited %d times", i, v)
						}
					}
					c := int(calls.Load())
					switch {
					case n > 0 && c < 1:
						t.Errorf("no call for %d items", n)
					case p == 1 && c > 1:
						t.Errorf("%d chunks for one proc, want fn run once, inline", c)
					case c > f.chunk*p:
						t.Errorf("%d chunks for %d procs, want at most %d", c, p, f.chunk*p)
					}
				})
			}
		}
	}
}

func TestReLU(t *testing.T) {
	forEachImpl(t, testReLU)
}

func testReLU(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	for _, n := range []int{0, 1, 7, 8, 17, 100000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x := randSlice(rng, n)
			if n > 3 {
				x[1], x[2] = 0, float32(math.Copysign(0, -1))
			}
			dy := randSlice(rng, n)
			y := make([]float32, n)
			dx := make([]float32, n)
			ReLUForward(x, y)
			ReLUBackward(y, dy, dx)
			for i := range x {
				wy := max(x[i], 0)
				var wdx float32
				if x[i] > 0 {
					wdx = dy[i]
				}
				if y[i] != wy || dx[i] != wdx {
					t.Fatalf("i=%d x=%g: y=%g dx=%g, want %g %g", i, x[i], y[i], dx[i], wy, wdx)
				}
			}
		})
	}
}

// TestScaleShift checks ScaleShift bit for bit against a·x + b rounded
// after the product, in place and not, on lengths around the vector width.
func TestScaleShift(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(9))
		for _, n := range []int{0, 1, 7, 8, 9, 31, 1000} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				x := randSlice(rng, n)
				a, b := rng.Float32()*3-1, rng.Float32()-0.5
				y := make([]float32, n)
				ScaleShift(x, y, a, b)
				in := append([]float32(nil), x...)
				ScaleShift(in, in, a, b)
				for i, v := range x {
					want := float32(a*v) + b
					if math.Float32bits(y[i]) != math.Float32bits(want) || math.Float32bits(in[i]) != math.Float32bits(want) {
						t.Fatalf("i=%d: %g·%g + %g = %g (in place %g), want %g", i, a, v, b, y[i], in[i], want)
					}
				}
			})
		}
	})
}

// TestConvPooled checks the filter gradient through a max pool against the
// naive filter gradient of the pool's dense output gradient, for pools with
// and without a fused ReLU, over every test convolution.
func TestConvPooled(t *testing.T) {
	shapes := append([]ConvShape{
		// Several image blocks and workers, and C=3 (a 5-row pass).
		{N: 70, C: 1, H: 28, W: 28, F: 10, KH: 5, KW: 5, SH: 1, SW: 1, OH: 24, OW: 24},
		{N: 9, C: 3, H: 12, W: 12, F: 5, KH: 7, KW: 3, SH: 1, SW: 1, PadT: 1, OH: 8, OW: 10},
		{N: 2, C: 2, H: 11, W: 30, F: 3, KH: 3, KW: 10, SH: 1, SW: 1, OH: 9, OW: 21},
	}, convShapes...)
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(10))
		for _, s := range shapes {
			var pools []PoolShape
			if s.OH >= 2 && s.OW >= 2 {
				pools = append(pools, PoolShape{N: s.N, C: s.F, H: s.OH, W: s.OW, KH: 2, KW: 2, SH: 2, SW: 2, OH: s.OH / 2, OW: s.OW / 2})
			}
			if s.OH >= 3 && s.OW >= 3 {
				pools = append(pools, PoolShape{N: s.N, C: s.F, H: s.OH, W: s.OW, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: s.OH, OW: s.OW})
			}
			for _, ps := range pools {
				t.Run(s.String()+"/"+ps.String(), func(t *testing.T) {
					if err := ps.Validate(); err != nil {
						t.Fatal(err)
					}
					x := randSlice(rng, s.N*s.C*s.H*s.W)
					y := randSlice(rng, s.N*s.F*s.OH*s.OW)
					n := ps.N * ps.C * ps.OH * ps.OW
					dq := randSlice(rng, n)
					q, am := make([]float32, n), make([]int32, n)
					dy := make([]float32, len(y))
					for _, relu := range []bool{false, true} {
						if relu {
							MaxPool2DReLUForward(ps, y, q, am)
						} else {
							MaxPool2DForward(ps, y, q, am)
						}
						MaxPool2DBackward(ps, dq, am, dy)
						wdw, wdb := naiveConvBackwardFilter(s, to64(x), to64(dy))
						dw := randSlice(rng, len(wdw))
						db := randSlice(rng, s.F)
						Conv2DBackwardFilterPooled(s, ps, x, dq, am, dw, db)
						checkClose(t, fmt.Sprint("dw relu=", relu), dw, wdw, tol)
						checkClose(t, fmt.Sprint("db relu=", relu), db, wdb, tol)
						Conv2DBackwardFilterPooled(s, ps, x, dq, am, dw, nil)
						checkClose(t, fmt.Sprint("dw(nodb) relu=", relu), dw, wdw, tol)
					}
				})
			}
		}
	})
}

// TestPooledFilterGradPays pins the choice of the pooled filter gradient
// for the recipe's layers (its numerics depend on it) and for the shapes
// where the dense kernel is the faster one.
func TestPooledFilterGradPays(t *testing.T) {
	valid := func(c, h, f, k int) ConvShape {
		return ConvShape{N: 1, C: c, H: h, W: h, F: f, KH: k, KW: k, SH: 1, SW: 1, OH: h - k + 1, OW: h - k + 1}
	}
	for _, tc := range []struct {
		name string
		s    ConvShape
		asm  bool // the answer with the assembly kernels
	}{
		{"recipe1", benchConv1, true},
		{"recipe2", benchConv2, true},
		{"3x3x1", valid(1, 28, 32, 3), true},
		{"3x3x32", valid(32, 26, 64, 3), false},
		{"3x3x2", valid(2, 10, 4, 3), false},
		{"1x1x32", valid(32, 28, 16, 1), false},
		{"5x5x4", valid(4, 12, 8, 5), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := useAsm
			defer func() { useAsm = saved }()
			useAsm = false
			if !PooledFilterGradPays(tc.s) {
				t.Error("pure Go: false, want true")
			}
			if !hasAsm {
				t.Skip("no assembly kernels on this CPU")
			}
			useAsm = true
			if got := PooledFilterGradPays(tc.s); got != tc.asm {
				t.Errorf("asm: %v, want %v", got, tc.asm)
			}
		})
	}
}

// TestAVX512MatchesAVX2 checks that the AVX-512 GEMM kernel gives the AVX2
// kernels' results bit for bit: convolutions forward and backward over
// every test shape and matrix products with odd and even tile counts,
// with and without accumulation into C.
func TestAVX512MatchesAVX2(t *testing.T) {
	if !hasAVX512 {
		t.Skip("this CPU (or build) has no AVX-512F: the AVX-512 kernel is not tested here")
	}
	rng := rand.New(rand.NewSource(12))
	type mm struct{ m, n, k int }
	mms := []mm{{1, 1, 1}, {5, 16, 3}, {5, 32, 7}, {5, 48, 9}, {11, 100, 300}, {128, 100, 320}, {320, 100, 128}, {7, 900, 530}, {240, 513, 257}}
	run := func() [][]float32 {
		rng.Seed(12)
		var out [][]float32
		for _, s := range convShapes {
			x := randSlice(rng, s.N*s.C*s.H*s.W)
			w := randSlice(rng, s.F*s.C*s.KH*s.KW)
			b := randSlice(rng, s.F)
			dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
			y, dx := make([]float32, len(dy)), make([]float32, len(x))
			dw, db := make([]float32, len(w)), make([]float32, s.F)
			Conv2DForward(s, x, w, b, y)
			Conv2DBackwardData(s, w, dy, dx)
			Conv2DBackwardFilter(s, x, dy, dw, db)
			out = append(out, y, dx, dw, db)
		}
		for i, sz := range mms {
			a, b := randSlice(rng, sz.m*sz.k), randSlice(rng, sz.k*sz.n)
			p := make([]float32, sz.m*sz.n)
			MatMul(i%2 == 1, i%3 == 1, sz.m, sz.n, sz.k, a, b, p)
			c := randSlice(rng, sz.m*sz.n)
			Sgemm(false, false, sz.m, sz.n, sz.k, 0.5, a, sz.k, b, sz.n, 1, c, sz.n)
			out = append(out, p, c)
		}
		return out
	}
	savedAsm, saved512, savedAuto := useAsm, useAVX512, autoAVX512
	defer func() { useAsm, useAVX512, autoAVX512 = savedAsm, saved512, savedAuto }()
	useAsm, useAVX512, autoAVX512 = true, false, false
	want := run()
	useAVX512 = true
	for i, got := range run() {
		for j := range got {
			if math.Float32bits(got[j]) != math.Float32bits(want[i][j]) {
				t.Fatalf("output %d [%d] = %v with AVX-512, %v with AVX2", i, j, got[j], want[i][j])
			}
		}
	}
}

// TestFewRowsMatchPacked checks that a product of at most gemvMaxRows rows
// (which reads B in place, gemvRow) gives, bit for bit, the values of the
// packed path (sgemmPacked) and that row of a product of many rows, with k
// past one block, columns short of and past multiples of 32 and of 8,
// alpha, beta and a transposed A.
func TestFewRowsMatchPacked(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(13))
		sizes := []struct{ n, k int }{
			{32, 1}, {33, 300}, {512, 784}, {100, 320}, {10, 100}, {10, 784}, {64, 513},
			{96, 7}, {1, 1}, {3, 5}, {8, 9}, {15, 257}, {17, 256}, {24, 31}, {31, 2}, {47, 13},
			// Columns of a tail of at most 16 over several whole
			// blocks of k, summed side by side (gemvBlocks): 2, 3, 4,
			// 4+1 and 4+4 blocks, with and without a rest.
			{3, 512}, {12, 600}, {10, 1100}, {16, 1300}, {5, 2048}, {45, 1030},
		}
		for _, sz := range sizes {
			for m := 1; m <= gemvMaxRows+1; m++ {
				t.Run(fmt.Sprintf("m%d_n%d_k%d", m, sz.n, sz.k), func(t *testing.T) {
					const big = 3 * mr // rows of a product that packs
					n, k := sz.n, sz.k
					a, b := randSlice(rng, big*k), randSlice(rng, k*n)
					at := make([]float32, k*big) // a transposed
					for i := range big {
						for p := range k {
							at[p*big+i] = a[i*k+p]
						}
					}
					c0 := randSlice(rng, big*n)
					all := make([]float32, big*n)
					MatMul(false, false, big, n, k, a, b, all)
					acc := append([]float32(nil), c0...)
					Sgemm(true, false, big, n, k, 0.5, at, big, b, n, 1, acc, n)

					few := make([]float32, m*n)
					MatMul(false, false, m, n, k, a, b, few)
					packed := make([]float32, m*n)
					sgemmPacked(false, false, m, n, k, 1, a, k, b, n, packed, n)
					accFew := append([]float32(nil), c0[:m*n]...)
					Sgemm(true, false, m, n, k, 0.5, at, big, b, n, 1, accFew, n)
					for i := range m * n {
						if math.Float32bits(few[i]) != math.Float32bits(packed[i]) || math.Float32bits(few[i]) != math.Float32bits(all[i]) {
							t.Fatalf("row %d col %d: %v alone, %v packed, %v in a batch", i/n, i%n, few[i], packed[i], all[i])
						}
						if math.Float32bits(accFew[i]) != math.Float32bits(acc[i]) {
							t.Fatalf("row %d col %d, transposed A, alpha and beta: %v alone, %v in a batch", i/n, i%n, accFew[i], acc[i])
						}
					}
				})
			}
		}
	})
}
