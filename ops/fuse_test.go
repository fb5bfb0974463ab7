package ops_test

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// TestConvPoolFusion checks the fused paths (conv → ReLU → max-pool, with the
// pooled filter gradient and without the unused input gradient) by finite
// differences in float64 and against float64 in float32.
func TestConvPoolFusion(t *testing.T) {
	build := func(n, c, h, w, f, k int, relu, dx bool, pk int, po ops.ConvOpts) buildFn {
		return func(g *graph.Graph) (*G.Node, error) {
			var x *G.Node
			if dx {
				x = param(t, g, "x", n, c, h, w)
			} else {
				x = g.Input("x", n, c, h, w)
				v := make([]float64, n*c*h*w)
				for i := range v {
					v[i] = math.Sin(float64(i)*0.37) * 2
				}
				if err := graph.Set(x, v); err != nil {
					return nil, err
				}
			}
			y, err := ops.Conv2D(x, param(t, g, "w", f, c, k, k), param(t, g, "b", f), ops.ConvOpts{}, dx)
			if err != nil {
				return nil, err
			}
			if relu {
				if y, err = ops.Activate(y, ops.ReLU); err != nil {
					return nil, err
				}
			}
			return ops.MaxPool2D(y, pk, pk, po)
		}
	}
	cases := []buildFn{
		build(2, 2, 6, 6, 3, 3, true, true, 2, ops.ConvOpts{StrideH: 2}),
		build(2, 2, 6, 6, 3, 3, false, true, 2, ops.ConvOpts{StrideH: 2}),
		build(2, 2, 6, 6, 3, 3, true, false, 2, ops.ConvOpts{StrideH: 2}),
		build(1, 2, 7, 7, 2, 3, true, true, 3, ops.ConvOpts{StrideH: 1}),
		build(2, 1, 7, 7, 2, 2, true, true, 2, ops.ConvOpts{StrideH: 2, Same: true}),
	}
	for _, b := range cases {
		checkGrad(t, b, ops.MeanSquaredError)
	}
	for _, b := range append(cases,
		build(8, 1, 28, 28, 10, 5, true, false, 2, ops.ConvOpts{StrideH: 2}),
		build(8, 10, 12, 12, 20, 5, true, true, 2, ops.ConvOpts{StrideH: 2}),
		// Shapes whose filter gradient skips the pooled kernel (see
		// kernels.PooledFilterGradPays): 3x3 and 1x1 over several channels.
		build(4, 8, 10, 10, 6, 3, true, true, 2, ops.ConvOpts{StrideH: 2}),
		build(4, 8, 10, 10, 7, 1, true, false, 2, ops.ConvOpts{StrideH: 2})) {
		a, c := runBoth(t, b, ops.MeanSquaredError)
		for i := range a {
			scale := 0.0
			for _, v := range c[i] {
				scale = math.Max(scale, math.Abs(v))
			}
			for j := range a[i] {
				if d := math.Abs(a[i][j] - c[i][j]); d > 1e-4*math.Max(scale, 1e-3) {
					t.Fatalf("%d[%d]: %g vs %g", i, j, a[i][j], c[i][j])
				}
			}
		}
	}
}
