package layers

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// A Layer emits the Gorgonia nodes of one step of a model.
//
// Build is called once per graph (a model has one graph per batch size);
// a layer asks g for its parameters by name, so every graph shares them.
// x has a batch axis first. Build must return an error, never panic, when
// x's shape does not suit the layer.
type Layer interface {
	// Type is the layer's kind as Summary shows it, such as "Conv2D".
	Type() string
	// Name is the layer's unique name in its model, such as "conv2d_1".
	Name() string
	// SetName names the layer; a model names unnamed layers Keras-style.
	SetName(string)
	// Build emits the layer's nodes for the input x into g.
	Build(g *graph.Graph, x *G.Node) (*G.Node, error)
}

// named implements the naming half of Layer.
type named struct{ name string }

func (n *named) Name() string       { return n.name }
func (n *named) SetName(can string) { n.name = can }

// activate applies a named activation to x.
func activate(x *G.Node, name string) (*G.Node, error) {
	act, softmax, err := activationByName(name)
	if err != nil {
		return nil, err
	}
	if softmax {
		return ops.Softmax(x)
	}
	return ops.Activate(x, act)
}

// conv2D is a 2-D convolution layer.
type conv2D struct {
	named
	filters, kh, kw int
	cfg             config
}

// Conv2D is a 2-D convolution with the given number of filters of size
// kh×kw, a bias per filter and an optional activation. Options: Strides
// (default 1), Padding, Activation, KernelInitializer, BiasInitializer.
// Its kernel has shape [filters, channels, kh, kw].
func Conv2D(filters, kh, kw int, opts ...Option) Layer {
	return &conv2D{filters: filters, kh: kh, kw: kw, cfg: newConfig(opts)}
}

func (l *conv2D) Type() string { return "Conv2D" }

func (l *conv2D) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only("Strides", "Padding", "Activation", "KernelInitializer", "BiasInitializer"); err != nil {
		return nil, err
	}
	if l.filters <= 0 || l.kh <= 0 || l.kw <= 0 {
		return nil, errors.Errorf("filters %d and kernel %dx%d must be positive", l.filters, l.kh, l.kw)
	}
	s := x.Shape()
	if len(s) != 4 {
		return nil, errors.Errorf("input shape %v is not an image batch [N,C,H,W]", s)
	}
	w, err := g.Param(l.name+"/kernel", []int{l.filters, s[1], l.kh, l.kw}, l.cfg.kernelInit)
	if err != nil {
		return nil, err
	}
	b, err := g.Param(l.name+"/bias", []int{l.filters}, l.cfg.biasInit)
	if err != nil {
		return nil, err
	}
	o := ops.ConvOpts{StrideH: l.cfg.strideH, StrideW: l.cfg.strideW, Same: l.cfg.padding == Same}
	y, err := ops.Conv2D(x, w, b, o, !g.IsInput(x))
	if err != nil {
		return nil, err
	}
	return activate(y, l.cfg.activation)
}

// pool2D is a max or average pooling layer.
type pool2D struct {
	named
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

func (l *pool2D) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only("Strides", "Padding"); err != nil {
		return nil, err
	}
	if l.ph <= 0 || l.pw <= 0 {
		return nil, errors.Errorf("pool size %dx%d must be positive", l.ph, l.pw)
	}
	if s := x.Shape(); len(s) != 4 {
		return nil, errors.Errorf("input shape %v is not an image batch [N,C,H,W]", s)
	}
	o := ops.ConvOpts{StrideH: l.cfg.strideH, StrideW: l.cfg.strideW, Same: l.cfg.padding == Same}
	if o.StrideH == 0 {
		o.StrideH, o.StrideW = l.ph, l.pw
	}
	if l.isMax {
		return ops.MaxPool2D(x, l.ph, l.pw, o)
	}
	return ops.AvgPool2D(x, l.ph, l.pw, o)
}

// dense is a fully-connected layer.
type dense struct {
	named
	units int
	cfg   config
}

// Dense is a fully-connected layer, y = activation(x·W + b), with W of
// shape [inputs, units]. Options: Activation, KernelInitializer,
// BiasInitializer. Its input must be a matrix [N, features]: put a Flatten
// before it after convolutions.
func Dense(units int, opts ...Option) Layer {
	return &dense{units: units, cfg: newConfig(opts)}
}

func (l *dense) Type() string { return "Dense" }

func (l *dense) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only("Activation", "KernelInitializer", "BiasInitializer"); err != nil {
		return nil, err
	}
	if l.units <= 0 {
		return nil, errors.Errorf("units %d must be positive", l.units)
	}
	s := x.Shape()
	if len(s) != 2 {
		return nil, errors.Errorf("input shape %v is not a matrix [N, features]; add a Flatten layer before Dense", s)
	}
	w, err := g.Param(l.name+"/kernel", []int{s[1], l.units}, l.cfg.kernelInit)
	if err != nil {
		return nil, err
	}
	b, err := g.Param(l.name+"/bias", []int{l.units}, l.cfg.biasInit)
	if err != nil {
		return nil, err
	}
	y, err := ops.Affine(x, w, b)
	if err != nil {
		return nil, err
	}
	return activate(y, l.cfg.activation)
}

// flatten turns each example into a vector.
type flatten struct{ named }

// Flatten reshapes [N, C, H, W] (or any [N, ...]) to [N, C·H·W], without
// copying.
func Flatten() Layer { return &flatten{} }

func (l *flatten) Type() string { return "Flatten" }

func (l *flatten) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) { return ops.Flatten(x) }

// activation is a stand-alone activation layer.
type activation struct {
	named
	fn string
}

// ReLU is the layer max(x, 0).
func ReLU() Layer { return &activation{fn: "relu"} }

// Sigmoid is the layer 1/(1+exp(-x)).
func Sigmoid() Layer { return &activation{fn: "sigmoid"} }

// Tanh is the layer tanh(x).
func Tanh() Layer { return &activation{fn: "tanh"} }

// Softmax normalises each row of a matrix [N, K] into probabilities.
func Softmax() Layer { return &activation{fn: "softmax"} }

func (l *activation) Type() string { return "Activation" }

func (l *activation) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) { return activate(x, l.fn) }
