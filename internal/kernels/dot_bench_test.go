package kernels

import (
	"math/rand"
	"testing"
)

// BenchmarkDotKernel measures the dot-product kernel of the filter gradient
// at the per-image conv2 shape (dW[21×252] over 64 positions).
func BenchmarkDotKernel(b *testing.B) {
	rng := rand.New(rand.NewSource(9))
	const fp, kp, ld = 21, 252, 64
	a := randSlice(rng, fp*ld)
	col := randSlice(rng, kp*ld)
	c := make([]float32, fp*kp)
	benchFamily(b, 2*fp*kp*ld, func(*testing.B) {
		for k0 := 0; k0 < kp; k0 += 4 {
			dot(ld/8, fp/dotRows, a, ld, col[k0*ld:], ld, c[k0:], kp)
		}
	})
}
