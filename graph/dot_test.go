package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// TestDOT writes the DOT of a small recipe-like model, before and after
// compiling its gradients.
func TestDOT(t *testing.T) {
	mdl, err := model.NewSequential([]int{1, 8, 8}, []layers.Layer{
		layers.Conv2D(2, 3, 3, layers.Activation(ops.ReLU)),
		layers.MaxPool2D(2, 2),
		layers.Flatten(),
		layers.Dense(3, layers.Activation(ops.Softmax)),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		train bool
		want  []string
	}{
		{"inference", false, []string{"digraph", "Conv2D", "conv2d_1/kernel", "dense_1/bias", "softmax"}},
		{"training", true, []string{"digraph", "Conv2D", "Conv2DFilterGrad", "MatMul"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graph.New(mdl.Params(), graph.Training(tc.train))
			x := g.Input("x", 2, 1, 8, 8)
			out, err := mdl.Build(g, x)
			if err != nil {
				t.Fatal(err)
			}
			if tc.train {
				y := g.Input("y", 2, 3)
				loss, err := ops.SoftmaxCrossEntropy(out.Logits[0], y, nil)
				if err != nil {
					t.Fatal(err)
				}
				m, err := g.Compile(loss)
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
			}
			dot, err := g.DOT()
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(dot, w) {
					t.Errorf("DOT lacks %q:\n%s", w, dot)
				}
			}
		})
	}
}

// The DOT text of a graph with one input and a ReLU, ready for Graphviz.
func ExampleGraph_DOT() {
	params, err := graph.NewParams(tensor.Float32, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	g := graph.New(params)
	y, err := ops.Activate(g.Input("x", 2, 3), ops.ReLU)
	if err != nil {
		fmt.Println(err)
		return
	}
	dot, err := g.DOT()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(strings.TrimSpace(dot), "digraph"), strings.Contains(dot, y.Op().String()))
	// Output: true true
}
