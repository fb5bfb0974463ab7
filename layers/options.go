package layers

import (
	"math"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// PaddingMode says whether a window stays inside its input (Valid) or the
// input is zero-padded so that the output is ceil(input/stride) (Same).
type PaddingMode int

// The padding modes, as Keras names them.
const (
	Valid PaddingMode = iota
	Same
)

// String returns Keras's name of the mode: "valid" or "same".
func (p PaddingMode) String() string {
	if p == Same {
		return "same"
	}
	return "valid"
}

func parsePadding(s string) (PaddingMode, error) {
	for _, p := range []PaddingMode{Valid, Same} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, errors.Errorf("unknown padding %q (want valid or same)", s)
}

// config holds what the options of all layers can set; a nil field was not
// set. Each layer reads the fields that apply to it and rejects options
// that do not.
type config struct {
	strides    *[2]int
	padding    *PaddingMode
	activation *ops.Activation
	kernelInit graph.Initializer
	biasInit   graph.Initializer
	freezeMask bool
	momentum   *float64
	epsilon    *float64
	ext        extConfig // the options of options_ext.go
	err        error     // the first invalid option
}

// An Option configures a layer, in the style of Gorgonia's NodeConsOpt.
type Option func(*config)

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// Option names, for errors and checks.
const (
	optStrides    = "Strides"
	optPadding    = "Padding"
	optActivation = "Activation"
	optKernelInit = "KernelInitializer"
	optBiasInit   = "BiasInitializer"
	optFreezeMask = "FreezeMask"
	optMomentum   = "Momentum"
	optEpsilon    = "Epsilon"
)

// given returns the names of the options that were given.
func (c config) given() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(c.strides != nil, optStrides)
	add(c.padding != nil, optPadding)
	add(c.activation != nil, optActivation)
	add(c.kernelInit != nil, optKernelInit)
	add(c.biasInit != nil, optBiasInit)
	add(c.freezeMask, optFreezeMask)
	add(c.momentum != nil, optMomentum)
	add(c.epsilon != nil, optEpsilon)
	return append(out, c.ext.given()...)
}

// only returns an error for an invalid option or one given that is not in
// allowed.
func (c config) only(allowed ...string) error {
	if c.err != nil {
		return c.err
	}
	for _, s := range c.given() {
		ok := false
		for _, a := range allowed {
			ok = ok || s == a
		}
		if !ok {
			return errors.Errorf("option %s does not apply to this layer", s)
		}
	}
	return nil
}

func (c config) act() ops.Activation {
	if c.activation == nil {
		return ops.Linear
	}
	return *c.activation
}

func (c config) pad() PaddingMode {
	if c.padding == nil {
		return Valid
	}
	return *c.padding
}

// convOpts returns the window options; def is the stride when Strides was
// not given.
func (c config) convOpts(def [2]int) ops.ConvOpts {
	s := def
	if c.strides != nil {
		s = *c.strides
	}
	return ops.ConvOpts{StrideH: s[0], StrideW: s[1], Same: c.pad() == Same}
}

func (c config) kernel() graph.Initializer {
	if c.kernelInit == nil {
		return graph.GlorotUniform
	}
	return c.kernelInit
}

func (c config) bias() graph.Initializer {
	if c.biasInit == nil {
		return graph.Zeros
	}
	return c.biasInit
}

// Strides sets the step of a convolution or pooling window. The default is
// 1 for convolutions and the pool size for pooling. Both steps must be
// positive.
func Strides(h, w int) Option {
	return func(c *config) {
		if h <= 0 || w <= 0 {
			c.fail(errors.Errorf("Strides(%d, %d): strides must be positive", h, w))
			return
		}
		c.strides = &[2]int{h, w}
	}
}

// Padding sets 'valid' (the default) or 'same' zero padding.
func Padding(p PaddingMode) Option {
	return func(c *config) {
		if p != Valid && p != Same {
			c.fail(errors.Errorf("Padding(%d): unknown padding mode", int(p)))
			return
		}
		c.padding = &p
	}
}

// Activation applies an activation to a Conv2D or Dense layer's output
// (default ops.Linear, none), LeakyReLU and ELU with their default
// parameters (the LeakyReLU and ELU layers take others).
func Activation(a ops.Activation) Option {
	return func(c *config) {
		if a < ops.Linear || a > ops.GELU {
			c.fail(errors.Errorf("Activation(%d): unknown activation", int(a)))
			return
		}
		c.activation = &a
	}
}

// KernelInitializer sets the initialiser of a layer's kernel (default
// graph.GlorotUniform).
func KernelInitializer(init graph.Initializer) Option {
	return func(c *config) {
		if init == nil {
			c.fail(errors.New("KernelInitializer(nil)"))
			return
		}
		c.kernelInit = init
	}
}

// BiasInitializer sets the initialiser of a layer's bias (default
// graph.Zeros).
func BiasInitializer(init graph.Initializer) Option {
	return func(c *config) {
		if init == nil {
			c.fail(errors.New("BiasInitializer(nil)"))
			return
		}
		c.biasInit = init
	}
}

// Momentum sets the weight of the old running statistics in each update
// of a BatchNormalization layer (default 0.99); it must be in [0, 1).
func Momentum(m float64) Option {
	return func(c *config) {
		if !(m >= 0 && m < 1) {
			c.fail(errors.Errorf("Momentum(%v): must be in [0, 1)", m))
			return
		}
		c.momentum = &m
	}
}

// Epsilon sets what a BatchNormalization or LayerNormalization layer adds
// to the variance (default 1e-3); it must be positive.
func Epsilon(e float64) Option {
	return func(c *config) {
		if !(e > 0) || math.IsInf(e, 1) {
			c.fail(errors.Errorf("Epsilon(%v): must be positive", e))
			return
		}
		c.epsilon = &e
	}
}

func (c *config) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// optionsJSON is how a model file records the options that were given.
type optionsJSON struct {
	Strides           []int           `json:"strides,omitempty"`
	Padding           string          `json:"padding,omitempty"`
	Activation        string          `json:"activation,omitempty"`
	KernelInitializer *graph.InitSpec `json:"kernel_initializer,omitempty"`
	BiasInitializer   *graph.InitSpec `json:"bias_initializer,omitempty"`
	FreezeMask        bool            `json:"freeze_mask,omitempty"`
	Momentum          *float64        `json:"momentum,omitempty"`
	Epsilon           *float64        `json:"epsilon,omitempty"`
	extOptionsJSON
}

// json records the options that were given.
func (c config) json() optionsJSON {
	var o optionsJSON
	if c.strides != nil {
		o.Strides = c.strides[:]
	}
	if c.padding != nil {
		o.Padding = c.padding.String()
	}
	if c.activation != nil {
		o.Activation = c.activation.String()
	}
	if c.kernelInit != nil {
		s := c.kernelInit.Spec()
		o.KernelInitializer = &s
	}
	if c.biasInit != nil {
		s := c.biasInit.Spec()
		o.BiasInitializer = &s
	}
	o.FreezeMask = c.freezeMask
	o.Momentum, o.Epsilon = c.momentum, c.epsilon
	o.extOptionsJSON = c.ext.json()
	return o
}

// options turns recorded options back into Options.
func (o optionsJSON) options() ([]Option, error) {
	var out []Option
	if o.Strides != nil {
		if len(o.Strides) != 2 {
			return nil, errors.Errorf("strides %v: want two values (height, width)", o.Strides)
		}
		out = append(out, Strides(o.Strides[0], o.Strides[1]))
	}
	if o.Padding != "" {
		p, err := parsePadding(o.Padding)
		if err != nil {
			return nil, err
		}
		out = append(out, Padding(p))
	}
	if o.Activation != "" {
		a, err := ops.ParseActivation(o.Activation)
		if err != nil {
			return nil, err
		}
		out = append(out, Activation(a))
	}
	for _, s := range []struct {
		spec *graph.InitSpec
		opt  func(graph.Initializer) Option
	}{{o.KernelInitializer, KernelInitializer}, {o.BiasInitializer, BiasInitializer}} {
		if s.spec == nil {
			continue
		}
		init, err := graph.InitializerFromSpec(*s.spec)
		if err != nil {
			return nil, err
		}
		out = append(out, s.opt(init))
	}
	if o.FreezeMask {
		out = append(out, FreezeMask())
	}
	if o.Momentum != nil {
		out = append(out, Momentum(*o.Momentum))
	}
	if o.Epsilon != nil {
		out = append(out, Epsilon(*o.Epsilon))
	}
	ext, err := o.extOptionsJSON.options()
	return append(out, ext...), err
}
