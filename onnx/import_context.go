package onnx

import (
	"encoding/json"
	"slices"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
)

// ImportContext is one layer of a file that Export wrote, as its
// Importer sees it: the nodes Export wrote for it (those whose outputs
// are the layer's name or start with the name and a slash), in order.
type ImportContext struct {
	im    *importer
	nodes []*onnxpb.NodeProto
	// Name is the layer's name, and Type its type.
	Name, Type string
	// Input is the ONNX value the layer's first node that is not a
	// Constant takes first, and InputShape its example shape.
	Input      string
	InputShape []int
	params     map[string][]float32 // the parameters recorded, by local name
	bytes      int                  // their bytes
}

// A Node is an ONNX node as an Importer reads it.
type Node struct {
	Op     string
	Inputs []string
	Output string
	// Attrs are the node's attributes; one of a type that Attr does not
	// hold has a nil Value.
	Attrs []Attr
}

// Attr returns the node's attribute called name and whether it has one.
func (n Node) Attr(name string) (Attr, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// Nodes returns the layer's nodes.
func (c *ImportContext) Nodes() []Node {
	out := make([]Node, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = Node{Op: n.GetOpType(), Inputs: slices.Clone(n.GetInput()), Output: n.GetOutput()[0]}
		for _, a := range n.GetAttribute() {
			out[i].Attrs = append(out[i].Attrs, attrFromProto(a))
		}
	}
	return out
}

// Shape returns the example shape of a value computed by an earlier layer
// or a graph input.
func (c *ImportContext) Shape(value string) ([]int, error) {
	n, err := c.im.value(value)
	if err != nil {
		return nil, err
	}
	return slices.Clone(c.im.shapes[n]), nil
}

// Param records the float32 initializer as the layer's parameter local
// (Name/local), checking that it has the given shape (a negative size
// matches any). Its values count towards MaxParamBytes.
func (c *ImportContext) Param(local, initializer string, shape ...int) error {
	w, err := c.im.param(initializer, shape...)
	if err != nil {
		return err
	}
	if err := countParam(&c.bytes, len(w), "initializer "+initializer); err != nil {
		return err
	}
	if c.im.bytes+c.bytes > MaxParamBytes {
		return errors.Errorf("initializer %s: the parameters exceed %d bytes (onnx.MaxParamBytes); a weight shared by several layers counts once for each", initializer, MaxParamBytes)
	}
	c.params[local] = w
	return nil
}

// Floats returns the values and shape of a float32 initializer, such as
// a constant a node takes.
func (c *ImportContext) Floats(initializer string) ([]float32, []int, error) {
	return c.im.tensor(initializer)
}

// commit adds the parameters the Importer recorded to the model's.
func (c *ImportContext) commit() {
	c.im.bytes += c.bytes
	for local, w := range c.params {
		c.im.weights[c.Name+"/"+local] = w
	}
}

// mainNodes returns the layer's nodes but the Constant nodes of int64
// vectors (Reshape's shape, Pad's pads), which constInts reads.
func (c *ImportContext) mainNodes() []*onnxpb.NodeProto {
	var out []*onnxpb.NodeProto
	for _, n := range c.nodes {
		if n.GetOpType() != "Constant" {
			out = append(out, n)
		}
	}
	return out
}

// constInts returns the int64 vector that a Constant node of the layer
// computes as the value name.
func (c *ImportContext) constInts(name string) ([]int64, error) {
	for _, n := range c.nodes {
		if n.GetOpType() != "Constant" || n.GetOutput()[0] != name {
			continue
		}
		if len(n.GetInput()) != 0 || len(n.GetAttribute()) != 1 || n.GetAttribute()[0].GetName() != "value" || n.GetAttribute()[0].GetT() == nil {
			return nil, errors.Errorf("Constant %q is not one of a tensor value", name)
		}
		t := n.GetAttribute()[0].GetT()
		if len(t.GetDims()) != 1 || t.GetDims()[0] > 64 {
			return nil, errors.Errorf("Constant %q of shape %v is not a short vector", name, t.GetDims())
		}
		k, err := decodeConstant(t)
		if err != nil {
			return nil, err
		}
		if k.ints == nil {
			return nil, errors.Errorf("Constant %q is not of integers", name)
		}
		return k.ints, nil
	}
	return nil, errors.Errorf("%q is computed by no Constant node of the layer", name)
}

// single returns the layer's one node but its Constants, of op type op
// and of the given number of inputs (any if negative).
func (c *ImportContext) single(op string, inputs int) (*onnxpb.NodeProto, error) {
	ns := c.mainNodes()
	if len(ns) != 1 || ns[0].GetOpType() != op {
		return nil, errors.Errorf("%d nodes where %s writes one %s", len(ns), c.Type, op)
	}
	if inputs >= 0 && len(ns[0].GetInput()) != inputs {
		return nil, errors.Errorf("node %q (%s) has %d inputs, want %d", ns[0].GetName(), op, len(ns[0].GetInput()), inputs)
	}
	return ns[0], nil
}

// newLayer makes a layer of type typ from its configuration's fields.
func newLayer(typ string, fields map[string]any) (layers.Layer, error) {
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, errors.WithStack(err)
	}
	return layers.FromConfig(typ, b)
}

// imported returns the result of an Importer: the layer's configuration
// from its fields, and its output's shape.
func imported(fields map[string]any, shape []int) (Imported, error) {
	b, err := json.Marshal(fields)
	return Imported{Config: b, Shape: shape}, errors.WithStack(err)
}
