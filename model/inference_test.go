package model

import (
	"fmt"
	"math"
	"sync"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// tapePredict is Predict for a batch of n examples done the old way: the
// model's inference graph compiled for Gorgonia's tape machine
// (graph.Compile), which Predict no longer uses.
func tapePredict(t *testing.T, m *Model, x []float32, n int) []float32 {
	t.Helper()
	g := graph.New(m.params)
	var in []*G.Node
	for _, i := range m.inputs {
		in = append(in, g.Input(m.names[i], append([]int{n}, i.shape...)...))
	}
	built, err := m.build(g, in, false)
	if err != nil {
		t.Fatal(err)
	}
	mach, err := g.Compile(nil, built.Outputs...)
	if err != nil {
		t.Fatal(err)
	}
	defer mach.Close()
	if err := m.Feed(in, x); err != nil {
		t.Fatal(err)
	}
	if err := mach.Run(); err != nil {
		t.Fatal(err)
	}
	outs := make([][]float32, len(built.Outputs))
	for i, o := range built.Outputs {
		if outs[i], err = graph.Read[float32](o, nil); err != nil {
			t.Fatal(err)
		}
	}
	var out []float32
	for e := 0; e < n; e++ {
		for i, o := range outs {
			out = append(out, o[e*m.outSizes[i]:(e+1)*m.outSizes[i]]...)
		}
	}
	return out
}

// sameBits fails unless got and want hold the same float32 bit patterns.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v (%#x), the tape machine gives %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// oneLayerModels is one small model per built-in layer type (and per
// option that picks another code path), each on an input it accepts.
func oneLayerModels(t *testing.T) map[string]*Model {
	t.Helper()
	img := []int{2, 9, 9}
	seq := func(in []int, ls ...layers.Layer) func() (*Model, error) {
		return func() (*Model, error) { return NewSequential(in, ls, Seed(3)) }
	}
	merge := func(l layers.Layer) func() (*Model, error) {
		return func() (*Model, error) {
			in := Input(img...)
			a := Apply(layers.Conv2D(3, 3, 3, layers.Padding(layers.Same)), in)
			b := Apply(layers.Conv2D(3, 1, 1), in)
			return New([]*Node{in}, []*Node{Apply(l, a, b)}, Seed(3))
		}
	}
	makers := map[string]func() (*Model, error){
		"Conv2D":                 seq(img, layers.Conv2D(4, 3, 3)),
		"Conv2D/same,strides":    seq(img, layers.Conv2D(4, 3, 2, layers.Padding(layers.Same), layers.Strides(2, 1), layers.Activation(ops.ReLU))),
		"MaxPool2D":              seq(img, layers.MaxPool2D(2, 2)),
		"MaxPool2D/same":         seq(img, layers.MaxPool2D(3, 3, layers.Strides(1, 1), layers.Padding(layers.Same))),
		"AvgPool2D":              seq(img, layers.AvgPool2D(3, 2)),
		"BatchNormalization":     seq(img, layers.BatchNormalization(layers.Momentum(0.9), layers.Epsilon(0.01))),
		"BatchNormalization/1D":  seq([]int{7}, layers.BatchNormalization()),
		"Flatten":                seq(img, layers.Flatten()),
		"GlobalAveragePooling2D": seq(img, layers.GlobalAveragePooling2D()),
		"GlobalMaxPooling2D":     seq(img, layers.GlobalMaxPooling2D()),
		"Dropout":                seq([]int{7}, layers.Dropout(0.5)),
		"Dense":                  seq([]int{7}, layers.Dense(5)),
		"ReLU":                   seq([]int{7}, layers.ReLU()),
		"Sigmoid":                seq([]int{7}, layers.Sigmoid()),
		"Tanh":                   seq([]int{7}, layers.Tanh()),
		"Softmax":                seq([]int{7}, layers.Softmax()),
		"LeakyReLU":              seq([]int{7}, layers.LeakyReLU(0.3)),
		"ELU":                    seq([]int{7}, layers.ELU(0.7)),
		"GELU":                   seq([]int{7}, layers.GELU()),
		"Add":                    merge(layers.Add()),
		"Multiply":               merge(layers.Multiply()),
		"Concatenate":            merge(layers.Concatenate()),
	}
	for act := ops.Linear; act <= ops.GELU; act++ {
		makers[fmt.Sprintf("Dense/activation=%v", act)] = seq([]int{7}, layers.Dense(5, layers.Activation(act)))
		if act != ops.Softmax { // softmax takes a matrix
			makers[fmt.Sprintf("Conv2D/activation=%v", act)] = seq(img, layers.Conv2D(3, 3, 3, layers.Activation(act)))
		}
	}
	models := map[string]*Model{}
	for name, mk := range makers {
		m, err := mk()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		models[name] = m
	}
	return models
}

// TestInferenceMatchesTape checks that Predict, which runs the graph
// without Gorgonia's tape machine (graph.CompileInference), gives the very
// bits the tape machine gives, for one model per built-in layer type and
// for the model of every layer and option, on batches of one and of
// several examples, and on a second call (when the ops reuse their
// output buffers).
func TestInferenceMatchesTape(t *testing.T) {
	models := oneLayerModels(t)
	models["every layer"] = everyLayer(t)
	for name, m := range models {
		for _, n := range []int{1, 4} {
			x := randomImages(n, m.ExampleSize(), uint64(n))
			for i := range x {
				x[i] = 4*x[i] - 2 // negative values too, for the activations
			}
			want := tapePredict(t, m, x, n)
			for call := 1; call <= 2; call++ {
				got, err := m.Predict(x)
				if err != nil {
					t.Fatalf("%s, batch %d: %v", name, n, err)
				}
				sameBits(t, fmt.Sprintf("%s, batch %d, call %d", name, n, call), got, want)
			}
		}
		m.Close()
	}
}

// TestInferenceConcurrentEveryLayer predicts from many goroutines at once
// on the model of every layer, mixing batch sizes, and checks every result
// against the tape machine's, bit for bit. Run with -race.
func TestInferenceConcurrentEveryLayer(t *testing.T) {
	m := everyLayer(t)
	defer m.Close()
	sizes := []int{1, 2, 3, 5}
	inputs := make([][]float32, len(sizes))
	want := make([][]float32, len(sizes))
	for i, n := range sizes {
		inputs[i] = randomImages(n, m.ExampleSize(), uint64(10+i))
		// A batch of 3 or 5 runs as chunks of 2 and 1 or 4 and 1: the tape
		// machine's answer is the concatenation of those chunks'.
		for lo := 0; lo < n; {
			c := m.chunk(n - lo)
			want[i] = append(want[i], tapePredict(t, m, inputs[i][lo*m.ExampleSize():(lo+c)*m.ExampleSize()], c)...)
			lo += c
		}
	}
	const goroutines = 6
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < 3*len(sizes); k++ {
				i := (g + k) % len(sizes)
				got, err := m.Predict(inputs[i])
				if err != nil {
					errs <- err
					return
				}
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[i][j]) {
						errs <- fmt.Errorf("goroutine %d, batch %d: value %d is %v, the tape machine gives %v", g, sizes[i], j, got[j], want[i][j])
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
