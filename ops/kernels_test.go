package ops_test

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// runBoth builds the same graph in float32 (the fast kernels) and float64
// (the reference loops) from the same seeded parameters and returns, for
// each, the output followed by the gradient of each parameter.
func runBoth(t *testing.T, build buildFn, loss lossFn) (f32, f64 [][]float64) {
	t.Helper()
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		m, y, _ := compileLoss(t, dt, 11, build, loss)
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		out, err := graph.Read[float64](y, nil)
		if err != nil {
			t.Fatal(err)
		}
		res := [][]float64{out}
		grads, err := m.Grads()
		if err != nil {
			t.Fatal(err)
		}
		for _, gr := range grads {
			v := make([]float64, gr.Size())
			if dt == tensor.Float32 {
				for i, x := range gr.Float32s() {
					v[i] = float64(x)
				}
			} else {
				copy(v, gr.Float64s())
			}
			res = append(res, v)
		}
		m.Close()
		if dt == tensor.Float32 {
			f32 = res
		} else {
			f64 = res
		}
	}
	return f32, f64
}

// TestFloat32KernelsMatchReference runs every op's float32 path (the
// kernels) against its float64 reference loops at the recipe's shapes and
// at awkward ones: outputs and gradients within 1e-4.
func TestFloat32KernelsMatchReference(t *testing.T) {
	conv := func(n, c, h, w, f, kh, kw int, o ops.ConvOpts) buildFn {
		return func(g *graph.Graph) (*gorgonia.Node, error) {
			return ops.Conv2D(param(t, g, "x", n, c, h, w), param(t, g, "w", f, c, kh, kw), param(t, g, "b", f), o, true)
		}
	}
	pool := func(isMax bool, n, c, h, w, k int, o ops.ConvOpts) buildFn {
		return func(g *graph.Graph) (*gorgonia.Node, error) {
			x := param(t, g, "x", n, c, h, w)
			if isMax {
				return ops.MaxPool2D(x, k, k, o)
			}
			return ops.AvgPool2D(x, k, k, o)
		}
	}
	tests := []struct {
		name  string
		build buildFn
		loss  lossFn
	}{
		{"conv1 recipe", conv(8, 1, 28, 28, 10, 5, 5, ops.ConvOpts{}), ops.MeanSquaredError},
		{"conv2 recipe", conv(8, 10, 12, 12, 20, 5, 5, ops.ConvOpts{}), ops.MeanSquaredError},
		{"conv same stride 2", conv(3, 3, 9, 7, 4, 3, 3, ops.ConvOpts{StrideH: 2, Same: true}), ops.MeanSquaredError},
		{"conv non-square stride 3", conv(2, 2, 10, 11, 3, 2, 4, ops.ConvOpts{StrideH: 3, StrideW: 3}), ops.MeanSquaredError},
		{"conv 1x1", conv(2, 5, 4, 4, 3, 1, 1, ops.ConvOpts{}), ops.MeanSquaredError},
		{"maxpool recipe", pool(true, 8, 10, 24, 24, 2, ops.ConvOpts{StrideH: 2}), ops.MeanSquaredError},
		{"maxpool odd overlap", pool(true, 2, 3, 9, 7, 3, ops.ConvOpts{StrideH: 2}), ops.MeanSquaredError},
		{"maxpool same", pool(true, 2, 2, 7, 7, 2, ops.ConvOpts{StrideH: 2, Same: true}), ops.MeanSquaredError},
		{"avgpool same", pool(false, 2, 2, 7, 7, 3, ops.ConvOpts{StrideH: 2, Same: true}), ops.MeanSquaredError},
		{"relu", func(g *graph.Graph) (*gorgonia.Node, error) { return ops.Activate(param(t, g, "x", 64, 37), ops.ReLU) }, ops.MeanSquaredError},
		{"affine recipe", func(g *graph.Graph) (*gorgonia.Node, error) {
			return ops.Affine(param(t, g, "x", 128, 320), param(t, g, "w", 320, 100), param(t, g, "b", 100))
		}, ops.MeanSquaredError},
		{"softmax cross-entropy", func(g *graph.Graph) (*gorgonia.Node, error) {
			return ops.Affine(param(t, g, "x", 16, 20), param(t, g, "w", 20, 10), param(t, g, "b", 10))
		}, ops.SoftmaxCrossEntropy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := runBoth(t, tc.build, tc.loss)
			for i := range a {
				what := "output"
				if i > 0 {
					what = "gradient of parameter " + string(rune('0'+i))
				}
				scale := 0.0
				for _, v := range b[i] {
					scale = math.Max(scale, math.Abs(v))
				}
				for j := range a[i] {
					if d := math.Abs(a[i][j] - b[i][j]); d > 1e-4*math.Max(scale, 1e-3) {
						t.Fatalf("%s[%d]: float32 %.7g, float64 %.7g (scale %.3g)", what, j, a[i][j], b[i][j], scale)
					}
				}
			}
		})
	}
}
