package onnx

import (
	"encoding/json"
	"slices"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
	"github.com/gocnn/cnn/ops"
)

// The exports of the reshaping, normalisation and extra convolution
// layers. Their configurations are read here, not into layerConfig (some
// use Keras's field names with other types, such as ZeroPadding2D's
// padding).

// ownConfig holds the layer types whose configuration moreLayers reads.
var ownConfig = map[string]bool{}

func init() {
	for _, typ := range []string{"Reshape", "ZeroPadding2D", "Cropping2D", "UpSampling2D", "LayerNormalization", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"} {
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
	case "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose":
		return e.conv(l, x, in, out)
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

// convConfig holds the settings of the convolution layers.
type convConfig struct {
	KernelSize   [2]int `json:"kernel_size"`
	Strides      []int  `json:"strides"`
	Padding      string `json:"padding"`
	Activation   string `json:"activation"`
	DilationRate []int  `json:"dilation_rate"`
	UseBias      *bool  `json:"use_bias"`
}

// dilated reports whether a Conv2D layer's configuration has a dilation
// rate above 1; moreLayers exports those.
func dilated(config json.RawMessage) bool {
	var c convConfig
	if json.Unmarshal(config, &c) != nil {
		return false
	}
	return slices.ContainsFunc(c.DilationRate, func(d int) bool { return d > 1 })
}

// conv emits a dilated Conv2D, a DepthwiseConv2D (a Conv with one group
// per input channel), a SeparableConv2D (that, then a 1×1 Conv) or a
// Conv2DTranspose (ConvTranspose), and the layer's activation.
func (e *exporter) conv(l model.LayerSpec, x string, in []int, out string) error {
	var c convConfig
	if err := json.Unmarshal(l.Config, &c); err != nil {
		return errors.Wrap(err, "configuration")
	}
	if len(in) != 3 {
		return errors.Errorf("input shape %v is not an image [C, H, W]", in)
	}
	k, st, d := c.KernelSize, [2]int{1, 1}, [2]int{1, 1}
	if c.Strides != nil {
		if len(c.Strides) != 2 {
			return errors.Errorf("strides %v: want two values", c.Strides)
		}
		st = [2]int{c.Strides[0], c.Strides[1]}
	}
	if c.DilationRate != nil {
		if len(c.DilationRate) != 2 {
			return errors.Errorf("dilation_rate %v: want two values", c.DilationRate)
		}
		d = [2]int{c.DilationRate[0], c.DilationRate[1]}
	}
	same := c.Padding == "same"
	bias := c.UseBias == nil || *c.UseBias
	y := e.activationInput(out, c.Activation, "conv")
	if l.Type == "Conv2DTranspose" {
		w, err := e.param(l.Name, "kernel")
		if err != nil {
			return err
		}
		ins := []string{x, w}
		if bias {
			b, err := e.param(l.Name, "bias")
			if err != nil {
				return err
			}
			ins = append(ins, b)
		}
		var pads [4]int
		var outPad [2]int
		for i := range 2 {
			if _, before, err := ops.TransposeOutSize(in[1+i], k[i], st[i], same); err != nil {
				return err
			} else if same {
				pads[i], pads[2+i] = before, max(k[i]-st[i], 0)-before
			}
			outPad[i] = max(st[i]-k[i], 0)
		}
		e.node("ConvTranspose", ins, y, attrInts("kernel_shape", k[0], k[1]), attrInts("strides", st[0], st[1]),
			attrInts("pads", pads[:]...), attrInts("output_padding", outPad[0], outPad[1]))
		return e.activation(c.Activation, nil, y, out)
	}
	ext := [2]int{(k[0]-1)*d[0] + 1, (k[1]-1)*d[1] + 1}
	pads, err := windowPads(in, ext, st, same)
	if err != nil {
		return err
	}
	attrs := []*onnxpb.AttributeProto{attrInts("kernel_shape", k[0], k[1]), attrInts("strides", st[0], st[1]),
		attrInts("pads", pads[:]...), attrInts("dilations", d[0], d[1])}
	wName := "kernel"
	if l.Type != "Conv2D" {
		wName = "depthwise_kernel"
		attrs = append(attrs, attrInt("group", int64(in[0])))
	}
	w, err := e.param(l.Name, wName)
	if err != nil {
		return err
	}
	var b string
	if bias {
		if b, err = e.param(l.Name, "bias"); err != nil {
			return err
		}
	}
	if l.Type == "SeparableConv2D" {
		dw := e.temp(out, "depthwise")
		e.node("Conv", []string{x, w}, dw, attrs...)
		pw, err := e.param(l.Name, "pointwise_kernel")
		if err != nil {
			return err
		}
		ins := []string{dw, pw}
		if bias {
			ins = append(ins, b)
		}
		e.node("Conv", ins, y, attrInts("kernel_shape", 1, 1))
		return e.activation(c.Activation, nil, y, out)
	}
	ins := []string{x, w}
	if bias {
		ins = append(ins, b)
	}
	e.node("Conv", ins, y, attrs...)
	return e.activation(c.Activation, nil, y, out)
}
