package model

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestCheckFinite puts one NaN or infinity (or none) at every position of
// inputs of odd and block-sized lengths and checks that checkFinite names
// exactly that position, and accepts the largest finite values.
func TestCheckFinite(t *testing.T) {
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0xffc00001)}
	for _, n := range []int{1, 7, 8, 9, 17, 784} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(i%5) - 2
			}
			x[n/2] = math.MaxFloat32
			x[n-1] = -math.MaxFloat32
			x[0] = math.SmallestNonzeroFloat32
			if err := checkFinite(x, 7); err != nil {
				t.Fatalf("finite values: %v", err)
			}
			for pos := range n {
				for _, v := range bad {
					old := x[pos]
					x[pos] = v
					err := checkFinite(x, 7)
					x[pos] = old
					want := fmt.Sprintf("example %d, value %d is", pos/7, pos%7)
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Fatalf("%v at %d: got %v, want %q", v, pos, err, want)
					}
				}
			}
		})
	}
}

// BenchmarkCheckFinite scans one MNIST-sized example.
func BenchmarkCheckFinite(b *testing.B) {
	x := make([]float32, 784)
	for i := range x {
		x[i] = float32(i%255) / 255
	}
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		if err := checkFinite(x, len(x)); err != nil {
			b.Fatal(err)
		}
	}
}
