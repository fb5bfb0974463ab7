package ops_test

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// A 2×2 kernel of ones slides over a 3×3 image, as the lecture's first
// worked example: each output is the sum of a window. The op is an ordinary
// Gorgonia node, compiled and run by package graph.
func ExampleConv2D() {
	params, err := graph.NewParams(tensor.Float64, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	g := graph.New(params)
	x := g.Input("image", 1, 1, 3, 3)  // N, C, H, W
	w := g.Input("kernel", 1, 1, 2, 2) // F, C, KH, KW
	b := g.Input("bias", 1)            // F
	if err := graph.Set(x, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}); err != nil {
		fmt.Println(err)
		return
	}
	if err := graph.Set(w, []float64{1, 1, 1, 1}); err != nil {
		fmt.Println(err)
		return
	}
	y, err := ops.Conv2D(x, w, b, ops.ConvOpts{}, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	relu, err := ops.Activate(y, ops.ReLU)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := g.Compile(nil, relu)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	if err := m.Run(); err != nil {
		fmt.Println(err)
		return
	}
	out, err := graph.Read[float64](relu, nil)
	fmt.Println(y.Shape(), out, err)
	// Output:
	// (1, 1, 2, 2) [12 16 24 28] <nil>
}

// Activations are named as in Keras, and parsed from those names as model
// files store them.
func ExampleParseActivation() {
	a, err := ops.ParseActivation("leaky_relu")
	fmt.Println(a, err, a == ops.LeakyReLU)
	_, err = ops.ParseActivation("swish")
	fmt.Println(err)
	// Output:
	// leaky_relu <nil> true
	// unknown activation "swish" (want linear, relu, sigmoid, tanh, softmax, leaky_relu, elu or gelu)
}
