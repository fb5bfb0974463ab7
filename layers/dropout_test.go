package layers_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/gradcheck"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// TestDropoutGradients checks, in float64, the symbolic gradient of a
// cross-entropy loss through Dropout layers in a training graph against
// central finite differences, as TestLayerGradients does for the other
// layers. FreezeMask keeps each mask fixed across the runs of the check.
func TestDropoutGradients(t *testing.T) {
	head := func(ls ...layers.Layer) []layers.Layer {
		return append(ls, layers.Flatten(), layers.Dense(3, layers.Activation(ops.Softmax)))
	}
	tests := []struct {
		name   string
		input  []int
		layers []layers.Layer
	}{
		{"dropout after dense", []int{6}, []layers.Layer{layers.Dense(8, layers.Activation(ops.ReLU)), layers.Dropout(0.5, layers.FreezeMask()), layers.Dense(3, layers.Activation(ops.Softmax))}},
		{"dropout after conv2d", []int{1, 6, 6}, head(layers.Conv2D(3, 3, 3, layers.Activation(ops.Tanh)), layers.Dropout(0.3, layers.FreezeMask()))},
		{"two dropouts", []int{5}, []layers.Layer{layers.Dropout(0.2, layers.FreezeMask()), layers.Dense(6, layers.Activation(ops.Sigmoid)), layers.Dropout(0.6, layers.FreezeMask()), layers.Dense(3, layers.Activation(ops.Softmax))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mdl, err := model.NewSequential(tc.input, tc.layers, model.Float64(), model.Seed(3))
			if err != nil {
				t.Fatal(err)
			}
			m, out, loss := lossGraph(t, mdl, true)
			defer m.Close()
			if err := m.Run(); err != nil {
				t.Fatal(err)
			}
			// Every dropout must have dropped something, or the check
			// proves nothing about the mask.
			for _, l := range mdl.Layers() {
				if l.Type() != "Dropout" {
					continue
				}
				v, err := graph.Read[float64](out.Layers[l.Name()], nil)
				if err != nil {
					t.Fatal(err)
				}
				zeros := 0
				for _, f := range v {
					if f == 0 {
						zeros++
					}
				}
				if zeros == 0 {
					t.Fatalf("%s dropped nothing", l.Name())
				}
			}
			gradcheck.Check(t, m, loss)
		})
	}
}

// dropoutOutput builds the model [Dense(16), Dropout(rate)] with the given
// seed into a graph for a batch of 4 ones, runs it runs times, as steps
// 0, 1, …, and returns the dropout layer's output node, its input node and
// the values of each run.
func dropoutOutput(t *testing.T, seed uint64, training bool, runs int) (out, in *G.Node, vals [][]float32) {
	t.Helper()
	mdl, err := model.NewSequential([]int{4}, []layers.Layer{
		layers.Dense(16, layers.BiasInitializer(graph.Constant(1))),
		layers.Dropout(0.5),
	}, model.Seed(seed))
	if err != nil {
		t.Fatal(err)
	}
	dense, drop := mdl.Layers()[0].Name(), mdl.Layers()[1].Name()
	g := graph.New(mdl.Params(), graph.Training(training))
	x := g.Input("x", 4, 4)
	if err := graph.Set(x, make([]float32, 16)); err != nil {
		t.Fatal(err)
	}
	o, err := mdl.Build(g, x)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for r := range runs {
		m.SetStep(uint64(r))
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		v, err := graph.Read[float32](o.Layers[drop], nil)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, v)
	}
	return o.Layers[drop], o.Layers[dense], vals
}

// TestDropoutModes checks that Dropout is the identity node in inference
// graphs, masks and scales by 2 at rate 0.5 in training graphs, draws a new
// mask each step and draws the same masks for the same model seed.
func TestDropoutModes(t *testing.T) {
	tests := []struct {
		name     string
		training bool
	}{
		{"inference", false},
		{"training", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, in, vals := dropoutOutput(t, 7, tc.training, 2)
			if !tc.training {
				if out != in {
					t.Fatal("an inference graph's Dropout is not its input node")
				}
				return
			}
			if out == in {
				t.Fatal("a training graph's Dropout is its input node")
			}
			zeros := 0
			for _, v := range vals[0] { // the input is all ones (the bias)
				switch v {
				case 0:
					zeros++
				case 2:
				default:
					t.Fatalf("output %v is neither 0 nor 2", v)
				}
			}
			if zeros == 0 || zeros == len(vals[0]) {
				t.Errorf("dropped %d of %d values", zeros, len(vals[0]))
			}
			if fmt.Sprint(vals[0]) == fmt.Sprint(vals[1]) {
				t.Error("two steps drew the same mask")
			}
			_, _, again := dropoutOutput(t, 7, true, 2)
			if fmt.Sprint(vals) != fmt.Sprint(again) {
				t.Error("the same model seed drew different masks")
			}
			_, _, other := dropoutOutput(t, 8, true, 1)
			if fmt.Sprint(vals[0]) == fmt.Sprint(other[0]) {
				t.Error("another model seed drew the same mask")
			}
		})
	}
}

// TestDropoutErrors checks that a bad rate or option is an error naming the
// layer, when the model is made.
func TestDropoutErrors(t *testing.T) {
	tests := []struct {
		name   string
		layers []layers.Layer
		want   []string
	}{
		{"rate 1", []layers.Layer{layers.Dropout(1)}, []string{"dropout_1", "rate 1 "}},
		{"negative rate", []layers.Layer{layers.Dense(3), layers.Dropout(-0.5)}, []string{"dropout_1", "-0.5"}},
		{"NaN rate", []layers.Layer{layers.Dropout(math.NaN())}, []string{"dropout_1", "NaN"}},
		{"option that does not apply", []layers.Layer{layers.Dropout(0.5, layers.Strides(2, 2))}, []string{"dropout_1", "Strides"}},
		{"FreezeMask on another layer", []layers.Layer{layers.Dense(2, layers.FreezeMask())}, []string{"dense_1", "FreezeMask"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := model.NewSequential([]int{4}, tc.layers)
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
}

// Dropout at rate 0.5 in a training graph zeroes about half of its inputs
// and doubles the others; an inference graph passes the input through.
func ExampleDropout() {
	mdl, err := model.NewSequential([]int{8}, []layers.Layer{layers.Dropout(0.5)}, model.Seed(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, training := range []bool{true, false} {
		g := graph.New(mdl.Params(), graph.Training(training))
		x := g.Input("x", 1, 8)
		if err := graph.Set(x, []float32{1, 1, 1, 1, 1, 1, 1, 1}); err != nil {
			fmt.Println(err)
			return
		}
		out, err := mdl.Build(g, x)
		if err != nil {
			fmt.Println(err)
			return
		}
		m, err := g.Compile(nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := m.Run(); err != nil {
			fmt.Println(err)
			return
		}
		y, _ := graph.Read[float32](out.Outputs[0], nil)
		fmt.Printf("training=%v: %v\n", training, y)
		m.Close()
	}
	_, err = model.NewSequential([]int{8}, []layers.Layer{layers.Dropout(1)})
	fmt.Println(err)
	// Output:
	// training=true: [2 0 0 2 2 0 2 2]
	// training=false: [1 1 1 1 1 1 1 1]
	// layer dropout_1 (Dropout) with input shape (None, 8): dropout rate 1 is not in [0, 1)
}
