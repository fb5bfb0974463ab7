package onnx

import (
	"math"
	"slices"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
	"github.com/gocnn/cnn/ops"
)

// pad reads a zero Pad of the height and width of an image, which the Conv
// that takes it folds into its own padding.
func (im *foreign) pad(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if len(in) < 2 || len(in) > 3 {
		return errors.Errorf("a Pad of %d inputs; pads as an input (opset 11 on) are read", len(in))
	}
	as, err := nodeAttrs(n, "mode")
	if err != nil {
		return err
	}
	if a, ok := as["mode"]; ok && string(a.GetS()) != "constant" {
		return errors.Errorf("Pad mode %q; only constant (zero) padding is read", a.GetS())
	}
	if len(in) == 3 && in[2] != "" {
		c, err := im.floats(in[2], 1)
		if err != nil || c.floats[0] != 0 {
			return errors.Errorf("a Pad with a value other than 0 (%v)", err)
		}
	}
	v, err := im.get(in[0])
	if err != nil {
		return err
	}
	if v.node == nil || v.gelu != nil || v.pooled || len(v.shape) != 3 {
		return errors.New("only a Pad of a computed image [C, H, W] is read")
	}
	p, err := im.ints(in[1])
	if err != nil {
		return err
	}
	if len(p) != 8 || p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0 {
		return errors.Errorf("pads %v; only padding of the height and width is read", p)
	}
	pads := v.pads
	for i, k := range []int{2, 3, 6, 7} {
		if p[k] < 0 || p[k] > 1<<20 {
			return errors.Errorf("pads %v out of range", p)
		}
		pads[i] += int(p[k])
	}
	shape := []int{v.shape[0], v.shape[1] + int(p[2]+p[6]), v.shape[2] + int(p[3]+p[7])}
	return im.set(n, &value{node: v.node, shape: shape, pads: pads, padName: layerName(n)})
}

// windowOf checks the strides and pads of a window k over the image v,
// adding the Pad v waits for, against 'valid' and 'same' padding, and
// returns the layer's options and its output's shape.
func windowOf(as map[string]*onnxpb.AttributeProto, v *value, k [2]int, channels int) (map[string]any, []int, error) {
	if err := noAutoPad(as); err != nil {
		return nil, nil, err
	}
	s, err := intsAttr(as, "strides", 2, 1, []int{1, 1})
	if err != nil {
		return nil, nil, err
	}
	p, err := intsAttr(as, "pads", 4, 0, []int{0, 0, 0, 0})
	if err != nil {
		return nil, nil, err
	}
	in := v.shape
	if v.pads != [4]int{} { // the image before the Pad
		in = []int{in[0], in[1] - v.pads[0] - v.pads[2], in[2] - v.pads[1] - v.pads[3]}
	}
	pads := [4]int{p[0] + v.pads[0], p[1] + v.pads[1], p[2] + v.pads[2], p[3] + v.pads[3]}
	return windowFields(in, k, [2]int{s[0], s[1]}, pads, channels, " (after any Pad; this library pads as Keras does, the odd cell after the input)")
}

// image returns a computed image [C, H, W], which may wait for a Pad.
func (im *foreign) image(name string, padOK bool) (*value, error) {
	v, err := im.get(name)
	if err != nil {
		return nil, err
	}
	if !padOK || v.pads == [4]int{} {
		if v, err = im.runtime(name); err != nil {
			return nil, err
		}
	} else if v.gelu != nil || v.pooled {
		return nil, errors.Errorf("%q is not an image", name)
	}
	if len(v.shape) != 3 {
		return nil, errors.Errorf("%q of shape %v is not an image [C, H, W]", name, v.shape)
	}
	return v, nil
}

// conv reads a Conv as a Conv2D layer, dilated or not, or, with one
// group per input channel, as a DepthwiseConv2D.
func (im *foreign) conv(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if len(in) != 2 && len(in) != 3 {
		return errors.Errorf("a Conv of %d inputs", len(in))
	}
	x, err := im.image(in[0], true)
	if err != nil {
		return err
	}
	wc, err := im.constant(in[1])
	if err != nil {
		return err
	}
	as, err := nodeAttrs(n, "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad")
	if err != nil {
		return err
	}
	c := x.shape[0]
	g, err := intAttr(as, "group", 1)
	if err != nil || g != 1 && g != int64(c) {
		return errors.Errorf("group %d of %d channels; plain (1) and depthwise (%d) convolutions are read (%v)", g, c, c, err)
	}
	depthwise := g != 1
	if depthwise {
		if wc.floats == nil || len(wc.dims) != 4 || wc.dims[1] != 1 || wc.dims[0]%c != 0 {
			return errors.Errorf("depthwise Conv kernel %s of shape %v over an input of shape %v; want [%d·M, 1, kh, kw]", in[1], wc.dims, x.shape, c)
		}
	} else if wc.floats == nil || len(wc.dims) != 4 || wc.dims[1] != c {
		return errors.Errorf("Conv kernel %s of shape %v over an input of shape %v; want [filters, %d, kh, kw]", in[1], wc.dims, x.shape, c)
	}
	f, kh, kw := wc.dims[0], wc.dims[2], wc.dims[3]
	if k, err := intsAttr(as, "kernel_shape", 2, 1, []int{kh, kw}); err != nil || k[0] != kh || k[1] != kw {
		return errors.Errorf("kernel_shape %v and kernel %v disagree (%v)", k, wc.dims, err)
	}
	d, err := intsAttr(as, "dilations", 2, 1, []int{1, 1})
	if err != nil {
		return err
	}
	fields, out, err := windowOf(as, x, [2]int{(kh-1)*d[0] + 1, (kw-1)*d[1] + 1}, f)
	if err != nil {
		return err
	}
	fields["kernel_size"] = []int{kh, kw}
	if d[0] != 1 || d[1] != 1 {
		fields["dilation_rate"] = d
	}
	typ, kernel := "Conv2D", "kernel"
	if depthwise {
		typ, kernel = "DepthwiseConv2D", "depthwise_kernel"
		if f != c {
			fields["depth_multiplier"] = f / c
		}
	} else {
		fields["filters"] = f
	}
	var bias *constant
	if len(in) == 3 && in[2] != "" {
		if bias, err = im.floats(in[2], f); err != nil {
			return err
		}
	}
	l, err := newLayer(typ, fields)
	if err != nil {
		return err
	}
	if _, err := im.apply(n, l, out, &value{node: x.node}); err != nil {
		return err
	}
	if err := im.param(l.Name(), kernel, wc.floats); err != nil {
		return err
	}
	return im.bias(l.Name(), bias, f)
}

// bias records a layer's bias, zeros if the node has none.
func (im *foreign) bias(layer string, bias *constant, n int) error {
	if err := im.claim(layer, "bias", n); err != nil {
		return err
	}
	if bias != nil {
		im.weights[layer+"/bias"] = bias.floats
	} else {
		im.weights[layer+"/bias"] = make([]float32, n)
	}
	return nil
}

// convTranspose reads a ConvTranspose as a Conv2DTranspose layer: its
// output must be that of Keras's 'valid' or 'same' padding, the same
// cells of the full transposed convolution. PyTorch writes those as
// padding=0 and, for 'same', padding=(k−s)/2 when k − s is even, as in
// ConvTranspose2d(c, f, 4, stride=2, padding=1).
func (im *foreign) convTranspose(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if len(in) != 2 && len(in) != 3 {
		return errors.Errorf("a ConvTranspose of %d inputs", len(in))
	}
	x, err := im.image(in[0], false)
	if err != nil {
		return err
	}
	wc, err := im.constant(in[1])
	if err != nil {
		return err
	}
	c := x.shape[0]
	if wc.floats == nil || len(wc.dims) != 4 || wc.dims[0] != c {
		return errors.Errorf("ConvTranspose kernel %s of shape %v over an input of shape %v; want [%d, filters, kh, kw]", in[1], wc.dims, x.shape, c)
	}
	f, k := wc.dims[1], [2]int{wc.dims[2], wc.dims[3]}
	as, err := nodeAttrs(n, "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad", "output_padding")
	if err != nil {
		return err
	}
	if err := noAutoPad(as); err != nil {
		return err
	}
	if g, err := intAttr(as, "group", 1); err != nil || g != 1 {
		return errors.Errorf("group %d; only 1 is read (%v)", g, err)
	}
	if ks, err := intsAttr(as, "kernel_shape", 2, 1, k[:]); err != nil || ks[0] != k[0] || ks[1] != k[1] {
		return errors.Errorf("kernel_shape %v and kernel %v disagree (%v)", ks, wc.dims, err)
	}
	s, err := intsAttr(as, "strides", 2, 1, []int{1, 1})
	if err != nil {
		return err
	}
	d, err := intsAttr(as, "dilations", 2, 1, []int{1, 1})
	if err != nil {
		return err
	}
	p, err := intsAttr(as, "pads", 4, 0, []int{0, 0, 0, 0})
	if err != nil {
		return err
	}
	op, err := intsAttr(as, "output_padding", 2, 0, []int{0, 0})
	if err != nil {
		return err
	}
	// Each axis: the first cell of the full output kept, and the size.
	var got, valid, same [2][2]int
	out := []int{f, 0, 0}
	for i := range 2 {
		ext := (k[i]-1)*d[i] + 1
		full := (x.shape[1+i]-1)*s[i] + ext
		got[i] = [2]int{p[i], full - p[i] - p[2+i] + op[i]}
		for j, isSame := range []bool{false, true} {
			size, before, err := ops.TransposeOutSize(x.shape[1+i], ext, s[i], isSame)
			if err != nil {
				return err
			}
			[]*[2][2]int{&valid, &same}[j][i] = [2]int{before, size}
		}
		out[1+i] = got[i][1]
	}
	fields := map[string]any{"filters": f, "kernel_size": k[:], "strides": s}
	switch got {
	case valid:
	case same:
		fields["padding"] = "same"
	default:
		return errors.Errorf("pads %v and output_padding %v keep cells %v (first, count) of the full output; Keras's 'valid' padding keeps %v, 'same' %v", p, op, got, valid, same)
	}
	if d[0] != 1 || d[1] != 1 {
		fields["dilation_rate"] = d
	}
	var bias *constant
	if len(in) == 3 && in[2] != "" {
		if bias, err = im.floats(in[2], f); err != nil {
			return err
		}
	}
	l, err := newLayer("Conv2DTranspose", fields)
	if err != nil {
		return err
	}
	if _, err := im.apply(n, l, out, x); err != nil {
		return err
	}
	if err := im.param(l.Name(), "kernel", wc.floats); err != nil {
		return err
	}
	return im.bias(l.Name(), bias, f)
}

// layerNorm reads a LayerNormalization (opset 17) over the trailing axes
// of a computed value.
func (im *foreign) layerNorm(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if len(in) != 2 && len(in) != 3 {
		return errors.Errorf("a LayerNormalization of %d inputs", len(in))
	}
	x, err := im.runtime(in[0])
	if err != nil {
		return err
	}
	as, err := nodeAttrs(n, "axis", "epsilon", "stash_type")
	if err != nil {
		return err
	}
	rank := int64(len(x.shape) + 1)
	axis, err := intAttr(as, "axis", -1)
	if err != nil {
		return err
	}
	if axis < 0 {
		axis += rank
	}
	if axis < 1 || axis >= rank {
		return errors.Errorf("LayerNormalization from axis %d of an example of shape %v; the batch axis is not normalised", axis, x.shape)
	}
	if st, err := intAttr(as, "stash_type", 1); err != nil || st != 1 {
		return errors.Errorf("stash_type %d; only float32 (1) is read (%v)", st, err)
	}
	eps, err := floatAttr(as, "epsilon", 1e-5)
	if err != nil {
		return err
	}
	if !(eps > 0) {
		return errors.Errorf("epsilon %v", eps)
	}
	var axes []int
	size := 1
	for a := axis; a < rank; a++ {
		axes = append(axes, int(a))
		size *= x.shape[a-1]
	}
	gamma, err := im.floats(in[1], size)
	if err != nil {
		return err
	}
	beta := make([]float32, size)
	if len(in) == 3 && in[2] != "" {
		b, err := im.floats(in[2], size)
		if err != nil {
			return err
		}
		beta = b.floats
	}
	fields := map[string]any{"epsilon": eps}
	if !slices.Equal(axes, []int{1}) {
		fields["norm_axes"] = axes
	}
	l, err := newLayer("LayerNormalization", fields)
	if err != nil {
		return err
	}
	if _, err := im.apply(n, l, x.shape, x); err != nil {
		return err
	}
	if err := im.param(l.Name(), "gamma", gamma.floats); err != nil {
		return err
	}
	return im.param(l.Name(), "beta", beta)
}

// resize reads a Resize by whole scales of the height and width, given as
// scales or as sizes: nearest as PyTorch's nn.Upsample writes it
// (asymmetric, floor) and bilinear with half-pixel centres (half_pixel,
// or pytorch_half_pixel, which is the same for outputs of more than one
// cell), as an UpSampling2D layer.
func (im *foreign) resize(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if len(in) < 3 || len(in) > 4 {
		return errors.Errorf("a Resize of %d inputs; scales or sizes as inputs (opset 11 on) are read", len(in))
	}
	x, err := im.image(in[0], false)
	if err != nil {
		return err
	}
	if in[1] != "" {
		if roi, err := im.constant(in[1]); err != nil || roi.size() != 0 {
			return errors.Errorf("a Resize with a region of interest (%v)", err)
		}
	}
	as, err := nodeAttrs(n, "mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value")
	if err != nil {
		return err
	}
	if v, err := intAttr(as, "exclude_outside", 0); err != nil || v != 0 {
		return errors.Errorf("exclude_outside %d (%v)", v, err)
	}
	str := func(name, def string) string {
		if a, ok := as[name]; ok {
			return string(a.GetS())
		}
		return def
	}
	var scales []float32
	if in[2] != "" {
		c, err := im.constant(in[2])
		if err != nil {
			return err
		}
		scales = c.floats
	}
	if len(scales) == 0 && len(in) == 4 {
		c, err := im.constant(in[3])
		if err != nil {
			return err
		}
		sizes := c.ints
		if len(sizes) != 4 || sizes[0] != batchDim && sizes[0] != im.batch || sizes[1] != int64(x.shape[0]) {
			return errors.Errorf("Resize sizes %v of an image %v", shapeString(sizes), x.shape)
		}
		scales = []float32{1, 1, 0, 0}
		for i := range 2 {
			if sizes[2+i]%int64(x.shape[1+i]) != 0 {
				return errors.Errorf("Resize sizes %v of an image %v; only whole scales are read", shapeString(sizes), x.shape)
			}
			scales[2+i] = float32(sizes[2+i] / int64(x.shape[1+i]))
		}
	}
	size, err := upScales(scales)
	if err != nil {
		return err
	}
	out := []int{x.shape[0], x.shape[1] * size[0], x.shape[2] * size[1]}
	mode, ctm, nm := str("mode", "nearest"), str("coordinate_transformation_mode", "half_pixel"), str("nearest_mode", "round_prefer_floor")
	fields := map[string]any{"size": size}
	switch {
	case mode == "nearest" && ctm == "asymmetric" && nm == "floor":
	case mode == "linear" && (ctm == "half_pixel" || ctm == "pytorch_half_pixel" && out[1] > 1 && out[2] > 1):
		fields["interpolation"] = "bilinear"
	default:
		return errors.Errorf("Resize mode %q, coordinate_transformation_mode %q, nearest_mode %q; nearest (asymmetric, floor) and linear (half_pixel) are read", mode, ctm, nm)
	}
	l, err := newLayer("UpSampling2D", fields)
	if err != nil {
		return err
	}
	_, err = im.apply(n, l, out, x)
	return err
}

// pool reads a MaxPool or AveragePool.
func (im *foreign) pool(n *onnxpb.NodeProto) error {
	if len(n.GetInput()) != 1 {
		return errors.Errorf("pooling of %d inputs", len(n.GetInput()))
	}
	x, err := im.image(n.GetInput()[0], false)
	if err != nil {
		return err
	}
	isMax := n.GetOpType() == "MaxPool"
	allowed := []string{"kernel_shape", "strides", "pads", "ceil_mode", "auto_pad", "dilations"}
	if isMax {
		allowed = append(allowed, "storage_order")
	} else {
		allowed = append(allowed, "count_include_pad")
	}
	as, err := nodeAttrs(n, allowed...)
	if err != nil {
		return err
	}
	k, err := intsAttr(as, "kernel_shape", 2, 1, nil)
	if err != nil {
		return err
	}
	if d, err := intsAttr(as, "dilations", 2, 1, []int{1, 1}); err != nil || d[0] != 1 || d[1] != 1 {
		return errors.Errorf("dilations %v; only undilated pooling is read (%v)", d, err)
	}
	fields, out, err := windowOf(as, x, [2]int{k[0], k[1]}, x.shape[0])
	if err != nil {
		return err
	}
	padded := fields["padding"] != nil
	for _, name := range []string{"ceil_mode", "count_include_pad", "storage_order"} {
		v, err := intAttr(as, name, 0)
		if err != nil {
			return err
		}
		// PyTorch's AvgPool2d counts the padded cells by default; with no
		// padding there are none to count.
		if v != 0 && (name != "count_include_pad" || padded) {
			return errors.Errorf("%s %d; only 0 is read", name, v)
		}
	}
	// ceil_mode 1 gives the same output as 0 when the windows fit exactly.
	fields["pool_size"] = k
	l, err := newLayer(map[bool]string{true: "MaxPooling2D", false: "AveragePooling2D"}[isMax], fields)
	if err != nil {
		return err
	}
	_, err = im.apply(n, l, out, x)
	return err
}

// globalPool reads a GlobalAveragePool or GlobalMaxPool, whose output is
// [C] in the model and [C, 1, 1] in ONNX.
func (im *foreign) globalPool(n *onnxpb.NodeProto) error {
	if len(n.GetInput()) != 1 {
		return errors.Errorf("pooling of %d inputs", len(n.GetInput()))
	}
	if _, err := nodeAttrs(n); err != nil {
		return err
	}
	x, err := im.image(n.GetInput()[0], false)
	if err != nil {
		return err
	}
	l := layers.GlobalAveragePooling2D()
	if n.GetOpType() == "GlobalMaxPool" {
		l = layers.GlobalMaxPooling2D()
	}
	v, err := im.apply(n, l, []int{x.shape[0], 1, 1}, x)
	if err == nil {
		v.pooled = true
	}
	return err
}

// dense reads a Gemm, or a MatMul by a constant, as a Dense layer.
func (im *foreign) dense(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	gemm := n.GetOpType() == "Gemm"
	if len(in) != 2 && !(gemm && len(in) == 3) {
		return errors.Errorf("%s of %d inputs", n.GetOpType(), len(in))
	}
	x, err := im.runtime(in[0])
	if err != nil {
		return err
	}
	if len(x.shape) != 1 {
		return errors.Errorf("%s of an example of shape %v; only vectors are read", n.GetOpType(), x.shape)
	}
	wc, err := im.constant(in[1])
	if err != nil {
		return err
	}
	if wc.floats == nil || len(wc.dims) != 2 {
		return errors.Errorf("weights %s of shape %v are not a float32 matrix", in[1], wc.dims)
	}
	transB := int64(0)
	if gemm {
		as, err := nodeAttrs(n, "alpha", "beta", "transA", "transB")
		if err != nil {
			return err
		}
		if v, err := intAttr(as, "transA", 0); err != nil || v != 0 {
			return errors.Errorf("transA %d; only 0 is read (%v)", v, err)
		}
		if transB, err = intAttr(as, "transB", 0); err != nil || transB != 0 && transB != 1 {
			return errors.Errorf("transB %d (%v)", transB, err)
		}
		for _, name := range []string{"alpha", "beta"} {
			if v, err := floatAttr(as, name, 1); err != nil || v != 1 {
				return errors.Errorf("%s %v; only 1 is read (%v)", name, v, err)
			}
		}
	} else if _, err := nodeAttrs(n); err != nil {
		return err
	}
	k, units := wc.dims[0], wc.dims[1]
	if transB == 1 {
		k, units = units, k
	}
	if k != x.shape[0] {
		return errors.Errorf("weights %s of shape %v for an input of %d values", in[1], wc.dims, x.shape[0])
	}
	var bias *constant
	if len(in) == 3 && in[2] != "" {
		if bias, err = im.floats(in[2], units); err != nil {
			return err
		}
	}
	l := layers.Dense(units)
	v, err := im.apply(n, l, []int{units}, x)
	if err != nil {
		return err
	}
	if !gemm {
		v.dense = &denseBias{param: l.Name() + "/bias", units: units}
	}
	if err := im.claim(l.Name(), "kernel", len(wc.floats)); err != nil {
		return err
	}
	if err := im.claim(l.Name(), "bias", units); err != nil {
		return err
	}
	kernel := wc.floats
	if t, ok := im.transposed[wc]; ok && transB == 1 {
		kernel = t // the layers that share weights share their transpose
	} else if transB == 1 { // [units, k] to this library's [k, units]
		kernel = make([]float32, len(wc.floats))
		im.transposed[wc] = kernel
		for u := range units {
			for i := range k {
				kernel[i*units+u] = wc.floats[u*k+i]
			}
		}
	}
	im.weights[l.Name()+"/kernel"] = kernel
	if bias != nil {
		im.weights[l.Name()+"/bias"] = bias.floats
	} else {
		im.weights[l.Name()+"/bias"] = make([]float32, units)
	}
	return nil
}

// batchNorm reads an inference BatchNormalization.
func (im *foreign) batchNorm(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if len(in) != 5 {
		return errors.Errorf("BatchNormalization of %d inputs", len(in))
	}
	x, err := im.runtime(in[0])
	if err != nil {
		return err
	}
	as, err := nodeAttrs(n, "epsilon", "momentum", "training_mode", "spatial")
	if err != nil {
		return err
	}
	if v, err := intAttr(as, "training_mode", 0); err != nil || v != 0 {
		return errors.Errorf("training_mode %d; only inference is read (%v)", v, err)
	}
	eps, err := floatAttr(as, "epsilon", 1e-5)
	if err != nil {
		return err
	}
	momentum, err := floatAttr(as, "momentum", 0.9)
	if err != nil {
		return err
	}
	if !(eps > 0) || !(momentum >= 0 && momentum <= 1) {
		return errors.Errorf("epsilon %v and momentum %v", eps, momentum)
	}
	c := x.shape[0]
	var ps [4][]float32
	for i := range ps {
		p, err := im.floats(in[1+i], c)
		if err != nil {
			return err
		}
		ps[i] = p.floats
	}
	for _, v := range ps[3] {
		if !(v >= 0) || math.IsInf(float64(v), 1) {
			return errors.Errorf("a variance of %v", v)
		}
	}
	l, err := newLayer("BatchNormalization", map[string]any{"epsilon": eps, "momentum": momentum})
	if err != nil {
		return err
	}
	if _, err := im.apply(n, l, x.shape, x); err != nil {
		return err
	}
	for i, name := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		if err := im.param(l.Name(), name, ps[i]); err != nil {
			return err
		}
	}
	return nil
}

// arith reads Add and Mul of two computed values (Add and Multiply
// layers), the Add of a bias to a MatMul, and the nodes of GELU.
func (im *foreign) arith(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	op := n.GetOpType()
	if _, err := nodeAttrs(n); err != nil {
		return err
	}
	if op == "Erf" {
		if len(in) != 1 {
			return errors.New("an Erf of other than one input")
		}
		v, err := im.get(in[0])
		if err != nil {
			return err
		}
		if v.gelu == nil || v.gelu.stage != 1 || im.uses[in[0]] != 1 {
			return errors.New("an Erf that is not part of x·(1 + erf(x/√2))/2")
		}
		return im.set(n, &value{gelu: &geluStage{x: v.gelu.x, stage: 2}})
	}
	if len(in) != 2 {
		return errors.Errorf("%s of %d inputs", op, len(in))
	}
	a, err := im.get(in[0])
	if err != nil {
		return err
	}
	b, err := im.get(in[1])
	if err != nil {
		return err
	}
	if op == "Div" {
		// x/√2, the first node of GELU.
		if _, err := im.runtime(in[0]); err != nil || b.c == nil || b.c.floats == nil || b.c.size() != 1 ||
			math.Abs(float64(b.c.floats[0])-math.Sqrt2) > 1e-6 || im.uses[n.GetOutput()[0]] != 1 {
			return errors.New("a Div that is not the x/√2 of GELU")
		}
		return im.set(n, &value{gelu: &geluStage{x: in[0], stage: 1}})
	}
	if a.c != nil && b.c == nil || a.gelu == nil && b.gelu != nil {
		a, b = b, a // the constant, or the GELU stage, second
		in = []string{in[1], in[0]}
	}
	if g := a.gelu; g != nil {
		next := 0
		switch {
		case g.stage == 2 && op == "Add" && isScalar(b, 1):
			next = 3
		case g.stage == 3 && op == "Mul" && in[1] == g.x:
			next = 4
		case g.stage == 4 && op == "Mul" && isScalar(b, 0.5):
			x, err := im.runtime(g.x)
			if err != nil {
				return err
			}
			_, err = im.apply(n, layers.GELU(), x.shape, x)
			return err
		}
		if next == 0 || im.uses[in[0]] != 1 {
			return errors.Errorf("%s is not part of x·(1 + erf(x/√2))/2", op)
		}
		return im.set(n, &value{gelu: &geluStage{x: g.x, stage: next}})
	}
	if g := b.gelu; g != nil && g.stage == 3 && op == "Mul" && in[0] == g.x && im.uses[in[1]] == 1 {
		return im.set(n, &value{gelu: &geluStage{x: g.x, stage: 4}})
	}
	if b.c != nil {
		// A bias for the MatMul just before.
		if op != "Add" || a.dense == nil || a.dense.set || im.uses[in[0]] != 1 || b.c.floats == nil || b.c.size() != a.dense.units {
			return errors.Errorf("%s of a constant %q; only the bias of a MatMul is read", op, in[1])
		}
		a.dense.set = true
		im.weights[a.dense.param] = b.c.floats
		return im.set(n, &value{node: a.node, shape: a.shape})
	}
	x, err := im.runtime(in[0])
	if err != nil {
		return err
	}
	y, err := im.runtime(in[1])
	if err != nil {
		return err
	}
	if len(x.shape) != len(y.shape) {
		return errors.Errorf("%s of shapes %v and %v; broadcasting is not read", op, x.shape, y.shape)
	}
	for i := range x.shape {
		if x.shape[i] != y.shape[i] {
			return errors.Errorf("%s of shapes %v and %v; broadcasting is not read", op, x.shape, y.shape)
		}
	}
	l := layers.Add()
	if op == "Mul" {
		l = layers.Multiply()
	}
	_, err = im.apply(n, l, x.shape, x, y)
	return err
}

// isScalar reports whether v is a one-value float32 constant of value want.
func isScalar(v *value, want float32) bool {
	return v.c != nil && len(v.c.floats) == 1 && v.c.floats[0] == want
}

// activation reads an activation as its own layer.
func (im *foreign) activation(n *onnxpb.NodeProto) error {
	if len(n.GetInput()) != 1 {
		return errors.Errorf("%s of %d inputs", n.GetOpType(), len(n.GetInput()))
	}
	x, err := im.runtime(n.GetInput()[0])
	if err != nil {
		return err
	}
	fields := map[string]any{"activation": activationOf(n.GetOpType())}
	switch op := n.GetOpType(); op {
	case "Relu", "Sigmoid", "Tanh":
		if _, err := nodeAttrs(n); err != nil {
			return err
		}
	case "Softmax":
		as, err := nodeAttrs(n, "axis")
		if err != nil {
			return err
		}
		if axis, err := intAttr(as, "axis", -1); err != nil || len(x.shape) != 1 || axis != -1 && axis != 1 {
			return errors.Errorf("Softmax on axis %d of an example of shape %v; only the rows of a matrix are read (%v)", axis, x.shape, err)
		}
	default: // LeakyRelu, Elu
		as, err := nodeAttrs(n, "alpha")
		if err != nil {
			return err
		}
		def := map[string]float64{"LeakyRelu": 0.01, "Elu": 1}[op] // ONNX's defaults
		alpha, err := floatAttr(as, "alpha", def)
		if err != nil {
			return err
		}
		if !(alpha > 0) || math.IsInf(alpha, 1) {
			return errors.Errorf("%s with alpha %v; it must be positive", op, alpha)
		}
		fields["alpha"] = alpha
	}
	l, err := newLayer("Activation", fields)
	if err != nil {
		return err
	}
	_, err = im.apply(n, l, x.shape, x)
	return err
}
