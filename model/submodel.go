package model

import (
	"slices"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/layers"
)

// Layer returns the model's layer called name, as Keras's get_layer does.
// An unknown name is an error that lists the model's layers.
func (m *Model) Layer(name string) (layers.Layer, error) {
	n, err := m.node(name)
	if err != nil {
		return nil, err
	}
	return n.layer, nil
}

// Inputs returns the model's input nodes, in order, for making another
// model from the same inputs (see Output).
func (m *Model) Inputs() []*Node { return append([]*Node(nil), m.inputs...) }

// Output returns the symbolic output of the layer called name, as
// model.get_layer(name).output does in Keras: apply new layers to it
// (Apply) and pass it to New with Inputs to make a model that shares this
// model's weights up to that layer, such as a new head on a loaded model:
//
//	x, err := m.Output("flatten_1")
//	out := model.Apply(layers.Dense(5, layers.Activation(ops.Softmax)), x)
//	head, err := model.New(m.Inputs(), []*model.Node{out})
//
// The new layers take names that no layer of m has, used or not (New). An
// unknown name is an error.
func (m *Model) Output(name string) (*Node, error) {
	return m.node(name)
}

// SubModel returns a model from m's inputs to the outputs of the named
// layers, as keras.Model(m.input, [m.get_layer(n).output ...]) does: it
// computes the features of any layer, such as an embedding before the
// classifier. It shares m's weights (training either changes both; no
// value is copied) and their frozen flags, and has graph pools of its
// own, so its Predict is safe for concurrent use and bounded as m's is,
// also while m predicts. It keeps m's MaxBatch and MaxConcurrent, and m's
// class names when its outputs are m's. Saved (Save), it holds only its
// own layers' weights.
func (m *Model) SubModel(outputs ...string) (*Model, error) {
	if len(outputs) == 0 {
		return nil, errors.New("model: sub-model: no output named")
	}
	outs := make([]*Node, len(outputs))
	for i, name := range outputs {
		n, err := m.node(name)
		if err != nil {
			return nil, errors.Wrap(err, "model: sub-model")
		}
		outs[i] = n
	}
	opts := []Option{Seed(m.params.Seed()), MaxBatch(m.cfg.maxBatch), MaxConcurrent(m.cfg.maxConcurrent)}
	if m.params.Dtype() == tensor.Float64 {
		opts = append(opts, Float64())
	}
	if slices.Equal(outs, m.outputs) && len(m.classes) > 0 {
		opts = append(opts, ClassNames(m.classes...))
	}
	sub, err := New(m.inputs, outs, opts...)
	if err != nil {
		return nil, errors.Wrapf(err, "model: sub-model to %v", outputs)
	}
	sub.sequential = m.sequential
	return sub, nil
}
