// Command customserve is cmd/serve for models with a layer of one's own:
// it registers the layer type Swish, x·sigmoid(x), so that model files
// holding it load, and hands the command line to demo.Main (package
// serve/demo, which is cmd/serve).
//
//	go run ./examples/customserve -model model.gocnn -addr 127.0.0.1:8080
//
// Its flags and exit status are cmd/serve's. The test trains a small
// model with a Swish layer, saves it and serves it with this command.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/serve/demo"
)

// Swish is the activation x·sigmoid(x), a layer with no parameters.
type Swish struct{ layers.Base }

// Type names the layer in model files.
func (l *Swish) Type() string { return "Swish" }

// Config records the layer's settings in model files: it has none.
func (l *Swish) Config() (json.RawMessage, error) { return json.RawMessage("{}"), nil }

// Build computes x·sigmoid(x) with Gorgonia's ops.
func (l *Swish) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	s, err := G.Sigmoid(x)
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(x, s)
}

// register makes Swish known to model.Load.
func register() error {
	return layers.Register("Swish", func(json.RawMessage) (layers.Layer, error) { return &Swish{}, nil })
}

func main() {
	if err := register(); err != nil {
		fmt.Fprintln(os.Stderr, "customserve:", err)
		os.Exit(1)
	}
	os.Exit(demo.Main(os.Args[1:]))
}
