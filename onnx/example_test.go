package onnx_test

import (
	"bytes"
	"encoding/json"
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx"
	"github.com/pkg/errors"
)

// double is a layer of one's own: y = 2·x.
type double struct{ layers.Base }

func (l *double) Type() string                     { return "Double" }
func (l *double) Config() (json.RawMessage, error) { return json.RawMessage("{}"), nil }
func (l *double) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	return G.Add(x, x)
}

// A custom layer gets an ONNX form by registering an Exporter for its
// type, and, to be read back, an Importer.
func ExampleRegisterLayer() {
	layers.Register("Double", func(json.RawMessage) (layers.Layer, error) { return &double{}, nil })
	onnx.RegisterLayer("Double", func(c *onnx.ExportContext) error {
		two := c.Floats("two", nil, []float32{2}) // a scalar initializer
		c.Node("Mul", []string{c.Inputs[0], two}, c.Output)
		return nil
	})
	onnx.RegisterImporter("Double", func(c *onnx.ImportContext) (onnx.Imported, error) {
		ns := c.Nodes()
		if len(ns) != 1 || ns[0].Op != "Mul" {
			return onnx.Imported{}, errors.Errorf("%d nodes where Double writes one Mul", len(ns))
		}
		return onnx.Imported{Config: json.RawMessage("{}"), Shape: c.InputShape}, nil
	})

	m, err := model.NewSequential([]int{3}, []layers.Layer{&double{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var file bytes.Buffer
	if err := onnx.Export(m, &file); err != nil {
		fmt.Println(err)
		return
	}
	back, err := onnx.Import(&file)
	if err != nil {
		fmt.Println(err)
		return
	}
	y, err := back.Predict([]float32{1, 2, 3})
	fmt.Println(back.Layers()[0].Type(), y, err)
	// Output:
	// Double [2 4 6] <nil>
}
