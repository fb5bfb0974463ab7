package onnx

import (
	"math"
	"slices"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
	"github.com/gocnn/cnn/ops"
)

// The Importers of the built-in layers: each reads the nodes that its
// layer type's Exporter writes, and nothing else.

func init() {
	// The ONNX form of every built-in layer type; the op types are those
	// its first node (but Constants) may have, by which a file that
	// records no layer types is read.
	builtin("Conv2D", exportConv, importConv, "Conv")
	builtin("DepthwiseConv2D", exportConv, importConv, "Conv")
	builtin("SeparableConv2D", exportConv, importConv, "Conv")
	builtin("Conv2DTranspose", exportConv, importConvTranspose, "ConvTranspose")
	builtin("MaxPooling2D", exportPool, importPool, "MaxPool")
	builtin("AveragePooling2D", exportPool, importPool, "AveragePool")
	builtin("Dense", exportDense, importDense, "Gemm")
	builtin("Flatten", exportFlatten, importFlatten, "Flatten")
	builtin("Activation", exportActivation, importActivation, "Relu", "Sigmoid", "Tanh", "Softmax", "LeakyRelu", "Elu", "Div", "Identity")
	builtin("Dropout", exportIdentity, importIdentity, "Identity")
	builtin("Add", exportMerge, importChain, "Add")
	builtin("Multiply", exportMerge, importChain, "Mul")
	builtin("Concatenate", exportMerge, importConcat, "Concat")
	builtin("BatchNormalization", exportBatchNorm, importBatchNorm, "BatchNormalization")
	builtin("GlobalAveragePooling2D", exportGlobalPool, importGlobalPool, "GlobalAveragePool")
	builtin("GlobalMaxPooling2D", exportGlobalPool, importGlobalPool, "GlobalMaxPool")
	builtin("Reshape", exportReshape, importReshape, "Reshape")
	builtin("ZeroPadding2D", exportPad, importPad, "Pad")
	builtin("Cropping2D", exportPad, importCrop, "Slice")
	builtin("UpSampling2D", exportUpSampling, importUpSampling, "Resize")
	builtin("LayerNormalization", exportLayerNorm, importLayerNorm, "LayerNormalization", "Transpose")
}

// The ONNX op of each activation of a single node, by its Keras name.
var activationOps = map[string]string{"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax", "leaky_relu": "LeakyRelu", "elu": "Elu"}

// activationOf returns the Keras name of an activation's op, or "".
func activationOf(op string) string {
	for name, o := range activationOps {
		if o == op {
			return name
		}
	}
	return ""
}

// windowFields checks that pads (top, left, bottom, right) of a window k
// with strides s over an input of example shape in are those of 'valid'
// or 'same' padding, and returns the layer's strides and padding as
// configuration fields, and its output's shape; note, if not empty,
// follows the pads in an error.
func windowFields(in []int, k, s [2]int, pads [4]int, channels int, note string) (map[string]any, []int, error) {
	same := pads != [4]int{}
	want, err := windowPads(in, k, s, same)
	if err != nil {
		return nil, nil, err
	}
	if want != pads {
		return nil, nil, errors.Errorf("pads %v%s are neither 'valid' nor 'same' padding (%v) for input %v", pads, note, want, in)
	}
	out := []int{channels, 0, 0}
	for i := range 2 {
		if out[1+i], _, err = ops.OutSize(in[1+i], k[i], s[i], same); err != nil {
			return nil, nil, err
		}
	}
	fields := map[string]any{"strides": s[:]}
	if same {
		fields["padding"] = "same"
	}
	return fields, out, nil
}

// window reads the strides and pads of a window k over an input of
// example shape in (see windowFields).
func window(as map[string]*onnxpb.AttributeProto, in []int, k [2]int, channels int) (map[string]any, []int, error) {
	s, err := intsAttr(as, "strides", 2, 1, []int{1, 1})
	if err != nil {
		return nil, nil, err
	}
	p, err := intsAttr(as, "pads", 4, 0, []int{0, 0, 0, 0})
	if err != nil {
		return nil, nil, err
	}
	return windowFields(in, k, [2]int{s[0], s[1]}, [4]int{p[0], p[1], p[2], p[3]}, channels, "")
}

func noAutoPad(as map[string]*onnxpb.AttributeProto) error {
	if a, ok := as["auto_pad"]; ok && string(a.GetS()) != "NOTSET" {
		return errors.Errorf("auto_pad %q; Export writes explicit pads", a.GetS())
	}
	return nil
}

// image checks that in is the example shape of an image [C, H, W].
func image(in []int) error {
	if len(in) != 3 {
		return errors.Errorf("input shape %v is not an image [C, H, W]", in)
	}
	return nil
}

// convKernel reads the kernel and the optional bias of a Conv or
// ConvTranspose node n and records them as the layer's parameters
// kernel (named wName) and bias, of filters values; it returns the
// kernel's shape.
func (c *ImportContext) convKernel(n *onnxpb.NodeProto, wName string, filters func(dims []int) (int, error)) ([]int, bool, error) {
	ins := n.GetInput()
	if len(ins) != 2 && len(ins) != 3 {
		return nil, false, errors.Errorf("node %q (%s) has %d inputs, want 2 or 3", n.GetName(), n.GetOpType(), len(ins))
	}
	dims, err := c.im.dims(ins[1])
	if err != nil {
		return nil, false, err
	}
	if len(dims) != 4 {
		return nil, false, errors.Errorf("kernel %s of shape %v is not [., ., kh, kw]", ins[1], dims)
	}
	f, err := filters(dims)
	if err != nil {
		return nil, false, err
	}
	if err := c.Param(wName, ins[1], dims...); err != nil {
		return nil, false, err
	}
	if len(ins) == 3 {
		if err := c.Param("bias", ins[2], f); err != nil {
			return nil, false, err
		}
	}
	return dims, len(ins) == 3, nil
}

// convActivation reads the activation nodes after a layer's main node,
// of the value x, and sets the configuration's activation field.
func convActivation(fields map[string]any, c *ImportContext, rest []*onnxpb.NodeProto, x string) error {
	act, err := c.optionActivation(rest, x)
	if err != nil {
		return err
	}
	if act != "linear" {
		fields["activation"] = act
	}
	return nil
}

// importConv reads a Conv2D (one group), a DepthwiseConv2D (one group per
// input channel) or a SeparableConv2D (that without a bias, then a 1×1
// Conv), and the activation after it.
func importConv(c *ImportContext) (Imported, error) {
	in := c.InputShape
	if err := image(in); err != nil {
		return Imported{}, err
	}
	nodes := c.nodes
	n := nodes[0]
	if n.GetOpType() != "Conv" {
		return Imported{}, errors.Errorf("node %q is %s, not Conv", n.GetName(), n.GetOpType())
	}
	as, err := attrs(n, "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad")
	if err != nil {
		return Imported{}, err
	}
	if err := noAutoPad(as); err != nil {
		return Imported{}, err
	}
	group, err := intAttr(as, "group", 1)
	if err != nil {
		return Imported{}, err
	}
	depthwise := c.Type != "Conv2D"
	if wantGroup := map[bool]int64{false: 1, true: int64(in[0])}[depthwise]; group != wantGroup {
		return Imported{}, errors.Errorf("group %d; %s has %d", group, c.Type, wantGroup)
	}
	wName := "kernel"
	if depthwise {
		wName = "depthwise_kernel"
	}
	separable := c.Type == "SeparableConv2D"
	if separable && len(n.GetInput()) != 2 {
		return Imported{}, errors.Errorf("the depthwise Conv of a SeparableConv2D takes %d inputs, not 2", len(n.GetInput()))
	}
	dims, bias, err := c.convKernel(n, wName, func(dims []int) (int, error) {
		if depthwise {
			if dims[1] != 1 || dims[0]%in[0] != 0 {
				return 0, errors.Errorf("depthwise kernel of shape %v over %d channels; want [C·M, 1, kh, kw]", dims, in[0])
			}
		} else if dims[1] != in[0] {
			return 0, errors.Errorf("Conv kernel of shape %v over an input of shape %v; want [filters, %d, kh, kw]", dims, in, in[0])
		}
		return dims[0], nil
	})
	if err != nil {
		return Imported{}, err
	}
	f, k := dims[0], [2]int{dims[2], dims[3]}
	if ks, err := intsAttr(as, "kernel_shape", 2, 1, k[:]); err != nil || ks[0] != k[0] || ks[1] != k[1] {
		return Imported{}, errors.Errorf("kernel_shape %v and kernel %v disagree (%v)", ks, dims, err)
	}
	d, err := intsAttr(as, "dilations", 2, 1, []int{1, 1})
	if err != nil {
		return Imported{}, err
	}
	ext := [2]int{(k[0]-1)*d[0] + 1, (k[1]-1)*d[1] + 1}
	fields, out, err := window(as, in, ext, f)
	if err != nil {
		return Imported{}, err
	}
	fields["kernel_size"] = k[:]
	if d[0] != 1 || d[1] != 1 {
		fields["dilation_rate"] = d
	}
	if depthwise && f != in[0] {
		fields["depth_multiplier"] = f / in[0]
	}
	rest, y := nodes[1:], n.GetOutput()[0]
	switch {
	case separable:
		if len(rest) == 0 || rest[0].GetOpType() != "Conv" {
			return Imported{}, errors.New("a SeparableConv2D's depthwise Conv is not followed by its pointwise Conv")
		}
		pw := rest[0]
		if len(pw.GetInput()) == 0 || pw.GetInput()[0] != y {
			return Imported{}, errors.Errorf("node %q does not take %q", pw.GetName(), y)
		}
		pas, err := attrs(pw, "kernel_shape")
		if err != nil {
			return Imported{}, err
		}
		if ks, err := intsAttr(pas, "kernel_shape", 2, 1, []int{1, 1}); err != nil || ks[0] != 1 || ks[1] != 1 {
			return Imported{}, errors.Errorf("pointwise kernel_shape %v (%v)", ks, err)
		}
		pdims, pbias, err := c.convKernel(pw, "pointwise_kernel", func(pd []int) (int, error) {
			if pd[1] != f || pd[2] != 1 || pd[3] != 1 {
				return 0, errors.Errorf("pointwise kernel of shape %v after %d channels; want [filters, %d, 1, 1]", pd, f, f)
			}
			return pd[0], nil
		})
		if err != nil {
			return Imported{}, err
		}
		fields["filters"], bias, out[0] = pdims[0], pbias, pdims[0]
		rest, y = rest[1:], pw.GetOutput()[0]
	case !depthwise:
		fields["filters"] = f
	}
	if !bias {
		fields["use_bias"] = false
	}
	if err := convActivation(fields, c, rest, y); err != nil {
		return Imported{}, err
	}
	return imported(fields, out)
}

// importConvTranspose reads a Conv2DTranspose and its activation.
func importConvTranspose(c *ImportContext) (Imported, error) {
	in := c.InputShape
	if err := image(in); err != nil {
		return Imported{}, err
	}
	n := c.nodes[0]
	as, err := attrs(n, "kernel_shape", "strides", "pads", "output_padding", "dilations", "group", "auto_pad")
	if err != nil {
		return Imported{}, err
	}
	if err := noAutoPad(as); err != nil {
		return Imported{}, err
	}
	if g, err := intAttr(as, "group", 1); err != nil || g != 1 {
		return Imported{}, errors.Errorf("group %d; only 1 is read (%v)", g, err)
	}
	dims, bias, err := c.convKernel(n, "kernel", func(dims []int) (int, error) {
		if dims[0] != in[0] {
			return 0, errors.Errorf("ConvTranspose kernel of shape %v over an input of shape %v; want [%d, filters, kh, kw]", dims, in, in[0])
		}
		return dims[1], nil
	})
	if err != nil {
		return Imported{}, err
	}
	k := [2]int{dims[2], dims[3]}
	s, err := intsAttr(as, "strides", 2, 1, []int{1, 1})
	if err != nil {
		return Imported{}, err
	}
	d, err := intsAttr(as, "dilations", 2, 1, []int{1, 1})
	if err != nil {
		return Imported{}, err
	}
	p, err := intsAttr(as, "pads", 4, 0, []int{0, 0, 0, 0})
	if err != nil {
		return Imported{}, err
	}
	op, err := intsAttr(as, "output_padding", 2, 0, []int{0, 0})
	if err != nil {
		return Imported{}, err
	}
	same := slices.ContainsFunc(p, func(v int) bool { return v != 0 })
	want, err := transposeAttrs(in, k, [2]int{s[0], s[1]}, [2]int{d[0], d[1]}, same)
	if err != nil {
		return Imported{}, err
	}
	wantAs, _ := attrs(&onnxpb.NodeProto{Attribute: want}, "kernel_shape", "strides", "pads", "output_padding", "dilations")
	for name, got := range map[string][]int{"pads": p, "output_padding": op} {
		if w := wantAs[name].GetInts(); !slices.Equal(toInt64s(got), w) {
			return Imported{}, errors.Errorf("%s %v; Keras's %s padding has %v", name, got, map[bool]string{true: "'same'", false: "'valid'"}[same], w)
		}
	}
	if ks, err := intsAttr(as, "kernel_shape", 2, 1, k[:]); err != nil || ks[0] != k[0] || ks[1] != k[1] {
		return Imported{}, errors.Errorf("kernel_shape %v and kernel %v disagree (%v)", ks, dims, err)
	}
	out := []int{dims[1], 0, 0}
	for i := range 2 {
		if out[1+i], _, err = ops.TransposeOutSize(in[1+i], (k[i]-1)*d[i]+1, s[i], same); err != nil {
			return Imported{}, err
		}
	}
	fields := map[string]any{"filters": dims[1], "kernel_size": k[:], "strides": s}
	if same {
		fields["padding"] = "same"
	}
	if d[0] != 1 || d[1] != 1 {
		fields["dilation_rate"] = d
	}
	if !bias {
		fields["use_bias"] = false
	}
	if err := convActivation(fields, c, c.nodes[1:], n.GetOutput()[0]); err != nil {
		return Imported{}, err
	}
	return imported(fields, out)
}

func toInt64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// importPool reads a MaxPooling2D or AveragePooling2D.
func importPool(c *ImportContext) (Imported, error) {
	n, err := c.single(map[bool]string{true: "AveragePool", false: "MaxPool"}[c.Type == "AveragePooling2D"], 1)
	if err != nil {
		return Imported{}, err
	}
	isMax := n.GetOpType() == "MaxPool"
	allowed := []string{"kernel_shape", "strides", "pads", "ceil_mode", "auto_pad"}
	if isMax {
		allowed = append(allowed, "dilations", "storage_order")
	} else {
		allowed = append(allowed, "count_include_pad")
	}
	as, err := attrs(n, allowed...)
	if err != nil {
		return Imported{}, err
	}
	if err := noAutoPad(as); err != nil {
		return Imported{}, err
	}
	for _, name := range []string{"ceil_mode", "count_include_pad", "storage_order"} {
		if v, err := intAttr(as, name, 0); err != nil || v != 0 {
			return Imported{}, errors.Errorf("%s %d; only 0 is read (%v)", name, v, err)
		}
	}
	if d, err := intsAttr(as, "dilations", 2, 1, []int{1, 1}); err != nil || d[0] != 1 || d[1] != 1 {
		return Imported{}, errors.Errorf("dilations %v; only undilated pooling is read (%v)", d, err)
	}
	k, err := intsAttr(as, "kernel_shape", 2, 1, nil)
	if err != nil {
		return Imported{}, err
	}
	if err := image(c.InputShape); err != nil {
		return Imported{}, err
	}
	fields, out, err := window(as, c.InputShape, [2]int{k[0], k[1]}, c.InputShape[0])
	if err != nil {
		return Imported{}, err
	}
	fields["pool_size"] = k
	return imported(fields, out)
}

// importDense reads a Dense layer from a Gemm of kernel [inputs, units],
// and its activation.
func importDense(c *ImportContext) (Imported, error) {
	in := c.InputShape
	n := c.nodes[0]
	ins := n.GetInput()
	if len(ins) != 2 && len(ins) != 3 {
		return Imported{}, errors.Errorf("node %q (Gemm) has %d inputs, want 2 or 3", n.GetName(), len(ins))
	}
	dims, err := c.im.dims(ins[1])
	if err != nil {
		return Imported{}, err
	}
	if len(dims) != 2 || len(in) != 1 || dims[0] != in[0] {
		return Imported{}, errors.Errorf("Gemm weights %s of shape %v for an input of shape %v; want [%v, units]", ins[1], dims, in, in)
	}
	as, err := attrs(n, "alpha", "beta", "transA", "transB")
	if err != nil {
		return Imported{}, err
	}
	for _, name := range []string{"transA", "transB"} {
		if v, err := intAttr(as, name, 0); err != nil || v != 0 {
			return Imported{}, errors.Errorf("%s %d; only 0 is read (%v)", name, v, err)
		}
	}
	for _, name := range []string{"alpha", "beta"} {
		if v, err := floatAttr(as, name, 1); err != nil || v != 1 {
			return Imported{}, errors.Errorf("%s %v; only 1 is read (%v)", name, v, err)
		}
	}
	fields := map[string]any{"units": dims[1]}
	if err := convActivation(fields, c, c.nodes[1:], n.GetOutput()[0]); err != nil {
		return Imported{}, err
	}
	if err := c.Param("kernel", ins[1], dims...); err != nil {
		return Imported{}, err
	}
	if len(ins) == 2 {
		fields["use_bias"] = false
	} else if err := c.Param("bias", ins[2], dims[1]); err != nil {
		return Imported{}, err
	}
	return imported(fields, []int{dims[1]})
}

// flattenAxis checks a Flatten from axis 1 of one input.
func flattenAxis(n *onnxpb.NodeProto) error {
	if _, err := inputs(n, 1); err != nil {
		return err
	}
	as, err := attrs(n, "axis")
	if err != nil {
		return err
	}
	if axis, err := intAttr(as, "axis", 1); err != nil || axis != 1 {
		return errors.Errorf("Flatten from axis %d, not 1 (%v)", axis, err)
	}
	return nil
}

// importFlatten reads a Flatten.
func importFlatten(c *ImportContext) (Imported, error) {
	n, err := c.single("Flatten", 1)
	if err != nil {
		return Imported{}, err
	}
	if err := flattenAxis(n); err != nil {
		return Imported{}, err
	}
	return imported(map[string]any{}, []int{product(c.InputShape)})
}

// importIdentity reads the Identity of a Dropout, which no layer makes.
func importIdentity(c *ImportContext) (Imported, error) {
	n, err := c.single("Identity", 1)
	if err != nil {
		return Imported{}, err
	}
	if _, err := attrs(n); err != nil {
		return Imported{}, err
	}
	return Imported{Shape: c.InputShape}, nil
}

// importActivation reads an Activation layer: one node, the five of
// GELU, or an Identity for a linear one, which no layer makes.
func importActivation(c *ImportContext) (Imported, error) {
	if c.nodes[0].GetOpType() == "Identity" {
		return importIdentity(c)
	}
	act, alpha, err := c.activation(c.nodes, c.Input)
	if err != nil {
		return Imported{}, err
	}
	fields := map[string]any{"activation": act}
	if act == "leaky_relu" || act == "elu" {
		if !(alpha > 0) || math.IsInf(alpha, 1) {
			return Imported{}, errors.Errorf("%s with alpha %v; it must be positive", act, alpha)
		}
		fields["alpha"] = alpha
	}
	return imported(fields, c.InputShape)
}

// optionActivation reads the activation that follows a Conv or Gemm, of
// the value x: none ("linear"), or one that the Activation option
// expresses (the default alpha of leaky_relu and elu).
func (c *ImportContext) optionActivation(nodes []*onnxpb.NodeProto, x string) (string, error) {
	if len(nodes) == 0 {
		return "linear", nil
	}
	a, alpha, err := c.activation(nodes, x)
	if err != nil {
		return "", err
	}
	def := map[string]float64{"leaky_relu": ops.DefaultLeakySlope, "elu": ops.DefaultELUAlpha}
	if d, ok := def[a]; ok && alpha != d {
		return "", errors.Errorf("%s with alpha %v after a layer; the Activation option has alpha %v", a, alpha, d)
	}
	return a, nil
}

// activation reads an activation of the value x: one node, or the five of
// GELU; it returns its Keras name, and alpha, LeakyRelu's or Elu's.
func (c *ImportContext) activation(nodes []*onnxpb.NodeProto, x string) (string, float64, error) {
	n := nodes[0]
	if len(n.GetInput()) == 0 || n.GetInput()[0] != x {
		return "", 0, errors.Errorf("node %q (%s) does not take %q", n.GetName(), n.GetOpType(), x)
	}
	if n.GetOpType() == "Div" {
		return "gelu", 0, c.gelu(nodes, x)
	}
	if len(nodes) != 1 {
		return "", 0, errors.Errorf("%s is followed by %d nodes", n.GetOpType(), len(nodes)-1)
	}
	if _, err := inputs(n, 1); err != nil {
		return "", 0, err
	}
	act := activationOf(n.GetOpType())
	switch act {
	case "":
		return "", 0, errors.Errorf("node %q: %s has no layer here", n.GetName(), n.GetOpType())
	case "softmax":
		as, err := attrs(n, "axis")
		if err != nil {
			return "", 0, err
		}
		if axis, err := intAttr(as, "axis", -1); err != nil || (axis != -1 && axis != 1) {
			return "", 0, errors.Errorf("Softmax on axis %d; only the rows of a matrix are read (%v)", axis, err)
		}
		return act, 0, nil
	case "leaky_relu", "elu":
		as, err := attrs(n, "alpha")
		if err != nil {
			return "", 0, err
		}
		def := map[string]float64{"leaky_relu": 0.01, "elu": 1}[act] // ONNX's defaults
		alpha, err := floatAttr(as, "alpha", def)
		return act, alpha, err
	}
	_, err := attrs(n)
	return act, 0, err
}

// gelu checks the five nodes of x·(1 + erf(x/√2))/2 as Export writes them.
func (c *ImportContext) gelu(nodes []*onnxpb.NodeProto, x string) error {
	want := []struct {
		op  string
		in  [2]string // "" for the previous output; "c" for a constant
		val float32
	}{{"Div", [2]string{x, "c"}, math.Sqrt2}, {"Erf", [2]string{""}, 0}, {"Add", [2]string{"", "c"}, 1},
		{"Mul", [2]string{x, ""}, 0}, {"Mul", [2]string{"", "c"}, 0.5}}
	if len(nodes) != len(want) {
		return errors.Errorf("%d nodes where GELU has %d", len(nodes), len(want))
	}
	prev := ""
	for i, w := range want {
		n := nodes[i]
		arity := 2
		if w.op == "Erf" {
			arity = 1
		}
		in, err := inputs(n, arity)
		if err != nil {
			return err
		}
		if _, err := attrs(n); err != nil {
			return err
		}
		if n.GetOpType() != w.op {
			return errors.Errorf("node %q is %s where GELU has %s", n.GetName(), n.GetOpType(), w.op)
		}
		for k := range arity {
			switch w.in[k] {
			case "":
				if in[k] != prev {
					return errors.Errorf("node %q does not take %q", n.GetName(), prev)
				}
			case "c":
				if v, err := c.im.scalar(in[k]); err != nil || v != w.val {
					return errors.Errorf("node %q: constant %v, want %v (%v)", n.GetName(), v, w.val, err)
				}
			default:
				if in[k] != w.in[k] {
					return errors.Errorf("node %q does not take %q", n.GetName(), w.in[k])
				}
			}
		}
		prev = n.GetOutput()[0]
	}
	return nil
}

// importChain reads the binary Add or Mul nodes that Export writes for a
// merge of several inputs, left to right.
func importChain(c *ImportContext) (Imported, error) {
	op := map[bool]string{true: "Mul", false: "Add"}[c.Type == "Multiply"]
	var names []string
	for i, n := range c.nodes {
		in, err := inputs(n, 2)
		if err != nil {
			return Imported{}, err
		}
		if _, err := attrs(n); err != nil {
			return Imported{}, err
		}
		if n.GetOpType() != op {
			return Imported{}, errors.Errorf("node %q is %s in a chain of %s", n.GetName(), n.GetOpType(), op)
		}
		if i == 0 {
			names = append(names, in[0])
		} else if in[0] != c.nodes[i-1].GetOutput()[0] {
			return Imported{}, errors.Errorf("node %q does not continue the chain of %s", n.GetName(), op)
		}
		names = append(names, in[1])
	}
	for _, name := range names[1:] {
		s, err := c.Shape(name)
		if err != nil {
			return Imported{}, err
		}
		if !slices.Equal(s, c.InputShape) {
			return Imported{}, errors.Errorf("%s of shapes %v and %v", op, c.InputShape, s)
		}
	}
	r, err := imported(map[string]any{}, c.InputShape)
	r.Inputs = names
	return r, err
}

// importConcat reads a Concatenate layer on the channels.
func importConcat(c *ImportContext) (Imported, error) {
	n, err := c.single("Concat", -1)
	if err != nil {
		return Imported{}, err
	}
	as, err := attrs(n, "axis")
	if err != nil {
		return Imported{}, err
	}
	if axis, err := intAttr(as, "axis", 0); err != nil || axis != 1 {
		return Imported{}, errors.Errorf("Concat on axis %d, not the channels (%v)", axis, err)
	}
	out := slices.Clone(c.InputShape)
	for _, name := range n.GetInput()[1:] {
		s, err := c.Shape(name)
		if err != nil {
			return Imported{}, err
		}
		if len(s) != len(out) || len(out) == 0 || !slices.Equal(s[1:], out[1:]) {
			return Imported{}, errors.Errorf("Concat of shapes %v and %v", out, s)
		} else if out[0] += s[0]; out[0] > model.MaxExampleValues {
			return Imported{}, errors.Errorf("Concat of %d channels", out[0])
		}
	}
	r, err := imported(map[string]any{}, out)
	r.Inputs = n.GetInput()
	return r, err
}

// importBatchNorm reads a BatchNormalization in inference mode.
func importBatchNorm(c *ImportContext) (Imported, error) {
	n, err := c.single("BatchNormalization", 5)
	if err != nil {
		return Imported{}, err
	}
	as, err := attrs(n, "epsilon", "momentum", "training_mode")
	if err != nil {
		return Imported{}, err
	}
	if v, err := intAttr(as, "training_mode", 0); err != nil || v != 0 {
		return Imported{}, errors.Errorf("training_mode %d; only inference is read (%v)", v, err)
	}
	eps, err := floatAttr(as, "epsilon", 1e-5) // ONNX's default
	if err != nil {
		return Imported{}, err
	}
	momentum, err := floatAttr(as, "momentum", 0.9) // ONNX's default
	if err != nil {
		return Imported{}, err
	}
	if len(c.InputShape) == 0 {
		return Imported{}, errors.New("BatchNormalization of a value with no channels")
	}
	for i, p := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		if err := c.Param(p, n.GetInput()[1+i], c.InputShape[0]); err != nil {
			return Imported{}, err
		}
	}
	return imported(map[string]any{"epsilon": eps, "momentum": momentum}, c.InputShape)
}

// importGlobalPool reads a GlobalAveragePool or GlobalMaxPool of an image
// followed by its Flatten.
func importGlobalPool(c *ImportContext) (Imported, error) {
	nodes, in := c.nodes, c.InputShape
	first := nodes[0]
	if _, err := inputs(first, 1); err != nil {
		return Imported{}, err
	}
	if _, err := attrs(first); err != nil {
		return Imported{}, err
	}
	if len(nodes) != 2 || nodes[1].GetOpType() != "Flatten" || len(nodes[1].GetInput()) != 1 || nodes[1].GetInput()[0] != first.GetOutput()[0] {
		return Imported{}, errors.Errorf("%s is not followed by its Flatten alone", first.GetOpType())
	}
	if err := image(in); err != nil {
		return Imported{}, err
	}
	if err := flattenAxis(nodes[1]); err != nil {
		return Imported{}, err
	}
	return imported(map[string]any{}, []int{in[0]})
}

// importReshape reads a Reshape to a constant shape whose first value, 0,
// keeps the batch dimension.
func importReshape(c *ImportContext) (Imported, error) {
	n, err := c.single("Reshape", 2)
	if err != nil {
		return Imported{}, err
	}
	as, err := attrs(n, "allowzero")
	if err != nil {
		return Imported{}, err
	}
	if z, err := intAttr(as, "allowzero", 0); err != nil || z != 0 {
		return Imported{}, errors.Errorf("allowzero %d (%v)", z, err)
	}
	shape, err := c.constInts(n.GetInput()[1])
	if err != nil {
		return Imported{}, err
	}
	if len(shape) < 2 || shape[0] != 0 {
		return Imported{}, errors.Errorf("a Reshape to %v; Export writes [0, sizes...]", shape)
	}
	out := make([]int, len(shape)-1)
	size := 1
	for i, d := range shape[1:] {
		if d <= 0 || d > model.MaxExampleValues || size > model.MaxExampleValues/int(d) {
			return Imported{}, errors.Errorf("a Reshape to %v", shape)
		}
		out[i] = int(d)
		size *= out[i]
	}
	if size != product(c.InputShape) {
		return Imported{}, errors.Errorf("a Reshape of an example of shape %v to %v", c.InputShape, out)
	}
	return imported(map[string]any{"target_shape": out}, out)
}

// importPad reads a ZeroPadding2D: a constant Pad of the height and width.
func importPad(c *ImportContext) (Imported, error) {
	n, err := c.single("Pad", 2)
	if err != nil {
		return Imported{}, err
	}
	as, err := attrs(n, "mode")
	if err != nil {
		return Imported{}, err
	}
	if a, ok := as["mode"]; ok && string(a.GetS()) != "constant" {
		return Imported{}, errors.Errorf("Pad mode %q; only constant (zero) padding is read", a.GetS())
	}
	p, err := c.constInts(n.GetInput()[1])
	if err != nil {
		return Imported{}, err
	}
	in := c.InputShape
	if err := image(in); err != nil {
		return Imported{}, err
	}
	if len(p) != 8 || p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0 {
		return Imported{}, errors.Errorf("pads %v; only padding of the height and width is read", p)
	}
	for _, v := range p {
		if v < 0 || v > 1<<20 {
			return Imported{}, errors.Errorf("pads %v out of range", p)
		}
	}
	t, l, b, r := int(p[2]), int(p[3]), int(p[6]), int(p[7])
	return imported(map[string]any{"padding": [2][2]int{{t, b}, {l, r}}}, []int{in[0], in[1] + t + b, in[2] + l + r})
}

// importCrop reads a Cropping2D: a Slice of the height and width.
func importCrop(c *ImportContext) (Imported, error) {
	n, err := c.single("Slice", 4)
	if err != nil {
		return Imported{}, err
	}
	if _, err := attrs(n); err != nil {
		return Imported{}, err
	}
	in := c.InputShape
	if err := image(in); err != nil {
		return Imported{}, err
	}
	var v [3][]int64
	for i := range v {
		if v[i], err = c.constInts(n.GetInput()[1+i]); err != nil {
			return Imported{}, err
		}
		if len(v[i]) != 2 {
			return Imported{}, errors.Errorf("Slice input %d is %v; want 2 values", 2+i, v[i])
		}
	}
	starts, ends, axes := v[0], v[1], v[2]
	if axes[0] != 2 || axes[1] != 3 {
		return Imported{}, errors.Errorf("Slice of axes %v; only the height and width (2, 3) are read", axes)
	}
	var crop [2][2]int
	for i := range 2 {
		if starts[i] < 0 || ends[i] <= starts[i] || ends[i] > int64(in[1+i]) {
			return Imported{}, errors.Errorf("Slice from %v to %v of an image %v", starts, ends, in)
		}
		crop[i] = [2]int{int(starts[i]), in[1+i] - int(ends[i])}
	}
	return imported(map[string]any{"cropping": crop}, []int{in[0], int(ends[0] - starts[0]), int(ends[1] - starts[1])})
}

// importUpSampling reads an UpSampling2D: a Resize by whole scales of the
// height and width, nearest as Export writes it or bilinear.
func importUpSampling(c *ImportContext) (Imported, error) {
	n, err := c.single("Resize", 3)
	if err != nil {
		return Imported{}, err
	}
	if n.GetInput()[1] != "" {
		return Imported{}, errors.New("a Resize with a region of interest")
	}
	as, err := attrs(n, "mode", "coordinate_transformation_mode", "nearest_mode")
	if err != nil {
		return Imported{}, err
	}
	str := func(name, def string) string {
		if a, ok := as[name]; ok {
			return string(a.GetS())
		}
		return def
	}
	mode, ctm, nm := str("mode", "nearest"), str("coordinate_transformation_mode", "half_pixel"), str("nearest_mode", "round_prefer_floor")
	in := c.InputShape
	if err := image(in); err != nil {
		return Imported{}, err
	}
	scales, _, err := c.Floats(n.GetInput()[2])
	if err != nil {
		return Imported{}, err
	}
	size, err := upScales(scales)
	if err != nil {
		return Imported{}, err
	}
	fields := map[string]any{"size": size}
	switch {
	case mode == "nearest" && ctm == "asymmetric" && nm == "floor":
	case mode == "linear" && ctm == "half_pixel" && nm == "round_prefer_floor":
		fields["interpolation"] = "bilinear"
	default:
		return Imported{}, errors.Errorf("Resize mode %q, coordinate_transformation_mode %q, nearest_mode %q; Export writes nearest (asymmetric, floor) or linear (half_pixel)", mode, ctm, nm)
	}
	return imported(fields, []int{in[0], in[1] * size[0], in[2] * size[1]})
}

// upScales returns the whole scales of the height and width of Resize's
// scales [1, 1, h, w].
func upScales(scales []float32) ([2]int, error) {
	var size [2]int
	if len(scales) != 4 || scales[0] != 1 || scales[1] != 1 {
		return size, errors.Errorf("Resize scales %v; only whole scales of the height and width are read", scales)
	}
	for i, v := range scales[2:] {
		if v < 1 || v > 1<<10 || v != float32(math.Trunc(float64(v))) {
			return size, errors.Errorf("Resize scales %v; only whole scales of the height and width are read", scales)
		}
		size[i] = int(v)
	}
	return size, nil
}

// importLayerNorm reads a LayerNormalization over the trailing axes, or
// over others between the Transposes that Export writes.
func importLayerNorm(c *ImportContext) (Imported, error) {
	nodes, in := c.nodes, c.InputShape
	rank := len(in) + 1
	perm := make([]int, rank)
	for i := range perm {
		perm[i] = i
	}
	ln := nodes[0]
	transposed := len(nodes) == 3 && nodes[0].GetOpType() == "Transpose"
	if transposed {
		as, err := attrs(nodes[0], "perm")
		if err != nil {
			return Imported{}, err
		}
		if perm, err = intsAttr(as, "perm", rank, 0, nil); err != nil {
			return Imported{}, err
		}
		ln = nodes[1]
	} else if len(nodes) != 1 {
		return Imported{}, errors.Errorf("%d nodes where LayerNormalization writes 1 or 3", len(nodes))
	}
	if ln.GetOpType() != "LayerNormalization" || len(ln.GetInput()) != 3 || ln.GetInput()[0] != nodes[0].GetOutput()[0] && transposed {
		return Imported{}, errors.Errorf("node %q is not the LayerNormalization of the layer's input", ln.GetName())
	}
	as, err := attrs(ln, "axis", "epsilon", "stash_type")
	if err != nil {
		return Imported{}, err
	}
	axis, err := intAttr(as, "axis", -1)
	if err != nil {
		return Imported{}, err
	}
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 1 || axis >= int64(rank) {
		return Imported{}, errors.Errorf("LayerNormalization from axis %d of a rank %d value", axis, rank)
	}
	eps, err := floatAttr(as, "epsilon", 1e-5) // ONNX's default
	if err != nil {
		return Imported{}, err
	}
	axes := slices.Clone(perm[axis:])
	slices.Sort(axes)
	// The permutation must be the one Export writes for these axes.
	var want []int
	for a := range rank {
		if !slices.Contains(axes, a) {
			want = append(want, a)
		}
	}
	want = append(want, axes...)
	if !slices.Equal(perm, want) || axes[0] == 0 {
		return Imported{}, errors.Errorf("Transpose perm %v and axis %d; Export writes %v", perm, axis, want)
	}
	if transposed {
		inv := make([]int, rank)
		for i, p := range perm {
			inv[p] = i
		}
		back := nodes[2]
		bas, err := attrs(back, "perm")
		if err != nil {
			return Imported{}, err
		}
		got, err := intsAttr(bas, "perm", rank, 0, nil)
		if err != nil || back.GetOpType() != "Transpose" || len(back.GetInput()) != 1 || back.GetInput()[0] != ln.GetOutput()[0] || !slices.Equal(got, inv) {
			return Imported{}, errors.Errorf("node %q is not the Transpose back by %v (%v)", back.GetName(), inv, err)
		}
		if slices.Equal(perm, inv) && slices.IsSorted(perm) {
			return Imported{}, errors.New("Transposes that move nothing")
		}
	}
	var ps []int
	for _, a := range axes {
		ps = append(ps, in[a-1])
	}
	if err := c.Param("gamma", ln.GetInput()[1], ps...); err != nil {
		return Imported{}, err
	}
	if err := c.Param("beta", ln.GetInput()[2], ps...); err != nil {
		return Imported{}, err
	}
	fields := map[string]any{"epsilon": eps}
	if !slices.Equal(axes, []int{1}) {
		fields["norm_axes"] = axes
	}
	return imported(fields, in)
}
