package layers

import (
	"encoding/json"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

func init() {
	for _, k := range []ops.MergeKind{ops.MergeAdd, ops.MergeMultiply, ops.MergeConcat} {
		mustRegister(k.String(), func(raw json.RawMessage) (Layer, error) {
			return &mergeLayer{kind: k}, decodeStrict(raw, &struct{}{})
		})
	}
}

// mergeLayer combines several inputs into one.
type mergeLayer struct {
	Base
	kind ops.MergeKind
}

// Add sums two or more inputs of one shape, element by element, as in a
// residual connection.
func Add() MultiInput { return &mergeLayer{kind: ops.MergeAdd} }

// Multiply multiplies two or more inputs of one shape, element by element.
func Multiply() MultiInput { return &mergeLayer{kind: ops.MergeMultiply} }

// Concatenate joins two or more inputs [N, C_i, ...] along the channel
// axis into [N, ΣC_i, ...]; all other axes must agree. (Keras, being
// channels-last, concatenates on its last axis: the same axis.)
func Concatenate() MultiInput { return &mergeLayer{kind: ops.MergeConcat} }

func (l *mergeLayer) Type() string { return l.kind.String() }

// Config describes the layer's settings: it has none.
func (l *mergeLayer) Config() (json.RawMessage, error) { return json.RawMessage("{}"), nil }

// Build is an error: a merge needs at least two inputs.
func (l *mergeLayer) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	return nil, errors.Errorf("%s needs at least 2 inputs, got 1", l.Type())
}

// BuildMulti merges xs.
func (l *mergeLayer) BuildMulti(_ *graph.Graph, xs []*G.Node) (*G.Node, error) {
	return ops.Merge(l.kind, xs...)
}
