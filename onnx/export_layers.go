package onnx

import (
	"encoding/json"
	"slices"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
	"github.com/gocnn/cnn/ops"
)

// The Exporters of the built-in layers. Each reads its layer's
// configuration, as the layer's Config writes it, into layerConfig or a
// struct of its own (ZeroPadding2D's padding is not the string of the
// convolutions').

// layerConfig holds the settings of the built-in layers that their
// Exporters read from their configurations.
type layerConfig struct {
	KernelSize   [2]int   `json:"kernel_size"`
	PoolSize     [2]int   `json:"pool_size"`
	Strides      []int    `json:"strides"`
	Padding      string   `json:"padding"`
	Activation   string   `json:"activation"`
	Alpha        *float64 `json:"alpha"`
	Epsilon      *float64 `json:"epsilon"`
	Momentum     *float64 `json:"momentum"`
	DilationRate []int    `json:"dilation_rate"`
	UseBias      *bool    `json:"use_bias"`
}

// config decodes the layer's configuration into v.
func (c *ExportContext) config(v any) error {
	return errors.Wrap(json.Unmarshal(c.Config, v), "configuration")
}

// pair returns a two-value setting, or def when it is absent.
func pair(name string, v []int, def [2]int) ([2]int, error) {
	if v == nil {
		return def, nil
	}
	if len(v) != 2 {
		return def, errors.Errorf("%s %v: want two values", name, v)
	}
	return [2]int{v[0], v[1]}, nil
}

// exportPool writes MaxPooling2D and AveragePooling2D.
func exportPool(c *ExportContext) error {
	var cfg layerConfig
	if err := c.config(&cfg); err != nil {
		return err
	}
	x, in := c.input()
	attrs, err := windowAttrs(in, cfg.PoolSize, cfg.Strides, cfg.PoolSize, cfg.Padding)
	if err != nil {
		return err
	}
	op := "MaxPool"
	if c.Type == "AveragePooling2D" {
		op = "AveragePool"
		attrs = append(attrs, attrInt("count_include_pad", 0))
	}
	c.node(op, []string{x}, c.Output, attrs...)
	return nil
}

// exportDense writes Dense as Gemm and its activation.
func exportDense(c *ExportContext) error {
	var cfg layerConfig
	if err := c.config(&cfg); err != nil {
		return err
	}
	w, err := c.Param("kernel")
	if err != nil {
		return err
	}
	ins := []string{c.Inputs[0], w}
	if cfg.UseBias == nil || *cfg.UseBias {
		b, err := c.Param("bias")
		if err != nil {
			return err
		}
		ins = append(ins, b)
	}
	y := c.ActivationInput(cfg.Activation, "gemm")
	c.node("Gemm", ins, y)
	return c.Activation(cfg.Activation, y, c.Output)
}

// exportFlatten writes Flatten.
func exportFlatten(c *ExportContext) error {
	c.node("Flatten", c.Inputs[:1], c.Output, attrInt("axis", 1))
	return nil
}

// exportActivation writes an Activation layer, with its alpha.
func exportActivation(c *ExportContext) error {
	var cfg layerConfig
	if err := c.config(&cfg); err != nil {
		return err
	}
	return c.e.activation(cfg.Activation, cfg.Alpha, c.Inputs[0], c.Output)
}

// exportIdentity writes Dropout, which does nothing at inference.
func exportIdentity(c *ExportContext) error {
	c.node("Identity", c.Inputs[:1], c.Output)
	return nil
}

// exportMerge writes Add and Multiply as binary nodes, left to right, as
// package ops sums and multiplies, and Concatenate as Concat on the
// channels.
func exportMerge(c *ExportContext) error {
	ins := c.Inputs
	if c.Type == "Concatenate" {
		c.node("Concat", ins, c.Output, attrInt("axis", 1))
		return nil
	}
	op := "Add"
	if c.Type == "Multiply" {
		op = "Mul"
	}
	if len(ins) < 2 {
		return errors.Errorf("%d inputs; a merge takes at least 2", len(ins))
	}
	acc := ins[0]
	for i, v := range ins[1:] {
		y := c.Output
		if i < len(ins)-2 {
			y = c.Temp(op)
		}
		c.node(op, []string{acc, v}, y)
		acc = y
	}
	return nil
}

// exportBatchNorm writes BatchNormalization in inference mode.
func exportBatchNorm(c *ExportContext) error {
	var cfg layerConfig
	if err := c.config(&cfg); err != nil {
		return err
	}
	names := []string{c.Inputs[0]}
	for _, p := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		name, err := c.Param(p)
		if err != nil {
			return err
		}
		names = append(names, name)
	}
	eps, momentum := layers.DefaultBNEpsilon, layers.DefaultBNMomentum
	if cfg.Epsilon != nil {
		eps = *cfg.Epsilon
	}
	if cfg.Momentum != nil {
		momentum = *cfg.Momentum
	}
	// The momentum matters only to training, which Import allows.
	c.node("BatchNormalization", names, c.Output, attrFloat("epsilon", eps), attrFloat("momentum", momentum))
	return nil
}

// exportGlobalPool writes GlobalAveragePooling2D and GlobalMaxPooling2D
// as the pool and a Flatten.
func exportGlobalPool(c *ExportContext) error {
	op := "GlobalAveragePool"
	if c.Type == "GlobalMaxPooling2D" {
		op = "GlobalMaxPool"
	}
	y := c.Temp("pool")
	c.node(op, c.Inputs[:1], y)
	c.node("Flatten", []string{y}, c.Output, attrInt("axis", 1))
	return nil
}

// exportReshape writes Reshape; the 0 in front keeps the batch dimension.
func exportReshape(c *ExportContext) error {
	c.node("Reshape", []string{c.Inputs[0], c.Int64s("shape", append([]int{0}, c.Shape...)...)}, c.Output)
	return nil
}

// exportPad writes ZeroPadding2D as Pad and Cropping2D as Slice.
func exportPad(c *ExportContext) error {
	var cfg struct {
		Padding  [2][2]int `json:"padding"`
		Cropping [2][2]int `json:"cropping"`
	}
	if err := c.config(&cfg); err != nil {
		return err
	}
	x, in := c.input()
	if len(in) != 3 {
		return errors.Errorf("input shape %v is not an image [C, H, W]", in)
	}
	if c.Type == "ZeroPadding2D" {
		p := cfg.Padding
		// Begin and end of each of the axes N, C, H, W.
		c.node("Pad", []string{x, c.Int64s("pads", 0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1])}, c.Output)
		return nil
	}
	p := cfg.Cropping
	c.node("Slice", []string{x, c.Int64s("starts", p[0][0], p[1][0]),
		c.Int64s("ends", in[1]-p[0][1], in[2]-p[1][1]), c.Int64s("axes", 2, 3)}, c.Output)
	return nil
}

// exportUpSampling writes UpSampling2D as Resize: nearest as PyTorch's
// nn.Upsample, bilinear with half-pixel centres.
func exportUpSampling(c *ExportContext) error {
	var cfg struct {
		Size          [2]int `json:"size"`
		Interpolation string `json:"interpolation"`
	}
	if err := c.config(&cfg); err != nil {
		return err
	}
	scales := c.Floats("scales", []int{4}, []float32{1, 1, float32(cfg.Size[0]), float32(cfg.Size[1])})
	attrs := []*onnxpb.AttributeProto{attrString("mode", "nearest"),
		attrString("coordinate_transformation_mode", "asymmetric"), attrString("nearest_mode", "floor")}
	if cfg.Interpolation == "bilinear" {
		attrs = []*onnxpb.AttributeProto{attrString("mode", "linear"), attrString("coordinate_transformation_mode", "half_pixel")}
	}
	c.node("Resize", []string{c.Inputs[0], "", scales}, c.Output, attrs...)
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

// exportLayerNorm writes LayerNormalization: ONNX's LayerNormalization
// (opset 17) normalises over the trailing axes, so the input is
// transposed to put the normalised axes last, and back, when they are not.
func exportLayerNorm(c *ExportContext) error {
	var cfg struct {
		NormAxes []int    `json:"norm_axes"`
		Epsilon  *float64 `json:"epsilon"`
	}
	if err := c.config(&cfg); err != nil {
		return err
	}
	x, in := c.input()
	out := c.Output
	axes := slices.Clone(cfg.NormAxes)
	if axes == nil {
		axes = []int{1}
	}
	slices.Sort(axes)
	eps := layers.DefaultLNEpsilon
	if cfg.Epsilon != nil {
		eps = *cfg.Epsilon
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
	gamma, err := c.Param("gamma")
	if err != nil {
		return err
	}
	beta, err := c.Param("beta")
	if err != nil {
		return err
	}
	attrs := []*onnxpb.AttributeProto{attrInt("axis", int64(rank-len(axes))), attrFloat("epsilon", eps)}
	if trailing {
		c.node("LayerNormalization", []string{x, gamma, beta}, out, attrs...)
		return nil
	}
	inv := make([]int, rank)
	for i, p := range perm {
		inv[p] = i
	}
	t, n := c.Temp("transpose"), c.Temp("norm")
	c.node("Transpose", []string{x}, t, attrInts("perm", perm...))
	c.node("LayerNormalization", []string{t, gamma, beta}, n, attrs...)
	c.node("Transpose", []string{n}, out, attrInts("perm", inv...))
	return nil
}

// exportConv writes Conv2D (dilated or not), DepthwiseConv2D (a Conv
// with one group per input channel), SeparableConv2D (that, then a 1×1
// Conv) and Conv2DTranspose (ConvTranspose), and the layer's activation.
func exportConv(c *ExportContext) error {
	var cfg layerConfig
	if err := c.config(&cfg); err != nil {
		return err
	}
	x, in := c.input()
	if len(in) != 3 {
		return errors.Errorf("input shape %v is not an image [C, H, W]", in)
	}
	k := cfg.KernelSize
	st, err := pair("strides", cfg.Strides, [2]int{1, 1})
	if err != nil {
		return err
	}
	d, err := pair("dilation_rate", cfg.DilationRate, [2]int{1, 1})
	if err != nil {
		return err
	}
	same := cfg.Padding == "same"
	bias := cfg.UseBias == nil || *cfg.UseBias
	y := c.ActivationInput(cfg.Activation, "conv")
	withBias := func(ins ...string) ([]string, error) {
		if !bias {
			return ins, nil
		}
		b, err := c.Param("bias")
		return append(ins, b), err
	}
	if c.Type == "Conv2DTranspose" {
		w, err := c.Param("kernel")
		if err != nil {
			return err
		}
		ins, err := withBias(x, w)
		if err != nil {
			return err
		}
		attrs, err := transposeAttrs(in, k, st, d, same)
		if err != nil {
			return err
		}
		c.node("ConvTranspose", ins, y, attrs...)
		return c.Activation(cfg.Activation, y, c.Output)
	}
	ext := [2]int{(k[0]-1)*d[0] + 1, (k[1]-1)*d[1] + 1}
	pads, err := windowPads(in, ext, st, same)
	if err != nil {
		return err
	}
	attrs := []*onnxpb.AttributeProto{attrInts("kernel_shape", k[0], k[1]), attrInts("strides", st[0], st[1]),
		attrInts("pads", pads[:]...)}
	if d != [2]int{1, 1} {
		attrs = append(attrs, attrInts("dilations", d[0], d[1]))
	}
	wName := "kernel"
	if c.Type != "Conv2D" {
		wName = "depthwise_kernel"
		attrs = append(attrs, attrInt("group", int64(in[0])))
	}
	w, err := c.Param(wName)
	if err != nil {
		return err
	}
	if c.Type == "SeparableConv2D" {
		dw := c.Temp("depthwise")
		c.node("Conv", []string{x, w}, dw, attrs...)
		pw, err := c.Param("pointwise_kernel")
		if err != nil {
			return err
		}
		ins, err := withBias(dw, pw)
		if err != nil {
			return err
		}
		c.node("Conv", ins, y, attrInts("kernel_shape", 1, 1))
		return c.Activation(cfg.Activation, y, c.Output)
	}
	ins, err := withBias(x, w)
	if err != nil {
		return err
	}
	c.node("Conv", ins, y, attrs...)
	return c.Activation(cfg.Activation, y, c.Output)
}

// transposeAttrs returns the attributes of the ConvTranspose of a kernel
// k with strides s and dilations d over an input of example shape in:
// 'valid' padding gives (in − 1)·s + (k − 1)·d + 1 + max(s − k', 0)
// outputs, k' the dilated kernel, the last ones from output_padding;
// 'same' padding in·s, the odd cell cropped after the output as Keras's
// layer does.
func transposeAttrs(in []int, k, s, d [2]int, same bool) ([]*onnxpb.AttributeProto, error) {
	var pads [4]int
	var outPad [2]int
	for i := range 2 {
		ext := (k[i]-1)*d[i] + 1
		if _, before, err := ops.TransposeOutSize(in[1+i], ext, s[i], same); err != nil {
			return nil, err
		} else if same {
			pads[i], pads[2+i] = before, max(ext-s[i], 0)-before
		}
		outPad[i] = max(s[i]-ext, 0)
	}
	attrs := []*onnxpb.AttributeProto{attrInts("kernel_shape", k[0], k[1]), attrInts("strides", s[0], s[1]),
		attrInts("pads", pads[:]...), attrInts("output_padding", outPad[0], outPad[1])}
	if d != [2]int{1, 1} {
		attrs = append(attrs, attrInts("dilations", d[0], d[1]))
	}
	return attrs, nil
}
