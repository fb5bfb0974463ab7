package onnx

import (
	"encoding/json"
	"slices"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
)

// The exports of the reshaping, normalisation and extra convolution
// layers. Their configurations are read here, not into layerConfig (some
// use Keras's field names with other types, such as ZeroPadding2D's
// padding).

// ownConfig holds the layer types whose configuration moreLayers reads.
var ownConfig = map[string]bool{}

func init() {
	for _, typ := range []string{"Reshape", "ZeroPadding2D", "Cropping2D", "UpSampling2D", "LayerNormalization"} {
		supported[typ], ownConfig[typ] = true, true
	}
}

// moreLayers emits the nodes of a layer of this file's types; x is its
// input, in and shape its input and output example shapes, and out its
// output's name.
func (e *exporter) moreLayers(l model.LayerSpec, x string, in, shape []int, out string) error {
	switch l.Type {
	case "Reshape":
		// 0 keeps the batch dimension.
		e.node("Reshape", []string{x, e.constInts(out, "shape", append([]int{0}, shape...)...)}, out)
	case "ZeroPadding2D", "Cropping2D":
		var c struct {
			Padding  [2][2]int `json:"padding"`
			Cropping [2][2]int `json:"cropping"`
		}
		if err := json.Unmarshal(l.Config, &c); err != nil {
			return errors.Wrap(err, "configuration")
		}
		if len(in) != 3 {
			return errors.Errorf("input shape %v is not an image [C, H, W]", in)
		}
		if l.Type == "ZeroPadding2D" {
			p := c.Padding
			// Begin and end of each of the axes N, C, H, W.
			e.node("Pad", []string{x, e.constInts(out, "pads", 0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1])}, out)
			return nil
		}
		p := c.Cropping
		e.node("Slice", []string{x, e.constInts(out, "starts", p[0][0], p[1][0]),
			e.constInts(out, "ends", in[1]-p[0][1], in[2]-p[1][1]), e.constInts(out, "axes", 2, 3)}, out)
	case "UpSampling2D":
		var c struct {
			Size          [2]int `json:"size"`
			Interpolation string `json:"interpolation"`
		}
		if err := json.Unmarshal(l.Config, &c); err != nil {
			return errors.Wrap(err, "configuration")
		}
		scales := e.temp(out, "scales")
		e.initializer(scales, []int{4}, []float32{1, 1, float32(c.Size[0]), float32(c.Size[1])})
		attrs := []*onnxpb.AttributeProto{attrString("mode", "nearest"),
			attrString("coordinate_transformation_mode", "asymmetric"), attrString("nearest_mode", "floor")}
		if c.Interpolation == "bilinear" {
			attrs = []*onnxpb.AttributeProto{attrString("mode", "linear"), attrString("coordinate_transformation_mode", "half_pixel")}
		}
		e.node("Resize", []string{x, "", scales}, out, attrs...)
	case "LayerNormalization":
		return e.layerNorm(l, x, in, out)
	default:
		return errors.New("no ONNX form")
	}
	return nil
}

// constInts emits a Constant node holding the int64 vector vs and returns
// its name.
func (e *exporter) constInts(layer, what string, vs ...int) string {
	name := e.temp(layer, what)
	ints := make([]int64, len(vs))
	for i, v := range vs {
		ints[i] = int64(v)
	}
	t := &onnxpb.TensorProto{Dims: []int64{int64(len(vs))}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: ints}
	e.node("Constant", nil, name, &onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: t})
	return name
}

func attrString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

// layerNorm emits a LayerNormalization layer: ONNX's LayerNormalization
// (opset 17) normalises over the trailing axes, so the input is
// transposed to put the normalised axes last, and back, when they are not.
func (e *exporter) layerNorm(l model.LayerSpec, x string, in []int, out string) error {
	var c struct {
		NormAxes []int    `json:"norm_axes"`
		Epsilon  *float64 `json:"epsilon"`
	}
	if err := json.Unmarshal(l.Config, &c); err != nil {
		return errors.Wrap(err, "configuration")
	}
	axes := slices.Clone(c.NormAxes)
	if axes == nil {
		axes = []int{1}
	}
	slices.Sort(axes)
	eps := layers.DefaultLNEpsilon
	if c.Epsilon != nil {
		eps = *c.Epsilon
	}
	rank := len(in) + 1
	var perm []int
	for a := range rank {
		if !slices.Contains(axes, a) {
			perm = append(perm, a)
		}
	}
	perm = append(perm, axes...)
	trailing := perm[len(perm)-len(axes)] == rank-len(axes) && slices.IsSorted(perm)
	gamma, err := e.param(l.Name, "gamma")
	if err != nil {
		return err
	}
	beta, err := e.param(l.Name, "beta")
	if err != nil {
		return err
	}
	attrs := []*onnxpb.AttributeProto{attrInt("axis", int64(rank-len(axes))), attrFloat("epsilon", eps)}
	if trailing {
		e.node("LayerNormalization", []string{x, gamma, beta}, out, attrs...)
		return nil
	}
	inv := make([]int, rank)
	for i, p := range perm {
		inv[p] = i
	}
	t, n := e.temp(out, "transpose"), e.temp(out, "norm")
	e.node("Transpose", []string{x}, t, attrInts("perm", perm...))
	e.node("LayerNormalization", []string{t, gamma, beta}, n, attrs...)
	e.node("Transpose", []string{n}, out, attrInts("perm", inv...))
	return nil
}
