package layers

import (
	"encoding/json"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

func init() {
	mustRegister("BatchNormalization", func(raw json.RawMessage) (Layer, error) {
		var c struct{ optionsJSON }
		opts, err := decodeOptions(raw, &c, &c.optionsJSON)
		if err != nil {
			return nil, err
		}
		return BatchNormalization(opts...), nil
	})
	for _, isMax := range []bool{true, false} {
		mustRegister((&globalPool{isMax: isMax}).Type(), func(raw json.RawMessage) (Layer, error) {
			return &globalPool{isMax: isMax}, decodeStrict(raw, &struct{}{})
		})
	}
}

// The defaults of BatchNormalization, as Keras's.
const (
	DefaultBNMomentum = 0.99
	DefaultBNEpsilon  = 1e-3
)

// batchNorm is a batch normalisation layer.
type batchNorm struct {
	Base
	cfg config
}

// BatchNormalization normalises each channel of its input (the channels of
// an image batch [N, C, H, W], the features of a matrix [N, F]) and scales
// and shifts it by a learned gamma and beta, as Keras's layer does. In
// training graphs it uses the batch's statistics and updates the running
// mean and variance, which are non-trainable parameters (moving_mean,
// moving_variance): saved with the weights, shared by every batch size and
// never touched by an optimiser. In inference it uses them, so a
// prediction does not depend on the rest of its batch. A frozen layer
// (model.Model.SetTrainable, graph.Graph.Frozen) runs as in inference in
// training graphs too, as Keras's does since 2.1: it normalises with its
// running statistics and leaves them as they are. Options: Momentum
// (default 0.99) and Epsilon (default 1e-3); a graph's StatsMomentum
// overrides the momentum (train.PreciseBN recomputes the statistics so).
func BatchNormalization(opts ...Option) Layer { return &batchNorm{cfg: newConfig(opts)} }

func (l *batchNorm) Type() string { return "BatchNormalization" }

// Config describes the layer's settings.
func (l *batchNorm) Config() (json.RawMessage, error) {
	return marshal(struct{ optionsJSON }{l.cfg.json()})
}

func (l *batchNorm) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only(optMomentum, optEpsilon); err != nil {
		return nil, err
	}
	s := x.Shape()
	if len(s) < 2 {
		return nil, errors.Errorf("input shape %v has no channel axis", s)
	}
	c := []int{s[1]}
	gamma, err := l.Param(g, "gamma", c, graph.Ones)
	if err != nil {
		return nil, err
	}
	beta, err := l.Param(g, "beta", c, graph.Zeros)
	if err != nil {
		return nil, err
	}
	mean, err := l.State(g, "moving_mean", c, graph.Zeros)
	if err != nil {
		return nil, err
	}
	variance, err := l.State(g, "moving_variance", c, graph.Ones)
	if err != nil {
		return nil, err
	}
	o := ops.BatchNormOpts{Training: g.Training() && !g.Frozen(), Momentum: DefaultBNMomentum, Epsilon: DefaultBNEpsilon}
	if l.cfg.momentum != nil {
		o.Momentum = *l.cfg.momentum
	}
	if l.cfg.epsilon != nil {
		o.Epsilon = *l.cfg.epsilon
	}
	if m, ok := g.StatsMomentum(); ok {
		o.Momentum = m
	}
	return ops.BatchNorm(x, gamma, beta, mean, variance, o)
}

// globalPool averages or takes the maximum of each channel of an image.
type globalPool struct {
	Base
	isMax bool
}

// GlobalAveragePooling2D averages each channel of an image batch
// [N, C, H, W] into a matrix [N, C].
func GlobalAveragePooling2D() Layer { return &globalPool{} }

// GlobalMaxPooling2D keeps the largest value of each channel of an image
// batch [N, C, H, W], giving a matrix [N, C].
func GlobalMaxPooling2D() Layer { return &globalPool{isMax: true} }

func (l *globalPool) Type() string {
	if l.isMax {
		return "GlobalMaxPooling2D"
	}
	return "GlobalAveragePooling2D"
}

// Config describes the layer's settings: it has none.
func (l *globalPool) Config() (json.RawMessage, error) { return json.RawMessage("{}"), nil }

func (l *globalPool) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if err := isImage(s); err != nil {
		return nil, err
	}
	o := ops.ConvOpts{StrideH: s[2], StrideW: s[3]}
	var y *G.Node
	var err error
	if l.isMax {
		y, err = ops.MaxPool2D(x, s[2], s[3], o)
	} else {
		y, err = ops.AvgPool2D(x, s[2], s[3], o)
	}
	if err != nil {
		return nil, err
	}
	return ops.Flatten(y)
}

func init() {
	mustRegister("LayerNormalization", func(raw json.RawMessage) (Layer, error) {
		var c struct{ optionsJSON }
		opts, err := decodeOptions(raw, &c, &c.optionsJSON)
		if err != nil {
			return nil, err
		}
		return LayerNormalization(opts...), nil
	})
}

// DefaultLNEpsilon is LayerNormalization's default epsilon, as Keras's.
const DefaultLNEpsilon = 1e-3

// layerNorm is a layer normalisation layer.
type layerNorm struct {
	Base
	cfg config
}

// LayerNormalization normalises each example on its own, as Keras's layer
// does: the mean and variance are taken over the normalised axes of one
// example at one position of the other axes, the same in training and
// inference, and the result is scaled and shifted by a learned gamma and
// beta with one value per normalised feature (shape: the input's sizes
// along the normalised axes).
//
// By default it normalises over the channel axis, axis 1: the features of
// a matrix [N, F], and, for an image batch [N, C, H, W], the channels at
// each pixel. That is what Keras's default axis=-1 does on its
// channels-last images. NormAxes sets other axes: NormAxes(1, 2, 3)
// normalises each image over all its values, with a gamma and beta of
// shape [C, H, W]. Options: NormAxes and Epsilon (default 1e-3).
func LayerNormalization(opts ...Option) Layer { return &layerNorm{cfg: newConfig(opts)} }

func (l *layerNorm) Type() string { return "LayerNormalization" }

// Config describes the layer's settings.
func (l *layerNorm) Config() (json.RawMessage, error) {
	return marshal(struct{ optionsJSON }{l.cfg.json()})
}

func (l *layerNorm) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only(optNormAxes, optEpsilon); err != nil {
		return nil, err
	}
	s := x.Shape()
	if len(s) < 2 {
		return nil, errors.Errorf("input shape %v has no example axes", s)
	}
	axes := l.cfg.ext.normAxes
	if axes == nil {
		axes = []int{1}
	}
	var ps []int
	for _, a := range axes {
		if a >= len(s) {
			return nil, errors.Errorf("axis %d of NormAxes%v is not an axis of input shape %v", a, axes, s)
		}
		ps = append(ps, s[a])
	}
	gamma, err := l.Param(g, "gamma", ps, graph.Ones)
	if err != nil {
		return nil, err
	}
	beta, err := l.Param(g, "beta", ps, graph.Zeros)
	if err != nil {
		return nil, err
	}
	eps := DefaultLNEpsilon
	if l.cfg.epsilon != nil {
		eps = *l.cfg.epsilon
	}
	return ops.LayerNorm(x, gamma, beta, axes, eps)
}
