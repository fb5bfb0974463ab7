package layers_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/gradcheck"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// TestLayerGradients checks, in float64, the symbolic gradient of a
// cross-entropy loss with respect to every parameter against central finite
// differences, for a small model around each layer.
func TestLayerGradients(t *testing.T) {
	head := func(ls ...layers.Layer) []layers.Layer {
		return append(ls, layers.Flatten(), layers.Dense(3, layers.Activation(ops.Softmax)))
	}
	tests := []struct {
		name   string
		input  []int
		layers []layers.Layer
	}{
		{"conv2d valid relu", []int{2, 6, 6}, head(layers.Conv2D(3, 3, 3, layers.Activation(ops.ReLU)))},
		{"conv2d same stride 2 tanh", []int{1, 7, 5}, head(layers.Conv2D(2, 3, 2, layers.Strides(2, 2), layers.Padding(layers.Same), layers.Activation(ops.Tanh)))},
		{"conv2d after conv2d", []int{1, 6, 6}, head(layers.Conv2D(2, 3, 3, layers.Activation(ops.Sigmoid)), layers.Conv2D(2, 2, 2))},
		{"maxpool2d", []int{2, 6, 6}, head(layers.Conv2D(2, 3, 3), layers.MaxPool2D(2, 2))},
		{"maxpool2d overlapping", []int{1, 7, 7}, head(layers.Conv2D(2, 2, 2), layers.MaxPool2D(3, 3, layers.Strides(1, 1)))},
		{"avgpool2d same", []int{1, 7, 7}, head(layers.Conv2D(2, 2, 2), layers.AvgPool2D(2, 2, layers.Padding(layers.Same)))},
		{"dense relu", []int{5}, []layers.Layer{layers.Dense(4, layers.Activation(ops.ReLU)), layers.Dense(3, layers.Activation(ops.Softmax))}},
		{"activation layers", []int{5}, []layers.Layer{layers.Dense(4), layers.Sigmoid(), layers.Dense(4), layers.Tanh(), layers.Dense(4), layers.ReLU(), layers.Dense(3), layers.Softmax()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mdl, err := model.NewSequential(tc.input, tc.layers, model.Float64(), model.Seed(3))
			if err != nil {
				t.Fatal(err)
			}
			m, out, loss := lossGraph(t, mdl, false)
			if out.Logits[0] == nil {
				t.Fatal("a model ending in softmax exposes no logits")
			}
			defer m.Close()
			gradcheck.Check(t, m, loss)
		})
	}
}

// lossGraph randomises the parameters of the float64 model (Keras's
// default initialisers leave biases at zero; random values make every path
// carry gradient), builds it for a batch of two random inputs with a
// cross-entropy loss on its logits, and compiles it.
func lossGraph(t *testing.T, mdl *model.Model, training bool) (*graph.Machine, model.Outputs, *G.Node) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range mdl.Params().List() {
		for i := range p.Value.Float64s() {
			p.Value.Float64s()[i] = rng.Float64()*2 - 1
		}
	}
	const n = 2
	g := graph.New(mdl.Params(), graph.Training(training))
	in := 1
	for _, d := range mdl.InputShape(0) {
		in *= d
	}
	x := g.Input("x", append([]int{n}, mdl.InputShape(0)...)...)
	xs := make([]float64, n*in)
	for i := range xs {
		xs[i] = rng.Float64()
	}
	if err := graph.Set(x, xs); err != nil {
		t.Fatal(err)
	}
	out, err := mdl.Build(g, x)
	if err != nil {
		t.Fatal(err)
	}
	y := g.Input("y", n, 3)
	if err := graph.Set(y, []float64{1, 0, 0, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	loss, err := ops.SoftmaxCrossEntropy(out.Logits[0], y, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	return m, out, loss
}

// TestShapeErrors checks that shapes that cannot work are errors naming
// the layer and the shapes, never panics.
func TestShapeErrors(t *testing.T) {
	tests := []struct {
		name   string
		input  []int
		layers []layers.Layer
		want   []string
	}{
		{"kernel larger than input", []int{1, 4, 4}, []layers.Layer{layers.Conv2D(2, 5, 5)}, []string{"conv2d_1", "(None, 1, 4, 4)", "5x5"}},
		{"dense after 4-D", []int{1, 8, 8}, []layers.Layer{layers.Conv2D(2, 3, 3), layers.Dense(4)}, []string{"dense_1", "(None, 2, 6, 6)", "Flatten"}},
		{"conv on vectors", []int{10}, []layers.Layer{layers.Conv2D(2, 3, 3)}, []string{"conv2d_1", "(None, 10)"}},
		{"pool larger than input", []int{1, 3, 3}, []layers.Layer{layers.MaxPool2D(4, 4)}, []string{"max_pooling2d_1", "window 4"}},
		{"unknown activation", []int{4}, []layers.Layer{layers.Dense(2, layers.Activation(ops.Activation(99)))}, []string{"dense_1", "Activation(99)"}},
		{"option that does not apply", []int{4}, []layers.Layer{layers.Dense(2, layers.Strides(2, 2))}, []string{"dense_1", "Strides"}},
		{"zero strides", []int{1, 4, 4}, []layers.Layer{layers.Conv2D(2, 3, 3, layers.Strides(0, 0))}, []string{"conv2d_1", "Strides(0, 0): strides must be positive"}},
		{"negative pool stride", []int{1, 4, 4}, []layers.Layer{layers.MaxPool2D(2, 2, layers.Strides(1, -1))}, []string{"max_pooling2d_1", "Strides(1, -1)"}},
		{"huge kernel", []int{1, 4, 4}, []layers.Layer{layers.Conv2D(1<<31, 1<<31, 1<<31)}, []string{"conv2d_1", "graph.MaxParamValues"}},
		{"huge dense", []int{320}, []layers.Layer{layers.Dense(1e9)}, []string{"dense_1", "graph.MaxParamValues"}},
		{"zero filters", []int{1, 4, 4}, []layers.Layer{layers.Conv2D(0, 3, 3)}, []string{"conv2d_1", "filters 0"}},
		{"bad input shape", []int{0, 4}, []layers.Layer{layers.Dense(2)}, []string{"input shape"}},
		{"no layers", []int{4}, nil, []string{"no layers"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := model.NewSequential(tc.input, tc.layers)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// A model file names activations: an unknown name is an error naming it.
	t.Run("unknown activation name", func(t *testing.T) {
		if _, err := ops.ParseActivation("swish"); err == nil || !strings.Contains(err.Error(), "swish") {
			t.Errorf("ParseActivation(swish): err = %v, want one mentioning swish", err)
		}
	})
}
