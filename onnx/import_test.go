package onnx_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
	"github.com/gocnn/cnn/train"
)

// export returns the ONNX bytes of m.
func export(t testing.TB, m *model.Model, opts ...onnx.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := onnx.Export(m, &buf, opts...); err != nil {
		t.Fatalf("%+v", err)
	}
	return buf.Bytes()
}

// layerTypes lists a model's layers as name (type).
func layerTypes(m *model.Model) []string {
	var out []string
	for _, l := range m.Layers() {
		out = append(out, l.Name()+" ("+l.Type()+")")
	}
	return out
}

// TestImportRoundTrip imports the export of every case: the same layers
// and names (but Dropout, which ONNX does not keep), the very same
// predictions, and an export of the imported model that is the same file
// (but for the Dropout case).
func TestImportRoundTrip(t *testing.T) {
	for i, c := range layerCases {
		t.Run(c.name, func(t *testing.T) {
			m := newCase(t, c)
			b := export(t, m)
			got, err := onnx.Import(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%+v", err)
			}
			want := layerTypes(m)
			if c.name == "dropout" {
				want = want[1:]
			}
			if lt := layerTypes(got); !slices.Equal(lt, want) {
				t.Errorf("layers %v, want %v", lt, want)
			}
			x, _ := batch(m, 3, uint64(i))
			y1, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			y2, err := got.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(y1, y2) {
				t.Errorf("the imported model predicts differently: max difference %g", maxDiff(t, y2, y1))
			}
			if c.name != "dropout" && !bytes.Equal(export(t, got), b) {
				t.Error("exporting the imported model gives another file")
			}
			if got.Params().Count() != m.Params().Count() || got.Params().TrainableCount() != m.Params().TrainableCount() {
				t.Errorf("%d parameters (%d trainable), want %d (%d)", got.Params().Count(), got.Params().TrainableCount(), m.Params().Count(), m.Params().TrainableCount())
			}
			// A file that does not record its layers' types, as Export
			// wrote them before it did, is read by its nodes.
			old := mutate(t, c, func(mp *onnxpb.ModelProto) { mp.MetadataProps = nil })
			got, err = onnx.Import(bytes.NewReader(old))
			if err != nil {
				t.Fatalf("without the layer types: %+v", err)
			}
			if lt := layerTypes(got); !slices.Equal(lt, want) {
				t.Errorf("without the layer types: layers %v, want %v", lt, want)
			}
			if y3, err := got.Predict(x); err != nil || !slices.Equal(y3, y1) {
				t.Errorf("without the layer types, the imported model predicts differently (%v)", err)
			}
		})
	}
}

// TestImportAndTrain loads an exported graph model from a file, in
// float64 too, and trains it further.
func TestImportAndTrain(t *testing.T) {
	m, err := graphModel(1)
	if err != nil {
		t.Fatal(err)
	}
	randomize(m.Params(), 3)
	path := filepath.Join(t.TempDir(), "g.onnx")
	if err := onnx.Save(m, path, onnx.InputNames("in/image"), onnx.OutputNames("out/probs")); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]model.Option{nil, {model.Float64()}} {
		got, err := onnx.Load(path, opts...)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		ds := &data.Dataset{N: 8, C: 1, H: 28, W: 28, Classes: 10, X: make([]float32, 8*784), Y: make([]float32, 80), Labels: make([]int, 8)}
		x, _ := batch(got, 8, 4)
		copy(ds.X, x)
		for i := range ds.Labels {
			ds.Labels[i] = i
			ds.Y[10*i+i] = 1
		}
		tr, err := train.New(got)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := tr.Fit(ds, train.Epochs(2), train.BatchSize(4))
		tr.Close()
		if err != nil {
			t.Fatalf("%+v", err)
		}
		if len(hist.Epochs) != 2 {
			t.Fatalf("%d epochs", len(hist.Epochs))
		}
	}
	if _, err := onnx.Load(filepath.Join(t.TempDir(), "missing.onnx")); err == nil || !strings.Contains(err.Error(), "missing.onnx") {
		t.Errorf("a missing file gave %v", err)
	}
}

// mutate exports a case, lets f change the decoded model, and returns the
// encoded result.
func mutate(t *testing.T, c layerCase, f func(mp *onnxpb.ModelProto)) []byte {
	t.Helper()
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(export(t, newCase(t, c)), &mp); err != nil {
		t.Fatal(err)
	}
	f(&mp)
	b, err := proto.Marshal(&mp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// findCase returns the case of the given name.
func findCase(name string) layerCase {
	for _, c := range layerCases {
		if c.name == name {
			return c
		}
	}
	panic("no case " + name)
}

func attr(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// TestImportErrors checks that what Export does not write is a clear
// error.
func TestImportErrors(t *testing.T) {
	conv := findCase("conv same stride 2 relu")
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"not protobuf", []byte("GOCNNMDL not ONNX"), "not an ONNX model"},
		{"empty", nil, "IR version 0"},
		{"old opset", mutate(t, conv, func(mp *onnxpb.ModelProto) { mp.OpsetImport[0].Version = proto.Int64(11) }), "opset 11"},
		{"unknown operator", mutate(t, conv, func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].OpType = proto.String("Selu") }), "Selu has no layer"},
		{"other pads", mutate(t, conv, func(mp *onnxpb.ModelProto) { attr(mp.Graph.Node[0], "pads").Ints = []int64{1, 1, 1, 1} }), "neither 'valid' nor 'same'"},
		{"grouped conv", mutate(t, conv, func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = append(mp.Graph.Node[0].Attribute, &onnxpb.AttributeProto{Name: proto.String("group"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(2)})
		}), "group 2"},
		{"missing weights", mutate(t, conv, func(mp *onnxpb.ModelProto) { mp.Graph.Initializer = mp.Graph.Initializer[1:] }), "is not an initializer"},
		{"short weights", mutate(t, conv, func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].RawData = mp.Graph.Initializer[0].RawData[4:] }), "bytes for shape"},
		{"huge weights shape", mutate(t, conv, func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].Dims[0] = 1 << 40 }), "more values than it holds"},
		{"wrong channels", mutate(t, conv, func(mp *onnxpb.ModelProto) {
			mp.Graph.Input[0].Type.GetTensorType().Shape.Dim[1].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 5}
		}), "over an input of shape [5 8 10]"},
		{"huge input", mutate(t, conv, func(mp *onnxpb.ModelProto) {
			mp.Graph.Input[0].Type.GetTensorType().Shape.Dim[2].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 1 << 40}
		}), "is not a positive size"},
		{"unknown value", mutate(t, conv, func(mp *onnxpb.ModelProto) { mp.Graph.Node[0].Input[0] = "nowhere" }), `value "nowhere" is not computed`},
		{"unnamed output", mutate(t, conv, func(mp *onnxpb.ModelProto) { mp.Graph.Output[0].Name = proto.String("elsewhere") }), `output "elsewhere"`},
		{"ceil mode", mutate(t, findCase("max pool valid floor"), func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = append(mp.Graph.Node[0].Attribute, &onnxpb.AttributeProto{Name: proto.String("ceil_mode"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)})
		}), "ceil_mode 1"},
		{"counted padding", mutate(t, findCase("avg pool same stride 1"), func(mp *onnxpb.ModelProto) { attr(mp.Graph.Node[0], "count_include_pad").I = proto.Int64(1) }), "count_include_pad 1"},
		{"leaky slope after a conv", mutate(t, findCase("conv same stride 3 leaky relu"), func(mp *onnxpb.ModelProto) { attr(mp.Graph.Node[1], "alpha").F = proto.Float32(0.1) }), "alpha 0.1 after a layer"},
		{"broken gelu", mutate(t, findCase("gelu"), func(mp *onnxpb.ModelProto) {
			for _, in := range mp.Graph.Initializer {
				if strings.HasSuffix(in.GetName(), "/half") {
					in.RawData = []byte{0, 0, 0x80, 0x3f} // 1
				}
			}
		}), "constant 1, want 0.5"},
		{"transposed gemm", mutate(t, findCase("dense relu"), func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = append(mp.Graph.Node[0].Attribute, &onnxpb.AttributeProto{Name: proto.String("transB"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)})
		}), "transB 1"},
		{"concat axis", mutate(t, findCase("concatenate"), func(mp *onnxpb.ModelProto) { attr(mp.Graph.Node[2], "axis").I = proto.Int64(2) }), "Concat on axis 2"},
		{"training batch norm", mutate(t, findCase("batch norm image"), func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = append(mp.Graph.Node[0].Attribute, &onnxpb.AttributeProto{Name: proto.String("training_mode"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)})
		}), "training_mode 1"},
		{"two outputs of a node", mutate(t, conv, func(mp *onnxpb.ModelProto) { mp.Graph.Node[0].Output = append(mp.Graph.Node[0].Output, "x") }), "has 2 outputs"},
		{"custom domain", mutate(t, conv, func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Domain = proto.String("com.example") }), `operator set "com.example"`},
		{"depthwise group", mutate(t, findCase("depthwise"), func(mp *onnxpb.ModelProto) { attr(mp.Graph.Node[0], "group").I = proto.Int64(1) }), "group 1; DepthwiseConv2D has 3"},
		{"separable without its pointwise input", mutate(t, findCase("separable"), func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Input = nil }), "does not take"},
		{"transpose output padding", mutate(t, findCase("conv transpose kernel below stride"), func(mp *onnxpb.ModelProto) {
			attr(mp.Graph.Node[0], "output_padding").Ints = []int64{0, 0}
		}), "output_padding [0 0]"},
		{"cubic upsampling", mutate(t, findCase("upsampling nearest"), func(mp *onnxpb.ModelProto) { attr(mp.Graph.Node[0], "mode").S = []byte("cubic") }), `Resize mode "cubic"`},
		{"layer norm permutation", mutate(t, findCase("layer norm channels"), func(mp *onnxpb.ModelProto) {
			attr(mp.Graph.Node[0], "perm").Ints = []int64{0, 3, 2, 1}
		}), "Export writes"},
		{"reshape size", mutate(t, findCase("reshape"), func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute[0].T.Int64Data = []int64{0, 5, 5}
		}), "a Reshape of an example of shape [2 3 4]"},
		{"crop axes", mutate(t, findCase("cropping"), func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[2].Attribute[0].T.Int64Data = []int64{1, 3}
		}), "only the height and width"},
		{"pads of the channels", mutate(t, findCase("zero padding"), func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute[0].T.Int64Data = []int64{0, 1, 0, 0, 0, 0, 0, 0}
		}), "only padding of the height and width"},
		{"a type that lies", mutate(t, conv, func(mp *onnxpb.ModelProto) {
			mp.MetadataProps[0].Value = proto.String(`[["conv2d_1", "Dense"]]`)
		}), "as Dense"},
		{"an unknown type", mutate(t, conv, func(mp *onnxpb.ModelProto) {
			mp.MetadataProps[0].Value = proto.String(`[["conv2d_1", "NoSuchLayer"]]`)
		}), "NoSuchLayer has no Importer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := onnx.Import(bytes.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "bad.onnx")
	if err := os.WriteFile(path, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := onnx.Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v does not name %s", err, path)
	}
}

// FuzzImport: no file makes Import panic, and a model it accepts exports
// again. The seeds are the exports of the first few cases, and files as
// PyTorch writes them.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"conv same stride 2 relu", "gelu", "concatenate", "batch norm image", "global average pool", "add three",
		"reshape", "zero padding", "cropping", "upsampling nearest", "upsampling bilinear", "layer norm channels", "layer norm image",
		"conv dilated same relu", "depthwise multiplier same stride tanh", "separable", "conv transpose same stride 2 relu", "conv transpose dilated"} {
		in := model.Input(findCase(name).input...)
		m, err := model.New([]*model.Node{in}, []*model.Node{findCase(name).build(in)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(export(f, m))
	}
	f.Add([]byte("not onnx"))
	// Files of other tools.
	f.Add(padConv(f))
	f.Add(gemmChain(f, "pytorch", 2, 3, 1))
	f.Add(foreignFile(f, 13, []int64{2, 32}, node("Reshape", []string{"x", "shape3"}, "y")))
	f.Add(foreignFile(f, 13, []int64{1, 9, 9}, node("Pad", []string{"x", "pads"}, "p"), node("MaxPool", []string{"p"}, "y", intsAttrOf("kernel_shape", 1, 1))))
	f.Add(foreignFile(f, 13, []int64{2, 16, 16}, node("ConvTranspose", []string{"x", "wt"}, "t", intsAttrOf("strides", 2, 2), intsAttrOf("pads", 0, 0, 1, 1)),
		node("Conv", []string{"t", "w"}, "y", intsAttrOf("pads", 1, 1, 1, 1), intsAttrOf("dilations", 1, 1))))
	f.Add(foreignFile(f, 13, []int64{1, 16, 16}, node("Resize", []string{"x", "", "scales"}, "y")))
	f.Add(foreignFile(f, 17, []int64{1, 8, 8}, node("LayerNormalization", []string{"x", "gamma"}, "y")))
	if b, err := os.ReadFile(filepath.Join("testdata", "torch_activations.onnx")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := onnx.Import(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := onnx.Export(m, &bytes.Buffer{}); err != nil {
			t.Fatalf("an imported model does not export: %+v", err)
		}
	})
}
