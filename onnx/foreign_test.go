package onnx_test

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocnn/cnn/onnx"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
)

// intsInit is an int64 initializer of one dimension.
func intsInit(name string, vals ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: []int64{int64(len(vals))}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: vals}
}

// intsAttrOf is an INTS attribute.
func intsAttrOf(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

// node is a node of one output.
func node(op string, in []string, out string, as ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Input: in, Output: []string{out}, Name: proto.String("/" + out + "/" + op), Attribute: as}
}

// foreignFile is a graph from "pytorch" over an input x of example shape
// [1, 8, 8] with a 2×1×3×3 kernel w and a bias b, ending in y.
func foreignFile(t testing.TB, opset int64, outShape []int64, nodes ...*onnxpb.NodeProto) []byte {
	return graphFile(t, "pytorch", opset, &onnxpb.GraphProto{
		Name:   proto.String("g"),
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", 1, 8, 8)},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", outShape...)},
		Node:   nodes,
		Initializer: []*onnxpb.TensorProto{floatInit("w", []int64{2, 1, 3, 3}, make([]float32, 18)), floatInit("b", []int64{2}, []float32{1, 2}),
			intsInit("pads", 0, 0, 0, 0, 0, 0, 1, 1), intsInit("shape3", 0, 2, -1), intsInit("shape5", 0, 5, -1), floatInit("c", []int64{1}, []float32{3}),
			floatInit("wt", []int64{1, 2, 3, 3}, make([]float32, 18)), floatInit("scales", []int64{4}, []float32{1, 1, 2, 2}),
			floatInit("gamma", []int64{8}, make([]float32, 8))},
	})
}

// padConv is a foreign file of a Pad and a Conv of stride 2.
func padConv(t testing.TB) []byte {
	return foreignFile(t, 13, []int64{2, 4, 4}, node("Pad", []string{"x", "pads"}, "p"),
		node("Conv", []string{"p", "w", "b"}, "y", intsAttrOf("strides", 2, 2), intsAttrOf("pads", 0, 0, 0, 0), intsAttrOf("kernel_shape", 3, 3)))
}

// TestImportForeign: a Conv after a Pad of the odd cell after the image is
// 'same' padding, and what this library cannot compute is an error naming
// the node.
func TestImportForeign(t *testing.T) {
	conv := func(out string, in string, pads ...int64) *onnxpb.NodeProto {
		return node("Conv", []string{in, "w", "b"}, out, intsAttrOf("strides", 2, 2), intsAttrOf("pads", pads...), intsAttrOf("kernel_shape", 3, 3))
	}
	good := padConv(t)
	m, err := onnx.Import(bytes.NewReader(good))
	if err != nil {
		t.Fatalf("%+v", err)
	}
	if got := m.Layers()[0].Name() + " " + m.Layers()[0].Type(); got != "y.Conv Conv2D" {
		t.Errorf("layer %q", got)
	}
	y, err := m.Predict(make([]float32, 64))
	if err != nil || len(y) != 32 || y[0] != 1 || y[31] != 2 {
		t.Errorf("predictions %v (%v), want 16 ones and 16 twos", y, err)
	}
	same := foreignFile(t, 13, []int64{1, 8, 8}, node("Relu", []string{"x"}, "r1"), node("Relu", []string{"r1"}, "r2"), node("Relu", []string{"r2"}, "y"))
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(same, &mp); err != nil {
		t.Fatal(err)
	}
	for _, n := range mp.Graph.Node {
		n.Name = proto.String("/r/input_1")
	}
	if same, err = proto.Marshal(&mp); err != nil {
		t.Fatal(err)
	}
	if m, err = onnx.Import(bytes.NewReader(same)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.Name())
	}
	if got := strings.Join(names, " "); got != "r.input_1 r.input_1_2 r.input_1_3" {
		t.Errorf("layers named %s", got)
	}
	// A Pad that no Conv takes is a ZeroPadding2D layer; a Reshape of
	// each example to [2, 32], a Reshape layer.
	for _, tc := range []struct {
		name  string
		file  []byte
		types string
		out   int
	}{
		{"pad before a relu", foreignFile(t, 13, []int64{1, 9, 9}, node("Pad", []string{"x", "pads"}, "p"), node("Relu", []string{"p"}, "y")), "ZeroPadding2D Activation", 81},
		{"reshape to 3-D", foreignFile(t, 13, []int64{2, 32}, node("Reshape", []string{"x", "shape3"}, "y")), "Reshape", 64},
		{"nearest resize", foreignFile(t, 13, []int64{1, 16, 16}, node("Resize", []string{"x", "", "scales"}, "y",
			&onnxpb.AttributeProto{Name: proto.String("coordinate_transformation_mode"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("asymmetric")},
			&onnxpb.AttributeProto{Name: proto.String("nearest_mode"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("floor")})), "UpSampling2D", 256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := onnx.Import(bytes.NewReader(tc.file))
			if err != nil {
				t.Fatalf("%+v", err)
			}
			var types []string
			for _, l := range m.Layers() {
				types = append(types, l.Type())
			}
			if got := strings.Join(types, " "); got != tc.types {
				t.Errorf("layers %s, want %s", got, tc.types)
			}
			x := make([]float32, 64)
			for i := range x {
				x[i] = float32(i + 1)
			}
			y, err := m.Predict(x)
			if err != nil || len(y) != tc.out {
				t.Fatalf("%d outputs (%v), want %d", len(y), err, tc.out)
			}
			var sum float32
			for _, v := range y {
				sum += v
			}
			// Padding adds zeros, reshaping moves values and upsampling by
			// 2×2 repeats each value 4 times.
			if want := map[int]float32{81: 2080, 64: 2080, 256: 4 * 2080}[tc.out]; sum != want {
				t.Errorf("the outputs sum to %v, want %v", sum, want)
			}
		})
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"symmetric pads of a stride 2", foreignFile(t, 13, []int64{2, 4, 4}, conv("y", "x", 1, 1, 1, 1)), "neither 'valid' nor 'same'"},
		{"reflect pad", foreignFile(t, 13, []int64{2, 4, 4}, node("Pad", []string{"x", "pads"}, "p",
			&onnxpb.AttributeProto{Name: proto.String("mode"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("reflect")}), conv("y", "p", 0, 0, 0, 0)), `mode "reflect"`},
		{"grouped conv", foreignFile(t, 13, []int64{2, 3, 3}, node("Conv", []string{"x", "w", "b"}, "y", &onnxpb.AttributeProto{Name: proto.String("group"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(3)})), "group 3 of 1 channels"},
		{"conv transpose pads", foreignFile(t, 13, []int64{2, 15, 15}, node("ConvTranspose", []string{"x", "wt"}, "y", intsAttrOf("strides", 2, 2), intsAttrOf("pads", 1, 1, 1, 1))), "Keras's 'valid' padding keeps"},
		{"cubic resize", foreignFile(t, 13, []int64{1, 16, 16}, node("Resize", []string{"x", "", "scales"}, "y",
			&onnxpb.AttributeProto{Name: proto.String("mode"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("cubic")})), `mode "cubic"`},
		{"layer norm of the batch", foreignFile(t, 17, []int64{1, 8, 8}, node("LayerNormalization", []string{"x", "gamma"}, "y",
			&onnxpb.AttributeProto{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(0)})), "the batch axis is not normalised"},
		{"constant add", foreignFile(t, 13, []int64{1, 8, 8}, node("Add", []string{"x", "c"}, "y")), "only the bias of a MatMul"},
		{"old opset", foreignFile(t, 9, []int64{1, 8, 8}, node("Relu", []string{"x"}, "y")), "opset 9"},
		{"unknown operator", foreignFile(t, 13, []int64{1, 8, 8}, node("Selu", []string{"x"}, "y")), "Selu has no layer here"},
		{"reshape to a size that does not divide", foreignFile(t, 13, []int64{5, 13}, node("Reshape", []string{"x", "shape5"}, "y")), "only [batch, sizes...]"},
		{"no input", foreignFile(t, 13, []int64{1, 8, 8}, node("Reshape", nil, "y")), "no input"},
		{"constant output", foreignFile(t, 13, []int64{1}, node("Identity", []string{"c"}, "y")), "is a constant"},
		{"unknown value", foreignFile(t, 13, []int64{1, 8, 8}, node("Relu", []string{"nowhere"}, "y")), `"nowhere" is not computed`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := onnx.Import(bytes.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
