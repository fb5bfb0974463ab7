package onnx_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
	"github.com/gocnn/cnn/ops"
)

// layerCase is a small model around one layer, the ONNX operators its
// export must hold, and the layer types it covers.
type layerCase struct {
	name  string
	input []int
	build func(in *model.Node) *model.Node
	ops   []string
}

func seq(ls ...layers.Layer) func(in *model.Node) *model.Node {
	return func(x *model.Node) *model.Node {
		for _, l := range ls {
			x = model.Apply(l, x)
		}
		return x
	}
}

var (
	same       = layers.Padding(layers.Same)
	act        = layers.Activation
	strides    = layers.Strides
	layerCases = []layerCase{
		{"conv valid", []int{3, 7, 9}, seq(layers.Conv2D(4, 3, 3)), []string{"Conv"}},
		{"conv same stride 2 relu", []int{3, 8, 10}, seq(layers.Conv2D(4, 3, 3, same, strides(2, 2), act(ops.ReLU))), []string{"Conv", "Relu"}},
		{"conv same even kernel sigmoid", []int{2, 6, 5}, seq(layers.Conv2D(3, 4, 2, same, act(ops.Sigmoid))), []string{"Conv", "Sigmoid"}},
		{"conv 5x3 stride 2x1 tanh", []int{2, 9, 8}, seq(layers.Conv2D(3, 5, 3, strides(2, 1), act(ops.Tanh))), []string{"Conv", "Tanh"}},
		{"conv same stride 3 leaky relu", []int{2, 8, 10}, seq(layers.Conv2D(3, 3, 3, same, strides(3, 3), act(ops.LeakyReLU))), []string{"Conv", "LeakyRelu"}},
		{"conv elu", []int{2, 6, 6}, seq(layers.Conv2D(3, 3, 3, act(ops.ELU))), []string{"Conv", "Elu"}},
		{"conv gelu", []int{2, 6, 6}, seq(layers.Conv2D(3, 3, 3, act(ops.GELU))), []string{"Conv", "Div", "Erf", "Add", "Mul", "Mul"}},
		{"conv linear", []int{2, 6, 6}, seq(layers.Conv2D(3, 3, 3, act(ops.Linear))), []string{"Conv"}},
		{"max pool valid floor", []int{3, 7, 9}, seq(layers.MaxPool2D(2, 2)), []string{"MaxPool"}},
		{"max pool same stride 2", []int{3, 8, 10}, seq(layers.MaxPool2D(3, 3, same, strides(2, 2))), []string{"MaxPool"}},
		{"max pool same pad after", []int{1, 5, 5}, seq(layers.MaxPool2D(2, 2, same)), []string{"MaxPool"}},
		{"avg pool valid", []int{3, 7, 9}, seq(layers.AvgPool2D(2, 3)), []string{"AveragePool"}},
		{"avg pool same stride 2", []int{3, 7, 9}, seq(layers.AvgPool2D(3, 3, same, strides(2, 2))), []string{"AveragePool"}},
		{"avg pool same stride 1", []int{2, 5, 6}, seq(layers.AvgPool2D(2, 2, same, strides(1, 1))), []string{"AveragePool"}},
		{"flatten dense", []int{2, 3, 4}, seq(layers.Flatten(), layers.Dense(5)), []string{"Flatten", "Gemm"}},
		{"dense relu", []int{6}, seq(layers.Dense(4, act(ops.ReLU))), []string{"Gemm", "Relu"}},
		{"dense softmax", []int{6}, seq(layers.Dense(4, act(ops.Softmax))), []string{"Gemm", "Softmax"}},
		{"relu", []int{2, 3, 4}, seq(layers.ReLU()), []string{"Relu"}},
		{"sigmoid", []int{2, 3, 4}, seq(layers.Sigmoid()), []string{"Sigmoid"}},
		{"tanh", []int{2, 3, 4}, seq(layers.Tanh()), []string{"Tanh"}},
		{"softmax", []int{7}, seq(layers.Softmax()), []string{"Softmax"}},
		{"leaky relu", []int{2, 3, 4}, seq(layers.LeakyReLU(0.05)), []string{"LeakyRelu"}},
		{"leaky relu default", []int{2, 3, 4}, seq(layers.LeakyReLU(0)), []string{"LeakyRelu"}},
		{"elu", []int{2, 3, 4}, seq(layers.ELU(0.7)), []string{"Elu"}},
		{"gelu", []int{2, 3, 4}, seq(layers.GELU()), []string{"Div", "Erf", "Add", "Mul", "Mul"}},
		{"dropout", []int{2, 3, 4}, seq(layers.Dropout(0.5), layers.ReLU()), []string{"Identity", "Relu"}},
		{"batch norm image", []int{3, 4, 5}, seq(layers.BatchNormalization()), []string{"BatchNormalization"}},
		{"batch norm matrix epsilon", []int{6}, seq(layers.BatchNormalization(layers.Epsilon(0.01), layers.Momentum(0.9))), []string{"BatchNormalization"}},
		{"global average pool", []int{3, 4, 5}, seq(layers.GlobalAveragePooling2D()), []string{"GlobalAveragePool", "Flatten"}},
		{"global max pool", []int{3, 4, 5}, seq(layers.GlobalMaxPooling2D()), []string{"GlobalMaxPool", "Flatten"}},
		{"add", []int{2, 6, 6}, func(in *model.Node) *model.Node {
			a := model.Apply(layers.Conv2D(3, 3, 3, same), in)
			b := model.Apply(layers.Conv2D(3, 1, 1), in)
			return model.Apply(layers.Add(), a, b)
		}, []string{"Conv", "Conv", "Add"}},
		{"add three", []int{2, 3, 4}, func(in *model.Node) *model.Node {
			return model.Apply(layers.Add(), in, model.Apply(layers.Tanh(), in), model.Apply(layers.Sigmoid(), in))
		}, []string{"Tanh", "Sigmoid", "Add", "Add"}},
		{"multiply three", []int{2, 3, 4}, func(in *model.Node) *model.Node {
			return model.Apply(layers.Multiply(), in, model.Apply(layers.Tanh(), in), model.Apply(layers.Sigmoid(), in))
		}, []string{"Tanh", "Sigmoid", "Mul", "Mul"}},
		{"concatenate", []int{2, 5, 5}, func(in *model.Node) *model.Node {
			a := model.Apply(layers.Conv2D(3, 3, 3, same), in)
			return model.Apply(layers.Concatenate(), a, in, model.Apply(layers.ReLU(), in))
		}, []string{"Conv", "Relu", "Concat"}},
		{"reshape", []int{2, 3, 4}, seq(layers.Reshape(4, -1), layers.Tanh()), []string{"Constant", "Reshape", "Tanh"}},
		{"zero padding", []int{2, 3, 4}, seq(layers.ZeroPadding2D(1, 2, 0, 3)), []string{"Constant", "Pad"}},
		{"cropping", []int{2, 6, 5}, seq(layers.Cropping2D(1, 2, 0, 3)), []string{"Constant", "Constant", "Constant", "Slice"}},
		{"upsampling nearest", []int{2, 3, 4}, seq(layers.UpSampling2D(2, 3)), []string{"Resize"}},
		{"layer norm channels", []int{3, 4, 5}, seq(layers.LayerNormalization()), []string{"Transpose", "LayerNormalization", "Transpose"}},
		{"layer norm image", []int{3, 4, 5}, seq(layers.LayerNormalization(layers.NormAxes(1, 2, 3), layers.Epsilon(0.01))), []string{"LayerNormalization"}},
		{"layer norm rows", []int{3, 4, 5}, seq(layers.LayerNormalization(layers.NormAxes(2))), []string{"Transpose", "LayerNormalization", "Transpose"}},
		{"layer norm matrix", []int{6}, seq(layers.LayerNormalization()), []string{"LayerNormalization"}},
		{"conv dilated", []int{2, 9, 8}, seq(layers.Conv2D(3, 3, 3, layers.DilationRate(2, 3))), []string{"Conv"}},
		{"conv no bias", []int{2, 7, 6}, seq(layers.Conv2D(3, 3, 3, layers.UseBias(false), same)), []string{"Conv"}},
		{"dense no bias", []int{6}, seq(layers.Dense(4, layers.UseBias(false), act(ops.Tanh))), []string{"Gemm", "Tanh"}},
		{"conv dilated same relu", []int{2, 9, 8}, seq(layers.Conv2D(3, 3, 2, layers.DilationRate(2, 3), same, act(ops.ReLU))), []string{"Conv", "Relu"}},
		{"depthwise", []int{3, 7, 6}, seq(layers.DepthwiseConv2D(3, 3)), []string{"Conv"}},
		{"depthwise multiplier same stride tanh", []int{3, 8, 7}, seq(layers.DepthwiseConv2D(3, 2, layers.DepthMultiplier(2), same, strides(2, 2), act(ops.Tanh))), []string{"Conv", "Tanh"}},
		{"depthwise dilated no bias", []int{2, 9, 9}, seq(layers.DepthwiseConv2D(3, 3, layers.DilationRate(2, 2), layers.UseBias(false), same)), []string{"Conv"}},
		{"separable", []int{3, 7, 6}, seq(layers.SeparableConv2D(4, 3, 3, act(ops.ReLU))), []string{"Conv", "Conv", "Relu"}},
		{"separable multiplier stride same no bias", []int{3, 8, 9}, seq(layers.SeparableConv2D(5, 3, 3, layers.DepthMultiplier(2), strides(2, 2), same, layers.UseBias(false))), []string{"Conv", "Conv"}},
		{"conv transpose valid", []int{3, 4, 5}, seq(layers.Conv2DTranspose(2, 3, 3)), []string{"ConvTranspose"}},
		{"conv transpose same stride 2 relu", []int{3, 4, 5}, seq(layers.Conv2DTranspose(2, 3, 4, strides(2, 2), same, act(ops.ReLU))), []string{"ConvTranspose", "Relu"}},
		{"conv transpose kernel below stride", []int{2, 3, 4}, seq(layers.Conv2DTranspose(3, 2, 1, strides(3, 2))), []string{"ConvTranspose"}},
		{"conv transpose same kernel below stride no bias", []int{2, 3, 4}, seq(layers.Conv2DTranspose(3, 2, 1, strides(3, 2), same, layers.UseBias(false))), []string{"ConvTranspose"}},
		{"conv transpose dilated", []int{2, 4, 5}, seq(layers.Conv2DTranspose(3, 3, 2, layers.DilationRate(2, 3))), []string{"ConvTranspose"}},
		{"conv transpose dilated same tanh", []int{2, 5, 4}, seq(layers.Conv2DTranspose(2, 3, 3, layers.DilationRate(2, 2), same, act(ops.Tanh))), []string{"ConvTranspose", "Tanh"}},
		{"conv transpose dilated same even extent", []int{1, 4, 5}, seq(layers.Conv2DTranspose(2, 2, 2, layers.DilationRate(3, 1), same)), []string{"ConvTranspose"}},
		{"upsampling bilinear", []int{2, 3, 4}, seq(layers.UpSampling2D(3, 2, layers.Interpolation(layers.Bilinear))), []string{"Resize"}},
	}
)

// exportCases returns the cases of the export tests.
func exportCases() []layerCase { return slices.Clone(layerCases) }

// newCase makes the model of a case with random weights and statistics.
func newCase(t *testing.T, c layerCase) *model.Model {
	t.Helper()
	in := model.Input(c.input...)
	m, err := model.New([]*model.Node{in}, []*model.Node{c.build(in)}, model.Seed(3))
	if err != nil {
		t.Fatal(err)
	}
	randomize(m.Params(), 7)
	return m
}

// randomize sets every parameter to random values, so that no bias is 0
// and no batch normalisation is the identity; variances are positive.
func randomize(p *graph.Params, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 11))
	for _, q := range p.List() {
		d := q.Value.Data().([]float32)
		for i := range d {
			if strings.HasSuffix(q.Name, "/moving_variance") {
				d[i] = 0.5 + rng.Float32()
			} else {
				d[i] = rng.Float32()*2 - 1
			}
		}
	}
}

// batch returns n random examples of the model's input, in [-2, 2).
func batch(m *model.Model, n int, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 5))
	x := make([]float32, n*m.ExampleSize())
	for i := range x {
		x[i] = rng.Float32()*4 - 2
	}
	return x, append([]int{n}, m.InputShape(0)...)
}

// decode exports m and decodes the file.
func decode(t *testing.T, m *model.Model, opts ...onnx.Option) *onnxpb.ModelProto {
	t.Helper()
	var buf bytes.Buffer
	if err := onnx.Export(m, &buf, opts...); err != nil {
		t.Fatalf("%+v", err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &mp); err != nil {
		t.Fatal(err)
	}
	return &mp
}

func opTypes(mp *onnxpb.ModelProto) []string {
	var ops []string
	for _, n := range mp.GetGraph().GetNode() {
		ops = append(ops, n.GetOpType())
	}
	return ops
}

// TestExportStructure checks, with no runtime, what every case's file
// declares: IR version, opset, operators, a dynamic batch dimension on
// the input and output, and float32 initializers that hold all weights.
func TestExportStructure(t *testing.T) {
	for _, c := range exportCases() {
		t.Run(c.name, func(t *testing.T) {
			m := newCase(t, c)
			mp := decode(t, m)
			if mp.GetIrVersion() != 8 || len(mp.GetOpsetImport()) != 1 || mp.GetOpsetImport()[0].GetVersion() != 17 || mp.GetOpsetImport()[0].GetDomain() != "" {
				t.Fatalf("IR %d, opsets %v; want IR 8 and opset 17", mp.GetIrVersion(), mp.GetOpsetImport())
			}
			if got := opTypes(mp); !slices.Equal(got, c.ops) {
				t.Errorf("operators %v, want %v", got, c.ops)
			}
			g := mp.GetGraph()
			for _, v := range []struct {
				info  []*onnxpb.ValueInfoProto
				shape []int
			}{{g.GetInput(), m.InputShape(0)}, {g.GetOutput(), m.OutputShape(0)}} {
				if len(v.info) != 1 {
					t.Fatalf("%d graph inputs or outputs, want 1", len(v.info))
				}
				tt := v.info[0].GetType().GetTensorType()
				dims := tt.GetShape().GetDim()
				if tt.GetElemType() != int32(onnxpb.TensorProto_FLOAT) || len(dims) != len(v.shape)+1 || dims[0].GetDimParam() != "N" {
					t.Fatalf("%s: type %v, want float [N %v]", v.info[0].GetName(), tt, v.shape)
				}
				for i, d := range v.shape {
					if dims[i+1].GetDimValue() != int64(d) {
						t.Fatalf("%s: type %v, want float [N %v]", v.info[0].GetName(), tt, v.shape)
					}
				}
			}
			values := 0
			for _, init := range g.GetInitializer() {
				if init.GetDataType() != int32(onnxpb.TensorProto_FLOAT) {
					t.Fatalf("initializer %s of type %d", init.GetName(), init.GetDataType())
				}
				if p := m.Params().Lookup(init.GetName()); p != nil {
					values += p.Value.Shape().TotalSize()
					if len(init.GetRawData()) != 4*p.Value.Shape().TotalSize() {
						t.Fatalf("initializer %s holds %d bytes for %v", init.GetName(), len(init.GetRawData()), p.Value.Shape())
					}
				}
			}
			if values != m.Params().Count() {
				t.Errorf("initializers hold %d parameter values, the model has %d", values, m.Params().Count())
			}
		})
	}
}

// TestEveryBuiltinLayerIsCovered checks that every registered layer type
// but the custom ones of these tests has an ONNX form and appears in a
// case of the table, so that a new layer cannot go untested.
func TestEveryBuiltinLayerIsCovered(t *testing.T) {
	custom := map[string]bool{"FeatureScale": true, "Double": true}
	covered := map[string]bool{}
	for _, c := range exportCases() {
		for _, l := range newCase(t, c).Layers() {
			covered[l.Type()] = true
		}
	}
	for _, typ := range layers.Registered() {
		if custom[typ] {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			if !covered[typ] {
				t.Errorf("no case exports a %s layer", typ)
			}
			if !slices.Contains(onnx.Registered(), typ) {
				t.Errorf("%s has no ONNX form", typ)
			}
		})
	}
}

// TestLayersMatchORT runs every case in ONNX Runtime (one node process for
// all) on a batch of 3 random examples and compares with Predict: equal
// within 1e-5 of the larger of 1 and the value.
func TestLayersMatchORT(t *testing.T) {
	ortDir(t)
	dir := t.TempDir()
	var jobs []ortJob
	var want [][]float32
	cases := exportCases()
	for i, c := range cases {
		m := newCase(t, c)
		x, dims := batch(m, 3, uint64(i))
		y, err := m.Predict(x)
		if err != nil {
			t.Fatalf("%s: %+v", c.name, err)
		}
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".onnx")
		if err := onnx.Save(m, path); err != nil {
			t.Fatalf("%s: %+v", c.name, err)
		}
		jobs = append(jobs, ortJob{model: path, x: x, dims: dims})
		want = append(want, y)
	}
	got := runORT(t, jobs)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(got[i]) != len(want[i]) {
				t.Fatalf("ONNX Runtime gave %d values, Predict %d", len(got[i]), len(want[i]))
			}
			worst := 0.0
			for k := range got[i] {
				d := float64(got[i][k] - want[i][k])
				tol := 1e-5 * max(1, float64(abs(want[i][k])))
				if d > tol || -d > tol {
					t.Fatalf("value %d: ONNX Runtime %v, Predict %v", k, got[i][k], want[i][k])
				}
				worst = max(worst, d, -d)
			}
			t.Logf("max |ORT - Predict| = %.3g", worst)
		})
	}
}

// TestCheckerAcceptsEveryLayer runs onnx.checker, with full shape
// inference, over the export of every case.
func TestCheckerAcceptsEveryLayer(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, c := range exportCases() {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".onnx")
		if err := onnx.Save(newCase(t, c), path); err != nil {
			t.Fatalf("%s: %+v", c.name, err)
		}
		paths = append(paths, path)
	}
	checkONNX(t, paths...)
}

// TestFloat64Model checks that a float64 model is written with its
// weights rounded to float32.
func TestFloat64Model(t *testing.T) {
	m, err := model.NewSequential([]int{2, 5, 5}, []layers.Layer{layers.Conv2D(3, 3, 3), layers.Flatten(), layers.Dense(4)}, model.Float64())
	if err != nil {
		t.Fatal(err)
	}
	mp := decode(t, m)
	for _, init := range mp.GetGraph().GetInitializer() {
		p := m.Params().Lookup(init.GetName())
		if p == nil {
			t.Fatalf("initializer %s is no parameter", init.GetName())
		}
		want := p.Value.Data().([]float64)
		raw := init.GetRawData()
		if init.GetDataType() != int32(onnxpb.TensorProto_FLOAT) || len(raw) != 4*len(want) {
			t.Fatalf("%s: type %d, %d bytes for %d values", init.GetName(), init.GetDataType(), len(raw), len(want))
		}
		for i, v := range want {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != float32(v) {
				t.Fatalf("%s[%d] = %v, want %v", init.GetName(), i, got, float32(v))
			}
		}
	}
}

// TestSeveralInputsAndOutputs checks the graph inputs and outputs of a
// model of two inputs and two outputs, in the model's order.
func TestSeveralInputsAndOutputs(t *testing.T) {
	a, b := model.Input(3), model.Input(2, 4, 4)
	y1 := model.Apply(layers.Dense(2, layers.Activation(ops.Softmax)), a)
	y2 := model.Apply(layers.Concatenate(), model.Apply(layers.GlobalMaxPooling2D(), b), y1)
	m, err := model.New([]*model.Node{a, b}, []*model.Node{y2, y1})
	if err != nil {
		t.Fatal(err)
	}
	mp := decode(t, m, onnx.InputNames("a", "b"))
	var ins, outs []string
	for _, v := range mp.GetGraph().GetInput() {
		ins = append(ins, v.GetName())
	}
	for _, v := range mp.GetGraph().GetOutput() {
		outs = append(outs, v.GetName())
	}
	if want := []string{"a", "b"}; !slices.Equal(ins, want) {
		t.Errorf("inputs %v, want %v", ins, want)
	}
	if want := []string{"concatenate_1", "dense_1"}; !slices.Equal(outs, want) {
		t.Errorf("outputs %v, want %v", outs, want)
	}
}

func abs(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// scale is a custom layer, with no ONNX form.
type scale struct{ layers.Base }

func (l *scale) Type() string { return "Scale" }
func (l *scale) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	return G.Mul(x, G.NewConstant(float32(2)))
}

// TestUnsupportedLayer checks that a custom layer is an error that names
// it and its type, that Export then writes nothing and that Save leaves
// an earlier file as it was.
func TestUnsupportedLayer(t *testing.T) {
	in := model.Input(4)
	m, err := model.New([]*model.Node{in}, []*model.Node{model.Apply(layers.Dense(2), model.Apply(&scale{}, in))})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err = onnx.Export(m, &buf)
	if err == nil || !strings.Contains(err.Error(), "scale_1 (Scale)") || !strings.Contains(err.Error(), "no ONNX form") {
		t.Fatalf("error %v, want one naming scale_1 (Scale)", err)
	}
	if buf.Len() != 0 {
		t.Errorf("Export wrote %d bytes", buf.Len())
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(path, []byte("earlier"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := onnx.Save(m, path); err == nil {
		t.Fatal("Save succeeded")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "earlier" {
		t.Errorf("the earlier file now holds %q (%v)", b, err)
	}
}

// TestNames checks the default and the chosen input and output names,
// and the errors of bad ones.
func TestNames(t *testing.T) {
	m := newCase(t, layerCases[0])
	name := func(v []*onnxpb.ValueInfoProto) string { return v[0].GetName() }
	for _, c := range []struct {
		name    string
		opts    []onnx.Option
		in, out string
		err     string
	}{
		{"default", nil, "input_1", m.Layers()[0].Name(), ""},
		{"chosen", []onnx.Option{onnx.InputNames("image"), onnx.OutputNames("logits")}, "image", "logits", ""},
		{"same as the layer", []onnx.Option{onnx.OutputNames(m.Layers()[0].Name())}, "input_1", m.Layers()[0].Name(), ""},
		{"too many inputs", []onnx.Option{onnx.InputNames("a", "b")}, "", "", "2 input names for a model of 1 inputs"},
		{"too few outputs", []onnx.Option{onnx.OutputNames()}, "", "", "0 output names for a model of 1 outputs"},
		{"empty", []onnx.Option{onnx.InputNames("")}, "", "", "input 1: empty name"},
		{"clash", []onnx.Option{onnx.OutputNames("input_1")}, "", "", `output 1: the name "input_1" is taken`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.err != "" {
				err := onnx.Export(m, &bytes.Buffer{}, c.opts...)
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			mp := decode(t, m, c.opts...)
			if in, out := name(mp.GetGraph().GetInput()), name(mp.GetGraph().GetOutput()); in != c.in || out != c.out {
				t.Errorf("names %s → %s, want %s → %s", in, out, c.in, c.out)
			}
		})
	}
}

// TestDeterministic checks that two exports of a model are the same bytes.
func TestDeterministic(t *testing.T) {
	m := newCase(t, layerCases[len(layerCases)-1])
	var a, b bytes.Buffer
	if err := onnx.Export(m, &a); err != nil {
		t.Fatal(err)
	}
	if err := onnx.Export(m, &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two exports differ")
	}
}
