package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// pool2x2Shape is the 2×2, stride-2, unpadded max pool of an h×w input
// (floor mode: an odd last row or column is not covered).
func pool2x2Shape(n, c, h, w int) PoolShape {
	return PoolShape{N: n, C: c, H: h, W: w, KH: 2, KW: 2, SH: 2, SW: 2, OH: h / 2, OW: w / 2}
}

// refMaxPool is the documented rule of MaxPool2DForward and
// MaxPool2DReLUForward, written out cell by cell: the first maximum of a
// window in row-major order, or its first NaN; with relu, max(y, 0) as
// Go's max and argmax -1 where that is not positive.
func refMaxPool(s PoolShape, x []float32, relu bool) ([]float32, []int32) {
	n := s.N * s.C * s.OH * s.OW
	y, am := make([]float32, n), make([]int32, n)
	for pl := 0; pl < s.N*s.C; pl++ {
		for oh := 0; oh < s.OH; oh++ {
			for ow := 0; ow < s.OW; ow++ {
				best, bi := float32(0), -1
				for h := oh * s.SH; h < oh*s.SH+s.KH; h++ {
					for w := ow * s.SW; w < ow*s.SW+s.KW; w++ {
						i := pl*s.H*s.W + h*s.W + w
						v := x[i]
						switch {
						case bi < 0, math.IsNaN(float64(v)) && !math.IsNaN(float64(best)), v > best:
							best, bi = v, i
						}
					}
				}
				if relu && !(best > 0) {
					best, bi = max(best, 0), -1
				}
				o := (pl*s.OH+oh)*s.OW + ow
				y[o], am[o] = best, int32(bi)
			}
		}
	}
	return y, am
}

// sameBits reports whether a and b are the same float32, NaNs (of any
// payload) counting as equal and -0 differing from 0.
func sameBits(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// poolInput returns n inputs of the given kind: "distinct" (uniform in
// [-1, 1)), "ties" (-1, -0, 0 and 1) or "nan" (ties, and about one in six
// a NaN).
func poolInput(rng *rand.Rand, kind string, n int) []float32 {
	if kind == "distinct" {
		return randSlice(rng, n)
	}
	vals := []float32{-1, float32(math.Copysign(0, -1)), 0, 1}
	x := make([]float32, n)
	for i := range x {
		x[i] = vals[rng.Intn(len(vals))]
		if kind == "nan" && rng.Intn(6) == 0 {
			x[i] = float32(math.NaN())
		}
	}
	return x
}

// TestMaxPool2x2 checks the 2×2, stride-2 max pool on every path (the
// chunked one at 4 to 7 and 8+ windows per row, the plain loop below 4)
// bit for bit against refMaxPool, with ties, -0 and NaN, with and without
// the fused ReLU and argmax, and its backward pass; and, without NaN, its
// argmax against NaiveMaxPool.
func TestMaxPool2x2(t *testing.T) {
	shapes := []PoolShape{
		pool2x2Shape(1, 1, 2, 6),     // 1x3
		pool2x2Shape(1, 3, 7, 7),     // 3x3, odd
		pool2x2Shape(2, 2, 6, 6),     // 3x3
		pool2x2Shape(1, 2, 3, 9),     // one row of 4
		pool2x2Shape(1, 2, 8, 8),     // 4x4: two rows a chunk
		pool2x2Shape(1, 2, 10, 10),   // 5x5
		pool2x2Shape(2, 3, 11, 11),   // 5x5, odd
		pool2x2Shape(1, 2, 12, 13),   // 6x6, odd
		pool2x2Shape(2, 2, 14, 14),   // 7x7
		pool2x2Shape(1, 1, 15, 15),   // 7x7, odd
		pool2x2Shape(1, 2, 5, 14),    // 2x7
		pool2x2Shape(1, 1, 2, 10),    // 1x5
		pool2x2Shape(1, 2, 16, 18),   // 8x9
		pool2x2Shape(1, 1, 2, 16),    // 1x8
		pool2x2Shape(16, 32, 14, 14), // 7x7, in parallel
		pool2x2Shape(16, 48, 7, 7),   // 3x3, in parallel
		pool2x2Shape(1, 1, 4, 4),     // 2x2, one plane
		pool2x2Shape(3, 1, 4, 5),     // 2x2
		pool2x2Shape(2, 1, 5, 4),     // 2x2
		pool2x2Shape(1, 2, 9, 7),     // 4x3
		pool2x2Shape(2, 1, 7, 2),     // 3x1
		// Fewer windows than the input holds.
		{N: 2, C: 1, H: 6, W: 11, KH: 2, KW: 2, SH: 2, SW: 2, OH: 3, OW: 3},
		{N: 2, C: 2, H: 9, W: 20, KH: 2, KW: 2, SH: 2, SW: 2, OH: 2, OW: 6},
	}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(11))
		for _, s := range shapes {
			for _, kind := range []string{"distinct", "ties", "nan"} {
				t.Run(fmt.Sprintf("%v/%s", s, kind), func(t *testing.T) {
					testMaxPool2x2(t, rng, s, kind)
				})
			}
		}
	})
}

func testMaxPool2x2(t *testing.T, rng *rand.Rand, s PoolShape, kind string) {
	x := poolInput(rng, kind, s.N*s.C*s.H*s.W)
	n := s.N * s.C * s.OH * s.OW
	for _, relu := range []bool{false, true} {
		wy, wam := refMaxPool(s, x, relu)
		if kind != "nan" && !relu {
			_, nam := naiveMaxPool(s, to64(x))
			for i := range wam {
				if wam[i] != nam[i] {
					t.Fatalf("refMaxPool argmax[%d] = %d, NaiveMaxPool %d", i, wam[i], nam[i])
				}
			}
		}
		for _, withAM := range []bool{true, false} {
			y := randSlice(rng, n)
			var am []int32
			if withAM {
				am = make([]int32, n)
				for i := range am {
					am[i] = -7
				}
			}
			if relu {
				MaxPool2DReLUForward(s, x, y, am)
			} else {
				MaxPool2DForward(s, x, y, am)
			}
			for i := range y {
				if !sameBits(y[i], wy[i]) {
					t.Fatalf("relu=%v argmax=%v: y[%d] = %g (%#x), want %g (%#x)", relu, withAM, i,
						y[i], math.Float32bits(y[i]), wy[i], math.Float32bits(wy[i]))
				}
				if withAM && am[i] != wam[i] {
					t.Fatalf("relu=%v: argmax[%d] = %d, want %d", relu, i, am[i], wam[i])
				}
			}
		}
		// The gradient: dy at each window's argmax, 0 on every other
		// cell (those outside the windows included).
		dy := randSlice(rng, n)
		dx := randSlice(rng, len(x))
		MaxPool2DBackward(s, dy, wam, dx)
		want := make([]float32, len(x))
		for i, a := range wam {
			if a >= 0 {
				want[a] = dy[i]
			}
		}
		for i := range dx {
			if math.Float32bits(dx[i]) != math.Float32bits(want[i]) {
				t.Fatalf("relu=%v: dx[%d] = %g, want %g", relu, i, dx[i], want[i])
			}
		}
	}
}
