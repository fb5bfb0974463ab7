package onnx_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/onnx"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
)

// valueInfo is a float32 value of shape [N, dims...].
func valueInfo(name string, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}}}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: shape}}}}
}

// graphFile encodes a graph as a model of the given producer and opset.
func graphFile(t testing.TB, producer string, opset int64, g *onnxpb.GraphProto) []byte {
	t.Helper()
	b, err := proto.Marshal(&onnxpb.ModelProto{IrVersion: proto.Int64(8), ProducerName: proto.String(producer), Graph: g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reluChain is a file of n Relu nodes in a row, as Export names them.
func reluChain(t testing.TB, producer string, n int) []byte {
	g := &onnxpb.GraphProto{Name: proto.String("chain"), Input: []*onnxpb.ValueInfoProto{valueInfo("input_1", 4)}}
	prev := "input_1"
	for i := range n {
		out := "re_lu_" + strconv.Itoa(i+1)
		g.Node = append(g.Node, &onnxpb.NodeProto{OpType: proto.String("Relu"), Input: []string{prev}, Output: []string{out}, Name: proto.String(out)})
		prev = out
	}
	g.Output = []*onnxpb.ValueInfoProto{valueInfo(prev, 4)}
	return graphFile(t, producer, 17, g)
}

// BenchmarkImportReluChain imports chains of Relu nodes, up to MaxNodes.
// Import's own work per node is constant; Gorgonia's graph building, in
// model.New, grows with the chain (see MaxNodes).
func BenchmarkImportReluChain(b *testing.B) {
	for _, n := range []int{1000, 4000, onnx.MaxNodes} {
		file := reluChain(b, "gocnn", n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for range b.N {
				m, err := onnx.Import(bytes.NewReader(file))
				if err != nil {
					b.Fatal(err)
				}
				m.Close()
			}
		})
	}
}

// floatInit is a float32 initializer of the given shape and values.
func floatInit(name string, dims []int64, vals []float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: raw}
}

// gemmChain is a file of n Gemm nodes in a row over vectors of k values,
// all of them using the initializers w (k×k, of the value v on the
// diagonal) and b (zeros); transposed, as PyTorch writes them, for any
// producer but gocnn.
func gemmChain(t testing.TB, producer string, n, k int, v float32) []byte {
	w := make([]float32, k*k)
	for i := range k {
		w[i*k+i] = v
	}
	g := &onnxpb.GraphProto{Name: proto.String("shared"), Input: []*onnxpb.ValueInfoProto{valueInfo("input_1", int64(k))},
		Initializer: []*onnxpb.TensorProto{floatInit("w", []int64{int64(k), int64(k)}, w), floatInit("b", []int64{int64(k)}, make([]float32, k))}}
	prev := "input_1"
	for i := range n {
		out := "dense_" + strconv.Itoa(i+1)
		node := &onnxpb.NodeProto{OpType: proto.String("Gemm"), Input: []string{prev, "w", "b"}, Output: []string{out}, Name: proto.String(out)}
		if producer != "gocnn" {
			node.Attribute = []*onnxpb.AttributeProto{{Name: proto.String("transB"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}}
		}
		g.Node = append(g.Node, node)
		prev = out
	}
	g.Output = []*onnxpb.ValueInfoProto{valueInfo(prev, int64(k))}
	return graphFile(t, producer, 17, g)
}

// TestSharedInitializers: layers that share an initializer each get its
// values, and predict as if each had its own copy.
func TestSharedInitializers(t *testing.T) {
	for _, producer := range []string{"gocnn", "pytorch"} {
		t.Run(producer, func(t *testing.T) {
			m, err := onnx.Import(bytes.NewReader(gemmChain(t, producer, 3, 4, 2)))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			y, err := m.Predict([]float32{1, 2, 3, 4})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range y {
				if want := float32(8 * (i + 1)); v != want {
					t.Errorf("output %d is %v, want %v", i, v, want)
				}
			}
		})
	}
}

const sharedEnv = "GOCNN_ONNX_SHARED_CHILD"

// TestSharedInitializerBomb: 2,000 Gemm nodes sharing one 1024×1024
// initializer (4 MiB in the file) would need 8 GiB of parameters: Import
// refuses the file, on both of its paths, without allocating them; the
// child process that tries peaks under 200 MiB.
func TestSharedInitializerBomb(t *testing.T) {
	if os.Getenv(sharedEnv) != "" {
		for _, producer := range []string{"gocnn", "pytorch"} {
			file := gemmChain(t, producer, 2000, 1024, 1)
			_, err := onnx.Import(bytes.NewReader(file))
			if err == nil || !strings.Contains(err.Error(), "onnx.MaxParamBytes") {
				t.Errorf("%s: error %v, want one about onnx.MaxParamBytes", producer, err)
			}
			t.Logf("%s: a file of %d bytes: %v", producer, len(file), err)
		}
		return
	}
	out, rss := testutil.Child(t, "TestSharedInitializerBomb", sharedEnv, "1")
	const bound = 200 << 20
	t.Logf("child's peak RSS %.0f MiB (bound %d MiB)\n%s", float64(rss)/(1<<20), bound>>20, out)
	if rss > bound {
		t.Errorf("peak RSS %.0f MiB, over %d MiB", float64(rss)/(1<<20), bound>>20)
	}
}

// TestImportLimits: the caps on parameters and nodes, checked before
// anything is allocated.
func TestImportLimits(t *testing.T) {
	huge := gemmChain(t, "pytorch", 1, 2, 1)
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(huge, &mp); err != nil {
		t.Fatal(err)
	}
	mp.Graph.Initializer[0].Dims = []int64{1 << 20, 1 << 20}
	huge, err := proto.Marshal(&mp)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"huge initializer", huge, "onnx.MaxParamBytes"},
		{"too many nodes", reluChain(t, "gocnn", onnx.MaxNodes+1), "onnx.MaxNodes"},
		{"too many foreign nodes", reluChain(t, "pytorch", onnx.MaxNodes+1), "onnx.MaxNodes"},
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
