package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// refLanes is the reference reduction of one segment: four interleaved
// float64 partial sums, the values past a multiple of four in the first,
// added as (s0+s1)+(s2+s3).
func refLanes(n int, term func(j int) float64) float64 {
	var s [4]float64
	j := 0
	for ; j+4 <= n; j += 4 {
		for l := range s {
			s[l] += term(j + l)
		}
	}
	for ; j < n; j++ {
		s[0] += term(j)
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// TestChannelStatsBits checks that the channel reductions of batch
// normalization give, on every kernel path, the bits of the reference
// order on random shapes: odd segment lengths, lengths under four, one
// segment and counts that are not a multiple of four.
func TestChannelStatsBits(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	type shape struct{ n, pitch, inner int }
	shapes := []shape{{1, 1, 1}, {1, 3, 3}, {2, 5, 4}, {3, 7, 7}, {4, 49, 49}, {5, 60, 49}, {128, 196, 196}, {7, 800, 784}}
	for len(shapes) < 24 {
		inner := 1 + rng.Intn(70)
		shapes = append(shapes, shape{1 + rng.Intn(11), inner + rng.Intn(5), inner})
	}
	depthwisePaths(t, func(t *testing.T) {
		for _, sh := range shapes {
			t.Run(fmt.Sprintf("n%d_p%d_i%d", sh.n, sh.pitch, sh.inner), func(t *testing.T) {
				size := (sh.n-1)*sh.pitch + sh.inner
				x, a := randSlice(rng, size), randSlice(rng, size)
				mean := rng.Float64() - 0.5
				want := func(term func(k int) float64) float64 {
					var total float64
					for i := range sh.n {
						total += refLanes(sh.inner, func(j int) float64 { return term(i*sh.pitch + j) })
					}
					return total
				}
				for _, r := range []struct {
					name      string
					got, want float64
				}{
					{"sum", ChannelSum64(x, sh.n, sh.pitch, sh.inner), want(func(k int) float64 { return float64(x[k]) })},
					{"sqdev", ChannelSqDev64(x, sh.n, sh.pitch, sh.inner, mean), want(func(k int) float64 {
						d := float64(x[k]) - mean
						return float64(d * d)
					})},
					{"dotdev", ChannelDotDev64(a, x, sh.n, sh.pitch, sh.inner, mean), want(func(k int) float64 {
						return float64(float64(a[k]) * (float64(x[k]) - mean))
					})},
				} {
					if r.got != r.want {
						t.Errorf("%s = %v, want %v", r.name, r.got, r.want)
					}
				}
			})
		}
	})
}

// TestLinCombBits checks LinComb against its formula, bit for bit, on
// every kernel path and lengths around the vector width.
func TestLinCombBits(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	depthwisePaths(t, func(t *testing.T) {
		for _, n := range []int{1, 7, 8, 9, 16, 31, 49, 196, 785} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				u, v, dst := randSlice(rng, n), randSlice(rng, n), make([]float32, n)
				a, b, c := float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
				LinComb(dst, u, v, a, b, c)
				for j := range dst {
					if want := float32(a*u[j]) + float32(b*v[j]) + c; dst[j] != want {
						t.Fatalf("dst[%d] = %v, want %v", j, dst[j], want)
					}
				}
			})
		}
	})
}
