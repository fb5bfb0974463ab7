package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestFirstNonFinite puts a NaN or an infinity at every position of inputs
// of lengths around the blocks of 8 and 32 (and a second one after it),
// on every path, and checks that FirstNonFinite finds the first; inputs of
// only finite values, the largest and the subnormal ones included, give -1.
func TestFirstNonFinite(t *testing.T) {
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0xffc00001), math.Float32frombits(0x7f800001)}
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 7, 8, 31, 32, 33, 64, 100, 784} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				x := make([]float32, n)
				for i := range x {
					switch i % 6 {
					case 0:
						x[i] = math.MaxFloat32
					case 1:
						x[i] = -math.MaxFloat32
					case 2:
						x[i] = math.SmallestNonzeroFloat32
					case 3:
						x[i] = float32(math.Copysign(0, -1))
					default:
						x[i] = float32(i) - 50
					}
				}
				if got := FirstNonFinite(x); got != -1 {
					t.Fatalf("finite values: got %d, want -1", got)
				}
				for pos := range n {
					v := bad[pos%len(bad)]
					old := x[pos]
					x[pos] = v
					second := min(pos+5, n-1)
					old2 := x[second]
					x[second] = bad[(pos+1)%len(bad)]
					got := FirstNonFinite(x)
					x[pos], x[second] = old, old2
					if got != pos {
						t.Fatalf("%v at %d (and another at %d): got %d", v, pos, second, got)
					}
				}
			})
		}
	})
}

// BenchmarkFirstNonFinite scans one MNIST-sized example of finite values.
func BenchmarkFirstNonFinite(b *testing.B) {
	x := randSlice(rand.New(rand.NewSource(9)), 784)
	benchFamily(b, 0, func(b *testing.B) {
		if FirstNonFinite(x) != -1 {
			b.Fatal("a finite input has a non-finite value")
		}
	})
}
