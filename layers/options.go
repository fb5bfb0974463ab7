package layers

import (
	"fmt"

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

func (p PaddingMode) String() string {
	if p == Same {
		return "same"
	}
	return "valid"
}

// config holds what the options of all layers can set. Each layer reads
// the fields that apply to it and rejects options that do not.
type config struct {
	strideH, strideW int
	padding          PaddingMode
	activation       string
	kernelInit       graph.Initializer
	biasInit         graph.Initializer
	noBias           bool
	set              []string // names of the options given, for validation
}

// An Option configures a layer, in the style of Gorgonia's NodeConsOpt.
type Option func(*config)

func newConfig(opts []Option) config {
	c := config{kernelInit: graph.GlorotUniform, biasInit: graph.Zeros}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// only returns an error naming the first option given that is not in
// allowed.
func (c config) only(allowed ...string) error {
	for _, s := range c.set {
		ok := false
		for _, a := range allowed {
			ok = ok || s == a
		}
		if !ok {
			return fmt.Errorf("option %s does not apply to this layer", s)
		}
	}
	return nil
}

// Strides sets the step of a convolution or pooling window. The default is
// 1 for convolutions and the pool size for pooling.
func Strides(h, w int) Option {
	return func(c *config) { c.strideH, c.strideW = h, w; c.set = append(c.set, "Strides") }
}

// Padding sets 'valid' (the default) or 'same' zero padding.
func Padding(p PaddingMode) Option {
	return func(c *config) { c.padding = p; c.set = append(c.set, "Padding") }
}

// Activation applies an activation to a Conv2D or Dense layer's output:
// "linear" (the default), "relu", "sigmoid", "tanh" or "softmax".
func Activation(name string) Option {
	return func(c *config) { c.activation = name; c.set = append(c.set, "Activation") }
}

// KernelInitializer sets the initialiser of a layer's kernel (default
// graph.GlorotUniform).
func KernelInitializer(init graph.Initializer) Option {
	return func(c *config) { c.kernelInit = init; c.set = append(c.set, "KernelInitializer") }
}

// BiasInitializer sets the initialiser of a layer's bias (default
// graph.Zeros).
func BiasInitializer(init graph.Initializer) Option {
	return func(c *config) { c.biasInit = init; c.set = append(c.set, "BiasInitializer") }
}

// activationByName maps a Keras activation name to an element-wise
// activation; softmax is reported separately because it works on rows.
func activationByName(name string) (act ops.Activation, softmax bool, err error) {
	switch name {
	case "", "linear":
		return ops.Linear, false, nil
	case "relu":
		return ops.ReLU, false, nil
	case "sigmoid":
		return ops.Sigmoid, false, nil
	case "tanh":
		return ops.Tanh, false, nil
	case "softmax":
		return ops.Linear, true, nil
	}
	return 0, false, fmt.Errorf("unknown activation %q (want linear, relu, sigmoid, tanh or softmax)", name)
}
