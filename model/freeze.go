package model

import (
	"strings"

	"github.com/pkg/errors"
)

// node returns the layer node called name, or an error that lists the
// model's layers.
func (m *Model) node(name string) (*Node, error) {
	for _, n := range m.nodes {
		if m.names[n] == name {
			return n, nil
		}
	}
	names := make([]string, len(m.nodes))
	for i, n := range m.nodes {
		names[i] = m.names[n]
	}
	return nil, errors.Errorf("model: no layer %q (the layers are %s)", name, strings.Join(names, ", "))
}

// SetTrainable freezes (trainable false) or unfreezes (true) the named
// layers, or every layer when no name is given, as setting a Keras layer's
// trainable attribute does. A frozen layer's weights get no gradient and
// no update, an optimiser keeps no state for them, Summary counts them as
// non-trainable, and a frozen BatchNormalization runs as in inference even
// while training: it normalises with its moving mean and variance and
// leaves them as they are. Model files (Save) and training checkpoints
// record which layers are frozen. A Trainer notices a change between two
// calls of Fit and rebuilds its graphs.
//
// An unknown name is an error, and then nothing changes. The frozen flag
// belongs to the layer: every model made from it (SubModel, a new head on
// the model's Outputs) sees the same. SetTrainable must not run
// concurrently with Predict or training of any of those models.
func (m *Model) SetTrainable(trainable bool, layerNames ...string) error {
	nodes := m.nodes
	if len(layerNames) > 0 {
		nodes = nil
		for _, name := range layerNames {
			n, err := m.node(name)
			if err != nil {
				return errors.Wrap(err, "model: set trainable")
			}
			nodes = append(nodes, n)
		}
	}
	for _, n := range nodes {
		n.frozen = !trainable
		prefix := m.names[n] + "/"
		for _, q := range m.params.List() {
			if strings.HasPrefix(q.Name, prefix) {
				q.Frozen = !trainable
			}
		}
	}
	return nil
}

// Trainable reports whether the named layer is trainable (not frozen by
// SetTrainable). An unknown name is an error. It is safe for concurrent
// use with Predict, not with SetTrainable.
func (m *Model) Trainable(layerName string) (bool, error) {
	n, err := m.node(layerName)
	if err != nil {
		return false, err
	}
	return !n.frozen, nil
}

// FrozenLayers returns the names of the frozen layers (SetTrainable) in
// build order, or nil if none is. It is safe for concurrent use with
// Predict, not with SetTrainable.
func (m *Model) FrozenLayers() []string {
	var out []string
	for _, n := range m.nodes {
		if n.frozen {
			out = append(out, m.names[n])
		}
	}
	return out
}
