package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// everyLayer is a model holding every built-in layer, each option of each
// and every merge.
func everyLayer(t testing.TB) *Model {
	t.Helper()
	in := Input(2, 9, 9)
	aux := Input(3)
	x := Apply(layers.Conv2D(3, 3, 2, layers.Strides(2, 1), layers.Padding(layers.Same), layers.Activation(ops.Tanh),
		layers.KernelInitializer(graph.HeNormal), layers.BiasInitializer(graph.Constant(0.1))), in)
	y := Apply(layers.Conv2D(3, 1, 1, layers.UseBias(false), layers.KernelInitializer(graph.VarianceScaling(1.5, graph.FanOut, graph.TruncatedNormal))), x)
	a := Apply(layers.Add(), x, y)
	mu := Apply(layers.Multiply(), x, y)
	c := Apply(layers.Concatenate(), a, mu)
	p := Apply(layers.MaxPool2D(2, 2, layers.Strides(1, 1), layers.Padding(layers.Same)), c)
	q := Apply(layers.AvgPool2D(3, 2), p)
	q = Apply(layers.BatchNormalization(layers.Momentum(0.9), layers.Epsilon(0.01)), q)
	q = Apply(layers.LayerNormalization(layers.NormAxes(1, 3), layers.Epsilon(0.02)), Apply(layers.LayerNormalization(), q))
	r := Apply(layers.ZeroPadding2D(1, 0, 0, 2), Apply(layers.UpSampling2D(2, 1, layers.Interpolation(layers.Bilinear)), Apply(layers.Cropping2D(0, 1, 2, 3), c)))
	r = Apply(layers.SeparableConv2D(2, 3, 3, layers.DepthMultiplier(2), layers.Strides(2, 2), layers.Padding(layers.Same), layers.Activation(ops.ReLU)), r)
	r = Apply(layers.DepthwiseConv2D(2, 2, layers.DilationRate(2, 1), layers.UseBias(false)), Apply(layers.SeparableConv2D(3, 1, 1, layers.UseBias(false)), r))
	r = Apply(layers.Conv2DTranspose(2, 3, 3, layers.Strides(2, 2), layers.Padding(layers.Same), layers.UseBias(false)), Apply(layers.Conv2DTranspose(3, 2, 2), r))
	r = Apply(layers.Conv2D(2, 3, 3, layers.DilationRate(2, 2)), r)
	r = Apply(layers.Reshape(-1), Apply(layers.UpSampling2D(1, 2), r))
	f := Apply(layers.Concatenate(), Apply(layers.Flatten(), q), Apply(layers.GlobalAveragePooling2D(), p), Apply(layers.GlobalMaxPooling2D(), p), r)
	f = Apply(layers.BatchNormalization(), f)
	f = Apply(layers.Dropout(0.25, layers.FreezeMask()), f)
	d := Apply(layers.Dense(4, layers.Activation(ops.ReLU), layers.KernelInitializer(graph.RandomUniform(-0.5, 0.5)),
		layers.BiasInitializer(graph.RandomNormal(0, 0.1))), f)
	e := Apply(layers.Dense(4, layers.UseBias(false), layers.KernelInitializer(graph.LecunUniform)), aux)
	s := Apply(layers.Sigmoid(), Apply(layers.Add(), d, e))
	out1 := Apply(layers.Dense(3, layers.Activation(ops.Softmax)), Apply(layers.ReLU(), s))
	out2 := Apply(layers.Tanh(), Apply(layers.Dense(2, layers.Activation(ops.Linear)), s))
	out3 := Apply(layers.Softmax(), Apply(layers.Dense(2), s))
	s = Apply(layers.GELU(), Apply(layers.ELU(0.7), Apply(layers.LeakyReLU(0.3), s)))
	s = Apply(layers.Dense(4, layers.Activation(ops.LeakyReLU)), s)
	s = Apply(layers.Dense(4, layers.Activation(ops.ELU)), s)
	out4 := Apply(layers.Dense(2, layers.Activation(ops.GELU)), s)
	m, err := New([]*Node{in, aux}, []*Node{out1, out2, out3, out4}, Seed(5))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSaveLoadEveryLayer saves a model of every built-in layer and option
// and loads it with no Go code: the architecture (every option), the
// weights and the predictions come back identical.
func TestSaveLoadEveryLayer(t *testing.T) {
	m := everyLayer(t)
	path := filepath.Join(t.TempDir(), "every.gocnn")
	if err := m.Save(path, State{"note": json.RawMessage(`{"k":1}`)}); err != nil {
		t.Fatal(err)
	}
	got, state, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.architecture()
	have, _ := got.architecture()
	wj, _ := json.Marshal(want)
	hj, _ := json.Marshal(have)
	if !bytes.Equal(wj, hj) {
		t.Fatalf("architecture changed:\nsaved  %s\nloaded %s", wj, hj)
	}
	for _, opt := range []string{`"strides":[2,1]`, `"padding":"same"`, `"activation":"tanh"`, `"kernel_initializer":{"kind":"he_normal"}`,
		`"bias_initializer":{"kind":"constant","args":[0.1]}`, `"kind":"variance_scaling","args":[1.5,1,1]`, `"freeze_mask":true`, `"rate":0.25`,
		`"kind":"random_uniform","args":[-0.5,0.5]`, `"kind":"random_normal","args":[0,0.1]`, `"kind":"lecun_uniform"`, `"activation":"linear"`,
		`"type":"Concatenate"`, `"type":"Multiply"`, `"type":"Add"`, `"type":"AveragePooling2D"`, `"type":"MaxPooling2D"`, `"pool_size":[3,2]`,
		`"type":"Activation","config":{"activation":"sigmoid"}`, `"type":"Dropout"`, `"type":"Flatten"`,
		`{"activation":"leaky_relu","alpha":0.3}`, `{"activation":"elu","alpha":0.7}`, `{"activation":"gelu"}`,
		`"activation":"leaky_relu"}`, `"activation":"elu"}`, `"activation":"gelu"}`,
		`"momentum":0.9`, `"epsilon":0.01`, `"type":"BatchNormalization","config":{}`, `"type":"GlobalAveragePooling2D"`, `"type":"GlobalMaxPooling2D"`,
		`"type":"ZeroPadding2D","config":{"padding":[[1,0],[0,2]]}`, `"type":"Cropping2D","config":{"cropping":[[0,1],[2,3]]}`,
		`"type":"UpSampling2D","config":{"size":[2,1],"interpolation":"bilinear"}`, `"type":"UpSampling2D","config":{"size":[1,2]}`,
		`"type":"Reshape","config":{"target_shape":[-1]}`, `"type":"LayerNormalization","config":{}`,
		`"type":"LayerNormalization","config":{"epsilon":0.02,"norm_axes":[1,3]}`, `"type":"DepthwiseConv2D"`, `"type":"SeparableConv2D"`,
		`"type":"Conv2DTranspose"`, `"depth_multiplier":2`, `"dilation_rate":[2,1]`, `"use_bias":false`, `"dilation_rate":[2,2]`} {
		if !strings.Contains(string(hj), opt) {
			t.Errorf("loaded architecture lacks %s", opt)
		}
	}
	if string(state["note"]) != `{"k":1}` {
		t.Errorf("state %v, want the saved note", state)
	}
	for i, p := range m.Params().List() {
		q := got.Params().List()[i]
		if p.Name != q.Name || !slices.Equal(p.Value.Float32s(), q.Value.Float32s()) {
			t.Fatalf("parameter %s differs after loading", p.Name)
		}
	}
	x := randomImages(5, m.ExampleSize(), 4)
	a, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	b, err := got.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Fatal("the loaded model predicts differently")
	}
	var s1, s2 bytes.Buffer
	m.Summary(&s1)
	got.Summary(&s2)
	if s1.String() != s2.String() {
		t.Fatalf("summary changed:\n%s\n%s", s1.String(), s2.String())
	}
}

// TestLoadWeightsMismatch loads a model file into models that differ in
// one respect and checks the error says what differs.
func TestLoadWeightsMismatch(t *testing.T) {
	build := func(act ops.Activation, pool layers.Layer, stride int) *Model {
		m, err := NewSequential([]int{1, 8, 8}, []layers.Layer{
			layers.Conv2D(2, 3, 3, layers.Activation(act), layers.Strides(stride, stride), layers.Padding(layers.Same)),
			pool, layers.Flatten(), layers.Dense(3, layers.Activation(ops.Softmax)),
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	src := build(ops.ReLU, layers.MaxPool2D(2, 2), 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gocnn")
	if err := src.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(dir, "weights.bin")
	if err := src.Params().SaveFile(weights); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		into *Model
		want string
	}{
		{"activation", build(ops.Tanh, layers.MaxPool2D(2, 2), 1), `layer conv2d_1 (Conv2D): activation is "relu" in the file, "tanh" in the model`},
		{"pooling", build(ops.ReLU, layers.AvgPool2D(2, 2), 1), "layer 2 is max_pooling2d_1 (MaxPooling2D) in the file, average_pooling2d_1 (AveragePooling2D) in the model"},
		{"pool size", build(ops.ReLU, layers.MaxPool2D(4, 4), 1), `pool_size is [2,2] in the file, [4,4] in the model`},
		{"stride", build(ops.ReLU, layers.MaxPool2D(2, 2), 2), `strides is [1,1] in the file, [2,2] in the model`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.into.Params().List()[0].Value.Float32s())
			err := tc.into.LoadWeights(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error containing %q", err, tc.want)
			}
			if !slices.Equal(before, tc.into.Params().List()[0].Value.Float32s()) {
				t.Fatal("a failed load changed the weights")
			}
		})
	}
	t.Run("same architecture", func(t *testing.T) {
		for _, file := range []string{path, weights} {
			dst := build(ops.ReLU, layers.MaxPool2D(2, 2), 1)
			dst.Params().List()[0].Value.Float32s()[0] = 42
			if err := dst.LoadWeights(file); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dst.Params().List()[0].Value.Float32s(), src.Params().List()[0].Value.Float32s()) {
				t.Fatalf("%s: weights not loaded", file)
			}
		}
	})
	t.Run("shapes in a weights file", func(t *testing.T) {
		other, err := NewSequential([]int{1, 8, 8}, []layers.Layer{layers.Conv2D(4, 3, 3), layers.Flatten(), layers.Dense(3)})
		if err != nil {
			t.Fatal(err)
		}
		if err := other.LoadWeights(weights); err == nil || !strings.Contains(err.Error(), "different architecture") {
			t.Fatalf("got %v; want a different-architecture error", err)
		}
	})
}

// scaleLayer is a custom layer written with plain Gorgonia ops: it
// multiplies each of 4 features by a learned scale.
type scaleLayer struct{ layers.Base }

func (l *scaleLayer) Type() string { return "TestScale" }

func (l *scaleLayer) Config() (json.RawMessage, error) { return json.RawMessage("{}"), nil }

func (l *scaleLayer) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	w, err := l.Param(g, "w", []int{4}, graph.Constant(2))
	if err != nil {
		return nil, err
	}
	return G.BroadcastHadamardProd(x, w, nil, []byte{0})
}

// thiefLayer asks for a parameter outside its namespace.
type thiefLayer struct{ layers.Base }

func (l *thiefLayer) Type() string { return "TestThief" }

func (l *thiefLayer) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if _, err := g.Param("dense_1/kernel", []int{4, 2}, graph.Zeros); err != nil {
		return nil, err
	}
	return x, nil
}

// TestCustomLayerRegistry saves a model with a custom layer, fails to load
// it while the layer is unregistered, and loads it once it is.
func TestCustomLayerRegistry(t *testing.T) {
	in := Input(4)
	out := Apply(layers.Dense(2), Apply(&scaleLayer{}, in))
	m, err := New([]*Node{in}, []*Node{out})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "custom.gocnn")
	if err := m.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path); err == nil || !strings.Contains(err.Error(), `layer type "TestScale" is not registered`) {
		t.Fatalf("loading an unregistered layer gave %v", err)
	}
	if err := layers.Register("TestScale", func(json.RawMessage) (layers.Layer, error) { return &scaleLayer{}, nil }); err != nil {
		t.Fatal(err)
	}
	if err := layers.Register("TestScale", func(json.RawMessage) (layers.Layer, error) { return &scaleLayer{}, nil }); err == nil {
		t.Fatal("registering a type twice is no error")
	}
	got, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{1, 2, 3, 4}
	a, _ := m.Predict(x)
	b, err := got.Predict(x)
	if err != nil || !slices.Equal(a, b) {
		t.Fatalf("loaded custom model predicts %v (%v), want %v", b, err, a)
	}
	// A layer that cannot describe itself cannot be saved.
	thiefIn := Input(4)
	if _, err := New([]*Node{thiefIn}, []*Node{Apply(&thiefLayer{}, thiefIn)}); err == nil || !strings.Contains(err.Error(), "outside its own namespace") {
		t.Fatalf("a parameter outside the layer's namespace gave %v", err)
	}
}

// TestNewErrors checks the build-time errors of the functional API.
func TestNewErrors(t *testing.T) {
	in := Input(1, 6, 6)
	shared := layers.Dense(2)
	f := Apply(layers.Flatten(), in)
	tests := []struct {
		name    string
		in, out []*Node
		want    string
	}{
		{"merge shapes", []*Node{in}, []*Node{Apply(layers.Add(), Apply(layers.Conv2D(2, 3, 3), in), Apply(layers.Conv2D(2, 2, 2), in))},
			"layer add_1 (Add) with input shape (None, 2, 4, 4), (None, 2, 5, 5): Add: input 2 has shape (1, 2, 5, 5), input 1 (1, 2, 4, 4): shapes must be equal"},
		{"merge of one", []*Node{in}, []*Node{Apply(layers.Concatenate(), in)}, "Concatenate needs at least 2 inputs, got 1"},
		{"two inputs to a dense", []*Node{in}, []*Node{Apply(layers.Dense(2), f, f)}, "the layer takes one input, got 2"},
		{"shared layer", []*Node{in}, []*Node{Apply(layers.Add(), Apply(shared, f), Apply(shared, f))}, "is applied twice"},
		{"foreign input", []*Node{in}, []*Node{Apply(layers.Flatten(), Input(3))}, "not among the model's inputs"},
		{"nil layer", []*Node{in}, []*Node{Apply(nil, in)}, "nil layer"},
		{"huge input", []*Node{Input(1, 100000, 100000)}, nil, "more than 67108864 values"},
		{"huge output", []*Node{in}, []*Node{Apply(layers.Conv2D(10000000, 3, 3), in)}, "output too large"},
		{"kernel larger than input", []*Node{in}, []*Node{Apply(layers.Conv2D(2, 7, 7), in)}, "layer conv2d_1 (Conv2D) with input shape (None, 1, 6, 6)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.out
			if out == nil {
				out = []*Node{Apply(layers.Flatten(), tc.in[0])}
			}
			_, err := New(tc.in, out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestBrokenModelFiles checks that damaged model files are errors.
func TestBrokenModelFiles(t *testing.T) {
	m := smallNet(t)
	var good bytes.Buffer
	if err := m.Write(&good, nil); err != nil {
		t.Fatal(err)
	}
	b := good.Bytes()
	flip := slices.Clone(b)
	flip[len(flip)/2] ^= 1
	for name, data := range map[string][]byte{"empty": nil, "truncated": b[:len(b)-9], "flipped bit": flip, "weights file": []byte("GOCNNWTS....")} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := Read(bytes.NewReader(data)); err == nil {
				t.Fatal("no error")
			}
		})
	}
	path := filepath.Join(t.TempDir(), "x")
	os.WriteFile(path, b, 0o644)
	if _, _, err := Load(path); err != nil {
		t.Fatal(err)
	}
}

// FuzzRead feeds arbitrary bytes to the model-file reader, which must
// return a model or an error and never panic.
func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	m, err := NewSequential([]int{3}, []layers.Layer{layers.Dense(2, layers.Activation(ops.Softmax))})
	if err != nil {
		f.Fatal(err)
	}
	if err := m.Write(&b, State{"x": json.RawMessage("1")}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte("GOCNNMDL"))
	// Hostile files: an architecture far larger than its weights, a chain,
	// a merge, NaN weights, a three-value kernel size, trailing data.
	f.Add(hugeDenseFile(f, 2))
	f.Add(chainFile(f, 3))
	f.Add(addFile(f, 3))
	f.Add(denseFile(f, float32(math.NaN())))
	f.Add(hostileFile(f, convArch(`{"filters":2,"kernel_size":[3,3,3]}`, ``), emptyWeights(f)))
	f.Add(hostileFile(f, convArch(`{"filters":2,"kernel_size":[3,3]}`, ` {}`), emptyWeights(f)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := Read(bytes.NewReader(data), MaxBatch(4))
		if err != nil {
			return
		}
		// A model that loads must run: an error is fine, a panic is not.
		_, _ = m.Predict(make([]float32, m.ExampleSize()))
	})
}

// panicLayer panics while building.
type panicLayer struct{ layers.Base }

func (l *panicLayer) Type() string { return "TestPanic" }

func (l *panicLayer) Build(*graph.Graph, *G.Node) (*G.Node, error) { panicDeep(); return nil, nil }

func panicDeep() { panic("deep trouble") }

// TestPanicKeepsStack checks that a panic inside a layer becomes an error
// whose stack (%+v) still shows where the panic came from.
func TestPanicKeepsStack(t *testing.T) {
	in := Input(3)
	_, err := New([]*Node{in}, []*Node{Apply(&panicLayer{}, in)})
	if err == nil || !strings.Contains(err.Error(), "internal panic: deep trouble") {
		t.Fatalf("got %v; want the panic as an error", err)
	}
	if s := fmt.Sprintf("%+v", err); !strings.Contains(s, "model.panicDeep") {
		t.Fatalf("the error's stack does not show the panic's origin:\n%s", s)
	}
}

// TestSpec checks the wiring Spec reports for a model with a residual Add.
func TestSpec(t *testing.T) {
	in := Input(1, 6, 6)
	x := Apply(layers.Conv2D(2, 3, 3, layers.Padding(layers.Same)), in)
	y := Apply(layers.Conv2D(2, 3, 3, layers.Padding(layers.Same)), x)
	sum := Apply(layers.Add(), x, y)
	out := Apply(layers.Dense(3), Apply(layers.Flatten(), sum))
	m, err := New([]*Node{in}, []*Node{out})
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Inputs) != 1 || !slices.Equal(s.Inputs[0].Shape, []int{1, 6, 6}) {
		t.Fatalf("inputs %+v, want one of shape [1 6 6]", s.Inputs)
	}
	var got []string
	for _, l := range s.Layers {
		got = append(got, fmt.Sprintf("%s(%s)<-%s", l.Name, l.Type, strings.Join(l.Inputs, ",")))
		if !json.Valid(l.Config) {
			t.Errorf("layer %s: configuration %q is not JSON", l.Name, l.Config)
		}
	}
	want := []string{
		"conv2d_1(Conv2D)<-" + s.Inputs[0].Name,
		"conv2d_2(Conv2D)<-conv2d_1",
		"add_1(Add)<-conv2d_1,conv2d_2",
		"flatten_1(Flatten)<-add_1",
		"dense_1(Dense)<-flatten_1",
	}
	if !slices.Equal(got, want) || !slices.Equal(s.Outputs, []string{"dense_1"}) {
		t.Errorf("layers %q, outputs %q; want %q, [dense_1]", got, s.Outputs, want)
	}
}
