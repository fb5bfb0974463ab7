package ops

import (
	"fmt"
	"math"
	"testing"
)

// TestSums checks BatchNorm's float64 reductions against plain loops on
// lengths around their four partial sums, in float32 and float64.
func TestSums(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 8, 17, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a, x := make([]float32, n), make([]float32, n)
			for i := range x {
				x[i] = float32(math.Sin(float64(i)*1.7)) + 3
				a[i] = float32(math.Cos(float64(i) * 0.3))
			}
			const mean = 2.9
			var ws, wq, wd float64
			for i := range x {
				ws += float64(x[i])
				d := float64(x[i]) - mean
				wq += d * d
				wd += float64(a[i]) * d
			}
			x64 := make([]float64, n)
			for i, v := range x {
				x64[i] = float64(v)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"sum64", sum64(x), ws}, {"sum64 float64", sum64(x64), ws},
				{"sqDev64", sqDev64(x, mean), wq}, {"dotDev64", dotDev64(a, x, mean), wd},
			} {
				if math.Abs(c.got-c.want) > 1e-12*max(1, math.Abs(c.want)) {
					t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
				}
			}
		})
	}
}
