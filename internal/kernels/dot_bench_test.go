package kernels

import (
	"math/rand"
	"testing"
)

// BenchmarkDotKernel measures the dot-product kernel of the filter gradient
// at the conv2 shape: all 4×3 tiles of dW[20×252] over a block of 16
// images, single-threaded.
func BenchmarkDotKernel(b *testing.B) {
	rng := rand.New(rand.NewSource(9))
	s := benchConv2
	s.N = 16
	p := newConvPlan(&s)
	x := randSlice(rng, s.N*s.C*s.H*s.W)
	dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
	kp := (p.k2 + dotCols - 1) / dotCols * dotCols
	offK := make([]int32, kp)
	for k := range offK {
		offK[k] = p.offK[min(k, p.k2-1)]
	}
	c := make([]float32, s.F*kp)
	flops := 2 * float64(s.N*s.F*kp*s.OH*s.OW)
	benchFamily(b, flops, func(*testing.B) {
		for f0 := 0; f0 < s.F; f0 += dotRows {
			for k0 := 0; k0 < p.k2; k0 += dotCols {
				dot(s.N, dy[f0*p.outLen:], p.outLen, s.F*p.outLen, p.src[:p.nch], x, offK[k0:k0+dotCols], p.imgLen, c[f0*kp+k0:], kp)
			}
		}
	})
}
