package ops_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/gradcheck"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// buildFn builds an op under test from parameter nodes; the test treats
// every parameter, inputs included, as something to differentiate.
type buildFn func(g *graph.Graph) (*G.Node, error)

// param makes a float64 parameter filled with values from U(-1, 1).
func param(t *testing.T, g *graph.Graph, name string, shape ...int) *G.Node {
	t.Helper()
	n, err := g.Param(name, shape, graph.RandomUniform(-1, 1))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lossFn is one of package ops' losses: predictions, targets and
// optional weights per row.
type lossFn func(x, t, w *G.Node) (*G.Node, error)

// huber1 is the Huber loss with Keras's default δ = 1.
func huber1(x, t, w *G.Node) (*G.Node, error) { return ops.Huber(x, t, w, 1) }

// sameFunc reports whether a and b are the same function.
func sameFunc(a, b lossFn) bool {
	return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer()
}

// compileLoss builds an op under test into a graph of the given dtype with
// parameters seeded by seed, adds the loss against random targets
// (probability rows for cross-entropy), and compiles it. It returns the
// machine, the op's output and the loss.
func compileLoss(t *testing.T, dt tensor.Dtype, seed uint64, build buildFn, loss lossFn) (*graph.Machine, *G.Node, *G.Node) {
	t.Helper()
	params, err := graph.NewParams(dt, seed)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params)
	y, err := build(g)
	if err != nil {
		t.Fatal(err)
	}
	target := g.Input("target", y.Shape()...)
	rng := rand.New(rand.NewPCG(1, 2))
	tv := make([]float64, y.Shape().TotalSize())
	for i := range tv {
		tv[i] = rng.Float64()
	}
	if sameFunc(loss, ops.SoftmaxCrossEntropy) { // targets are probability rows
		k := y.Shape()[1]
		for r := 0; r < len(tv); r += k {
			var s float64
			for _, v := range tv[r : r+k] {
				s += v
			}
			for i := r; i < r+k; i++ {
				tv[i] /= s
			}
		}
	}
	if err := graph.Set(target, tv); err != nil {
		t.Fatal(err)
	}
	l, err := loss(y, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile(l)
	if err != nil {
		t.Fatal(err)
	}
	return m, y, l
}

// checkGrad compares the symbolic gradient of the loss of build's output
// with central finite differences, for every parameter value.
func checkGrad(t *testing.T, build buildFn, loss lossFn) {
	t.Helper()
	m, _, l := compileLoss(t, tensor.Float64, 7, build, loss)
	defer m.Close()
	gradcheck.Check(t, m, l)
}

func TestGradients(t *testing.T) {
	conv := func(c, h, w, f, k int, o ops.ConvOpts) buildFn {
		return func(g *graph.Graph) (*G.Node, error) {
			return ops.Conv2D(param(t, g, "x", 2, c, h, w), param(t, g, "w", f, c, k, k), param(t, g, "b", f), o, true)
		}
	}
	pool := func(max bool, c, h, w, k int, o ops.ConvOpts) buildFn {
		return func(g *graph.Graph) (*G.Node, error) {
			x := param(t, g, "x", 2, c, h, w)
			if max {
				return ops.MaxPool2D(x, k, k, o)
			}
			return ops.AvgPool2D(x, k, k, o)
		}
	}
	act := func(a ops.Activation) buildFn {
		return func(g *graph.Graph) (*G.Node, error) { return ops.Activate(param(t, g, "x", 3, 4), a) }
	}
	tests := []struct {
		name  string
		build buildFn
		loss  lossFn
	}{
		{"conv valid", conv(2, 6, 5, 3, 3, ops.ConvOpts{}), ops.MeanSquaredError},
		{"conv same stride 2", conv(3, 7, 6, 2, 3, ops.ConvOpts{StrideH: 2, Same: true}), ops.MeanSquaredError},
		{"conv even kernel same", conv(1, 5, 5, 2, 2, ops.ConvOpts{Same: true}), ops.MeanAbsoluteError},
		{"maxpool 2", pool(true, 2, 4, 6, 2, ops.ConvOpts{StrideH: 2}), ops.MeanSquaredError},
		{"maxpool overlap", pool(true, 1, 5, 5, 3, ops.ConvOpts{StrideH: 1}), ops.MeanSquaredError},
		{"maxpool same", pool(true, 2, 5, 5, 2, ops.ConvOpts{StrideH: 2, Same: true}), ops.MeanSquaredError},
		{"avgpool same", pool(false, 2, 5, 5, 2, ops.ConvOpts{StrideH: 2, Same: true}), ops.MeanSquaredError},
		{"avgpool overlap", pool(false, 1, 5, 4, 3, ops.ConvOpts{StrideH: 1}), ops.MeanSquaredError},
		{"relu", act(ops.ReLU), ops.MeanSquaredError},
		{"sigmoid", act(ops.Sigmoid), ops.MeanSquaredError},
		{"tanh", act(ops.Tanh), ops.MeanSquaredError},
		{"affine", func(g *graph.Graph) (*G.Node, error) {
			return ops.Affine(param(t, g, "x", 3, 5), param(t, g, "w", 5, 4), param(t, g, "b", 4))
		}, ops.MeanSquaredError},
		{"conv without bias", func(g *graph.Graph) (*G.Node, error) {
			return ops.Conv2D(param(t, g, "x", 2, 2, 5, 6), param(t, g, "w", 3, 2, 3, 2), nil, ops.ConvOpts{StrideH: 2, Same: true}, true)
		}, ops.MeanSquaredError},
		{"affine without bias", func(g *graph.Graph) (*G.Node, error) {
			return ops.Affine(param(t, g, "x", 3, 5), param(t, g, "w", 5, 4), nil)
		}, ops.MeanSquaredError},
		{"flatten", func(g *graph.Graph) (*G.Node, error) {
			y, err := ops.Flatten(param(t, g, "x", 2, 2, 3, 2))
			if err != nil {
				return nil, err
			}
			return ops.Activate(y, ops.Tanh)
		}, ops.MeanSquaredError},
		{"softmax", func(g *graph.Graph) (*G.Node, error) { return ops.Activate(param(t, g, "x", 3, 4), ops.Softmax) }, ops.MeanSquaredError},
		{"softmax cross-entropy", func(g *graph.Graph) (*G.Node, error) {
			return ops.Activate(param(t, g, "x", 3, 5), ops.Tanh)
		}, ops.SoftmaxCrossEntropy},
		{"binary cross-entropy", act(ops.Sigmoid), ops.BinaryCrossEntropy},
		{"binary cross-entropy from logits", func(g *graph.Graph) (*G.Node, error) {
			return ops.Affine(param(t, g, "x", 3, 5), param(t, g, "w", 5, 4), param(t, g, "b", 4))
		}, ops.BinaryCrossEntropyFromLogits},
		{"huber", func(g *graph.Graph) (*G.Node, error) {
			// Values in (−3, 3) against targets in [0, 1): both sides of δ = 1.
			return ops.Affine(param(t, g, "x", 3, 5), param(t, g, "w", 5, 4), param(t, g, "b", 4))
		}, huber1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkGrad(t, tc.build, tc.loss) })
	}
}
