package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// Naive float64 references and test helpers.

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.Float64()*2 - 1)
	}
	return s
}

func to64(a []float32) []float64 {
	r := make([]float64, len(a))
	for i, v := range a {
		r[i] = float64(v)
	}
	return r
}

// checkClose fails unless |got-want| <= tol*(|want| + rms(want)) elementwise.
func checkClose(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", name, len(got), len(want))
	}
	var ss float64
	for _, v := range want {
		ss += v * v
	}
	rms := math.Sqrt(ss / float64(max(len(want), 1)))
	bad := 0
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*(math.Abs(want[i])+rms)) {
			if bad < 5 {
				t.Errorf("%s[%d] = %g, want %g", name, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements differ", name, bad, len(got))
	}
}

// forEachImpl runs f once with the assembly micro-kernel (if available)
// and once with the pure-Go one.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	savedAsm, saved512, savedAuto := useAsm, useAVX512, autoAVX512
	defer func() { useAsm, useAVX512, autoAVX512 = savedAsm, saved512, savedAuto }()
	autoAVX512 = false // each run forces its path
	if hasAVX512 {
		useAsm, useAVX512 = true, true
		t.Run("avx512", f)
	} else {
		t.Run("avx512", func(t *testing.T) {
			t.Skip("this CPU (or build) has no AVX-512F: the AVX-512 kernel is not tested here")
		})
	}
	useAVX512 = false
	if hasAsm {
		useAsm = true
		t.Run("avx2", f)
	}
	useAsm = false
	t.Run("go", f)
}

func (s ConvShape) String() string {
	return fmt.Sprintf("N%d_C%d_%dx%d_F%d_k%dx%d_s%dx%d_p%d,%d_o%dx%d", s.N, s.C, s.H, s.W, s.F, s.KH, s.KW, s.SH, s.SW, s.PadT, s.PadL, s.OH, s.OW)
}

func (s PoolShape) String() string {
	return fmt.Sprintf("N%d_C%d_%dx%d_k%dx%d_s%dx%d_p%d,%d_o%dx%d", s.N, s.C, s.H, s.W, s.KH, s.KW, s.SH, s.SW, s.PadT, s.PadL, s.OH, s.OW)
}

// The naive* helpers allocate their results and call the Naive functions.

func naiveConvForward(s ConvShape, x, w, b []float64) []float64 {
	y := make([]float64, s.N*s.F*s.OH*s.OW)
	NaiveConvForward(s, x, w, b, y)
	return y
}

func naiveConvBackwardData(s ConvShape, w, dy []float64) []float64 {
	dx := make([]float64, s.N*s.C*s.H*s.W)
	NaiveConvBackward(s, nil, w, dy, dx, nil, nil)
	return dx
}

func naiveConvBackwardFilter(s ConvShape, x, dy []float64) (dw, db []float64) {
	dw, db = make([]float64, s.F*s.C*s.KH*s.KW), make([]float64, s.F)
	NaiveConvBackward(s, x, nil, dy, nil, dw, db)
	return dw, db
}

func naiveMaxPool(s PoolShape, x []float64) ([]float64, []int32) {
	n := s.N * s.C * s.OH * s.OW
	y, am := make([]float64, n), make([]int32, n)
	NaiveMaxPool(s, x, y, am)
	return y, am
}

func naiveAvgPool(s PoolShape, x []float64) []float64 {
	y := make([]float64, s.N*s.C*s.OH*s.OW)
	NaiveAvgPool(s, x, y)
	return y
}

func naiveAvgPoolBackward(s PoolShape, dy []float64) []float64 {
	dx := make([]float64, s.N*s.C*s.H*s.W)
	NaiveAvgPoolBackward(s, dy, dx)
	return dx
}

// naiveGemm returns alpha*op(A)*op(B) + beta*C over the whole ldc-strided
// C buffer (cells outside the m×n region are copied unchanged).
func naiveGemm(tA, tB bool, m, n, k int, alpha float64, a []float32, lda int, b []float32, ldb int, beta float64, c []float32, ldc int) []float64 {
	r := to64(c)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				sum += float64(av) * float64(bv)
			}
			old := float64(c[i*ldc+j])
			if beta == 0 {
				old = 0
			}
			r[i*ldc+j] = alpha*sum + beta*old
		}
	}
	return r
}
