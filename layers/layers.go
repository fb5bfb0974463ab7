package layers

import (
	"encoding/json"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

func init() {
	mustRegister("Conv2D", func(raw json.RawMessage) (Layer, error) {
		var c struct {
			Filters    int   `json:"filters"`
			KernelSize []int `json:"kernel_size"`
			optionsJSON
		}
		opts, err := decodeOptions(raw, &c, &c.optionsJSON)
		if err != nil {
			return nil, err
		}
		if err := checkPair("kernel_size", c.KernelSize); err != nil {
			return nil, err
		}
		return Conv2D(c.Filters, c.KernelSize[0], c.KernelSize[1], opts...), nil
	})
	for _, isMax := range []bool{true, false} {
		mustRegister((&pool2D{isMax: isMax}).Type(), func(raw json.RawMessage) (Layer, error) {
			var c struct {
				PoolSize []int `json:"pool_size"`
				optionsJSON
			}
			opts, err := decodeOptions(raw, &c, &c.optionsJSON)
			if err != nil {
				return nil, err
			}
			if err := checkPair("pool_size", c.PoolSize); err != nil {
				return nil, err
			}
			return &pool2D{isMax: isMax, ph: c.PoolSize[0], pw: c.PoolSize[1], cfg: newConfig(opts)}, nil
		})
	}
	mustRegister("Dense", func(raw json.RawMessage) (Layer, error) {
		var c struct {
			Units int `json:"units"`
			optionsJSON
		}
		opts, err := decodeOptions(raw, &c, &c.optionsJSON)
		if err != nil {
			return nil, err
		}
		return Dense(c.Units, opts...), nil
	})
	mustRegister("Flatten", func(raw json.RawMessage) (Layer, error) {
		return Flatten(), decodeStrict(raw, &struct{}{})
	})
	mustRegister("Activation", func(raw json.RawMessage) (Layer, error) {
		var c struct {
			Activation string   `json:"activation"`
			Alpha      *float64 `json:"alpha,omitempty"`
		}
		if err := decodeStrict(raw, &c); err != nil {
			return nil, err
		}
		a, err := ops.ParseActivation(c.Activation)
		if err != nil {
			return nil, err
		}
		l := &activation{fn: a}
		if c.Alpha != nil {
			if a != ops.LeakyReLU && a != ops.ELU {
				return nil, errors.Errorf("activation %v takes no alpha", a)
			}
			l.alpha = *c.Alpha
		}
		return l, nil
	})
}

// checkPair checks that the field called name of a layer's config holds
// two values, as kernel and pool sizes do (height, width).
func checkPair(name string, v []int) error {
	if len(v) != 2 {
		return errors.Errorf("%s %v: want two values (height, width)", name, v)
	}
	return nil
}

// decodeOptions decodes a layer's config into v, of which opts is the
// options part, and returns the options.
func decodeOptions(raw json.RawMessage, v any, opts *optionsJSON) ([]Option, error) {
	if err := decodeStrict(raw, v); err != nil {
		return nil, err
	}
	return opts.options()
}

// marshal is the Config of a built-in layer.
func marshal(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	return b, errors.WithStack(err)
}

// conv2D is a 2-D convolution layer.
type conv2D struct {
	Base
	filters, kh, kw int
	cfg             config
}

// Conv2D is a 2-D convolution with the given number of filters of size
// kh×kw, a bias per filter (UseBias(false) for none, as before a
// BatchNormalization) and an optional activation. Options: Strides
// (default 1), Padding, DilationRate, UseBias, Activation,
// KernelInitializer, BiasInitializer.
// Its kernel has shape [filters, channels, kh, kw].
func Conv2D(filters, kh, kw int, opts ...Option) Layer {
	return &conv2D{filters: filters, kh: kh, kw: kw, cfg: newConfig(opts)}
}

func (l *conv2D) Type() string { return "Conv2D" }

// Config describes the layer's settings.
func (l *conv2D) Config() (json.RawMessage, error) {
	return filtersConfig(l.filters, l.kh, l.kw, l.cfg)
}

// filterInput checks a convolution's filters and kernel size (a depthwise
// convolution, which has no filters of its own, passes 1) and that its
// input x is an image, and returns x's shape.
func filterInput(filters, kh, kw int, x *G.Node) (tensor.Shape, error) {
	if filters <= 0 || kh <= 0 || kw <= 0 {
		return nil, errors.Errorf("filters %d and kernel %dx%d must be positive", filters, kh, kw)
	}
	s := x.Shape()
	return s, isImage(s)
}

// filtersConfig is the Config of a convolution of filters kh×kw filters:
// {"filters": ..., "kernel_size": [kh, kw], and the options}.
func filtersConfig(filters, kh, kw int, cfg config) (json.RawMessage, error) {
	return marshal(struct {
		Filters    int    `json:"filters"`
		KernelSize [2]int `json:"kernel_size"`
		optionsJSON
	}{filters, [2]int{kh, kw}, cfg.json()})
}

func (l *conv2D) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only(optStrides, optPadding, optActivation, optKernelInit, optBiasInit, optDilationRate, optUseBias); err != nil {
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
	w, err := l.Param(g, "kernel", []int{l.filters, s[1], l.kh, l.kw}, l.cfg.kernel())
	if err != nil {
		return nil, err
	}
	var b *G.Node
	if l.cfg.useBias() {
		if b, err = l.Param(g, "bias", []int{l.filters}, l.cfg.bias()); err != nil {
			return nil, err
		}
	}
	y, err := ops.Conv2D(x, w, b, o, !g.IsInput(x))
	if err != nil {
		return nil, err
	}
	return ops.Activate(y, l.cfg.act())
}

// pool2D is a max or average pooling layer.
type pool2D struct {
	Base
	isMax  bool
	ph, pw int
	cfg    config
}

// MaxPool2D keeps the maximum of each ph×pw window. Options: Strides
// (default: the pool size, so windows do not overlap) and Padding.
func MaxPool2D(ph, pw int, opts ...Option) Layer {
	return &pool2D{isMax: true, ph: ph, pw: pw, cfg: newConfig(opts)}
}

// AvgPool2D averages each ph×pw window. Options: Strides (default: the pool
// size) and Padding; with 'same' padding the padded cells are left out of
// the average.
func AvgPool2D(ph, pw int, opts ...Option) Layer {
	return &pool2D{ph: ph, pw: pw, cfg: newConfig(opts)}
}

func (l *pool2D) Type() string {
	if l.isMax {
		return "MaxPooling2D"
	}
	return "AveragePooling2D"
}

// Config describes the layer's settings.
func (l *pool2D) Config() (json.RawMessage, error) {
	return marshal(struct {
		PoolSize [2]int `json:"pool_size"`
		optionsJSON
	}{[2]int{l.ph, l.pw}, l.cfg.json()})
}

func (l *pool2D) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only(optStrides, optPadding); err != nil {
		return nil, err
	}
	if l.ph <= 0 || l.pw <= 0 {
		return nil, errors.Errorf("pool size %dx%d must be positive", l.ph, l.pw)
	}
	if err := isImage(x.Shape()); err != nil {
		return nil, err
	}
	o := l.cfg.convOpts([2]int{l.ph, l.pw})
	if l.isMax {
		return ops.MaxPool2D(x, l.ph, l.pw, o)
	}
	return ops.AvgPool2D(x, l.ph, l.pw, o)
}

// dense is a fully-connected layer.
type dense struct {
	Base
	units int
	cfg   config
}

// Dense is a fully-connected layer, y = activation(x·W + b), with W of
// shape [inputs, units]. Options: Activation, UseBias, KernelInitializer,
// BiasInitializer. Its input must be a matrix [N, features]: put a Flatten
// before it after convolutions.
func Dense(units int, opts ...Option) Layer {
	return &dense{units: units, cfg: newConfig(opts)}
}

func (l *dense) Type() string { return "Dense" }

// Config describes the layer's settings.
func (l *dense) Config() (json.RawMessage, error) {
	return marshal(struct {
		Units int `json:"units"`
		optionsJSON
	}{l.units, l.cfg.json()})
}

func (l *dense) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only(optActivation, optKernelInit, optBiasInit, optUseBias); err != nil {
		return nil, err
	}
	if l.units <= 0 {
		return nil, errors.Errorf("units %d must be positive", l.units)
	}
	s := x.Shape()
	if len(s) != 2 {
		return nil, errors.Errorf("input shape %v is not a matrix [N, features]; add a Flatten layer before Dense", s)
	}
	w, err := l.Param(g, "kernel", []int{s[1], l.units}, l.cfg.kernel())
	if err != nil {
		return nil, err
	}
	var b *G.Node
	if l.cfg.useBias() {
		if b, err = l.Param(g, "bias", []int{l.units}, l.cfg.bias()); err != nil {
			return nil, err
		}
	}
	y, err := ops.Affine(x, w, b)
	if err != nil {
		return nil, err
	}
	return ops.Activate(y, l.cfg.act())
}

// flatten turns each example into a vector.
type flatten struct{ Base }

// Flatten reshapes [N, C, H, W] (or any [N, ...]) to [N, C·H·W], without
// copying.
func Flatten() Layer { return &flatten{} }

func (l *flatten) Type() string { return "Flatten" }

// Config describes the layer's settings: it has none.
func (l *flatten) Config() (json.RawMessage, error) { return json.RawMessage("{}"), nil }

func (l *flatten) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) { return ops.Flatten(x) }

// activation is a stand-alone activation layer.
type activation struct {
	Base
	fn    ops.Activation
	alpha float64 // LeakyReLU's slope or ELU's alpha; 0 for the default
}

// ReLU is the layer max(x, 0).
func ReLU() Layer { return &activation{fn: ops.ReLU} }

// Sigmoid is the layer 1/(1+exp(-x)).
func Sigmoid() Layer { return &activation{fn: ops.Sigmoid} }

// Tanh is the layer tanh(x).
func Tanh() Layer { return &activation{fn: ops.Tanh} }

// Softmax normalises each row of a matrix [N, K] into probabilities.
func Softmax() Layer { return &activation{fn: ops.Softmax} }

// LeakyReLU is the layer x for x > 0 and alpha·x otherwise; alpha must be
// positive (Keras's layer defaults to 0.3).
func LeakyReLU(alpha float64) Layer { return &activation{fn: ops.LeakyReLU, alpha: alpha} }

// ELU is the layer x for x > 0 and alpha·(eˣ − 1) otherwise; alpha must be
// positive (Keras's default is 1).
func ELU(alpha float64) Layer { return &activation{fn: ops.ELU, alpha: alpha} }

// GELU is the layer x·Φ(x), Φ the standard normal distribution function.
func GELU() Layer { return &activation{fn: ops.GELU} }

func (l *activation) Type() string { return "Activation" }

// Config describes the layer's settings: its activation and alpha.
func (l *activation) Config() (json.RawMessage, error) {
	var alpha *float64
	if l.alpha != 0 {
		alpha = &l.alpha
	}
	return marshal(struct {
		Activation string   `json:"activation"`
		Alpha      *float64 `json:"alpha,omitempty"`
	}{l.fn.String(), alpha})
}

func (l *activation) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	if l.alpha == 0 {
		return ops.Activate(x, l.fn)
	}
	return ops.ActivateAlpha(x, l.fn, l.alpha)
}
