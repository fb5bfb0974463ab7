package layers

import (
	"encoding/json"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

func init() {
	mustRegister("DepthwiseConv2D", func(raw json.RawMessage) (Layer, error) {
		var c struct {
			KernelSize [2]int `json:"kernel_size"`
			optionsJSON
		}
		opts, err := decodeOptions(raw, &c, &c.optionsJSON)
		if err != nil {
			return nil, err
		}
		return DepthwiseConv2D(c.KernelSize[0], c.KernelSize[1], opts...), nil
	})
	for _, typ := range []string{"SeparableConv2D", "Conv2DTranspose"} {
		mustRegister(typ, func(raw json.RawMessage) (Layer, error) {
			var c struct {
				Filters    int    `json:"filters"`
				KernelSize [2]int `json:"kernel_size"`
				optionsJSON
			}
			opts, err := decodeOptions(raw, &c, &c.optionsJSON)
			if err != nil {
				return nil, err
			}
			if typ == "SeparableConv2D" {
				return SeparableConv2D(c.Filters, c.KernelSize[0], c.KernelSize[1], opts...), nil
			}
			return Conv2DTranspose(c.Filters, c.KernelSize[0], c.KernelSize[1], opts...), nil
		})
	}
}

// windowOpts returns the convolution options of a layer with strides,
// padding and dilation, refusing, as Keras does, dilation rates above 1
// together with strides above 1.
func (c config) windowOpts() (ops.ConvOpts, error) {
	o := c.convOpts([2]int{1, 1})
	d := c.dilation()
	if (d[0] > 1 || d[1] > 1) && (o.StrideH > 1 || o.StrideW > 1) {
		return o, errors.Errorf("dilation rate %v with strides %dx%d: rates above 1 need strides of 1", d, o.StrideH, o.StrideW)
	}
	o.DilationH, o.DilationW = d[0], d[1]
	return o, nil
}

// depthwiseConv2D is a depthwise or depthwise-separable convolution layer.
type depthwiseConv2D struct {
	Base
	separable bool
	filters   int // separable: the pointwise filters
	kh, kw    int
	cfg       config
}

// DepthwiseConv2D convolves each input channel with DepthMultiplier
// (default 1) kh×kw filters of its own, as Keras's layer does: C input
// channels give C·M output channels, output channel c·M+m coming from
// input channel c. Its depthwise_kernel has shape [C·M, 1, kh, kw] (ONNX's
// grouped-convolution layout) and its bias [C·M]. Options: Strides,
// Padding, DilationRate, DepthMultiplier, UseBias, Activation,
// KernelInitializer (the depthwise kernel's), BiasInitializer.
func DepthwiseConv2D(kh, kw int, opts ...Option) Layer {
	return &depthwiseConv2D{kh: kh, kw: kw, cfg: newConfig(opts)}
}

// SeparableConv2D is a depthwise convolution (see DepthwiseConv2D), with
// no bias, followed by a 1×1 convolution to filters channels with a bias,
// as Keras's layer: C input channels give C·M·kh·kw + C·M·filters +
// filters parameters. Its parameters are depthwise_kernel [C·M, 1, kh,
// kw], pointwise_kernel [filters, C·M, 1, 1] and bias [filters]. Strides
// and DilationRate apply to the depthwise step. Options: Strides,
// Padding, DilationRate, DepthMultiplier, UseBias, Activation,
// KernelInitializer (both kernels'), BiasInitializer.
func SeparableConv2D(filters, kh, kw int, opts ...Option) Layer {
	return &depthwiseConv2D{separable: true, filters: filters, kh: kh, kw: kw, cfg: newConfig(opts)}
}

func (l *depthwiseConv2D) Type() string {
	if l.separable {
		return "SeparableConv2D"
	}
	return "DepthwiseConv2D"
}

// Config describes the layer's settings.
func (l *depthwiseConv2D) Config() (json.RawMessage, error) {
	if l.separable {
		return filtersConfig(l.filters, l.kh, l.kw, l.cfg)
	}
	return marshal(struct {
		KernelSize [2]int `json:"kernel_size"`
		optionsJSON
	}{[2]int{l.kh, l.kw}, l.cfg.json()})
}

func (l *depthwiseConv2D) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only(optStrides, optPadding, optActivation, optKernelInit, optBiasInit, optDilationRate, optDepthMultiplier, optUseBias); err != nil {
		return nil, err
	}
	filters := 1 // a depthwise convolution's output channels follow its input's
	if l.separable {
		filters = l.filters
	}
	s, err := filterInput(filters, l.kh, l.kw, x)
	if err != nil {
		return nil, err
	}
	o, err := l.cfg.windowOpts()
	if err != nil {
		return nil, err
	}
	cm := s[1] * l.cfg.depthMultiplier()
	w, err := l.Param(g, "depthwise_kernel", []int{cm, 1, l.kh, l.kw}, l.cfg.kernel())
	if err != nil {
		return nil, err
	}
	var b *G.Node
	if l.cfg.useBias() {
		n := cm
		if l.separable {
			n = l.filters
		}
		if b, err = l.Param(g, "bias", []int{n}, l.cfg.bias()); err != nil {
			return nil, err
		}
	}
	var y *G.Node
	if !l.separable {
		if y, err = ops.DepthwiseConv2D(x, w, b, o, !g.IsInput(x)); err != nil {
			return nil, err
		}
		return ops.Activate(y, l.cfg.act())
	}
	if y, err = ops.DepthwiseConv2D(x, w, nil, o, !g.IsInput(x)); err != nil {
		return nil, err
	}
	pw, err := l.Param(g, "pointwise_kernel", []int{l.filters, cm, 1, 1}, l.cfg.kernel())
	if err != nil {
		return nil, err
	}
	if y, err = ops.Conv2D(y, pw, b, ops.ConvOpts{}, true); err != nil {
		return nil, err
	}
	return ops.Activate(y, l.cfg.act())
}

// conv2DTranspose is a transposed convolution layer.
type conv2DTranspose struct {
	Base
	filters, kh, kw int
	cfg             config
}

// Conv2DTranspose is the transposed convolution (the gradient of a
// convolution with respect to its input, sometimes called deconvolution)
// with filters output channels and a kh×kw kernel, as Keras's layer: with
// strides s, 'same' padding gives outputs of in·s and 'valid' padding
// in·s + max(kh − s, 0), which is (in − 1)·s + kh when kh ≥ s. With
// DilationRate d (strides must then be 1) the taps are d apart and kh
// stands for the dilated extent (kh − 1)·d + 1. Its kernel has shape
// [channels, filters, kh, kw] (ONNX's ConvTranspose layout) and its bias
// [filters]. Options: Strides, Padding, DilationRate, UseBias, Activation,
// KernelInitializer, BiasInitializer.
func Conv2DTranspose(filters, kh, kw int, opts ...Option) Layer {
	return &conv2DTranspose{filters: filters, kh: kh, kw: kw, cfg: newConfig(opts)}
}

func (l *conv2DTranspose) Type() string { return "Conv2DTranspose" }

// Config describes the layer's settings.
func (l *conv2DTranspose) Config() (json.RawMessage, error) {
	return filtersConfig(l.filters, l.kh, l.kw, l.cfg)
}

func (l *conv2DTranspose) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only(optStrides, optPadding, optActivation, optKernelInit, optBiasInit, optUseBias, optDilationRate); err != nil {
		return nil, err
	}
	s, err := filterInput(l.filters, l.kh, l.kw, x)
	if err != nil {
		return nil, err
	}
	o, err := l.cfg.windowOpts()
	if err != nil {
		return nil, err
	}
	w, err := l.Param(g, "kernel", []int{s[1], l.filters, l.kh, l.kw}, l.cfg.kernel())
	if err != nil {
		return nil, err
	}
	var b *G.Node
	if l.cfg.useBias() {
		if b, err = l.Param(g, "bias", []int{l.filters}, l.cfg.bias()); err != nil {
			return nil, err
		}
	}
	y, err := ops.Conv2DTranspose(x, w, b, o, !g.IsInput(x))
	if err != nil {
		return nil, err
	}
	return ops.Activate(y, l.cfg.act())
}
