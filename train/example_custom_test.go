package train_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/optimizers"
)

// scale is a layer of one's own, written with plain Gorgonia ops: it
// multiplies each of its 3 features by a learned weight.
type scale struct{ layers.Base }

func (l *scale) Type() string { return "Scale" }

// Config lets model files record the layer (it has no settings).
func (l *scale) Config() (json.RawMessage, error) { return json.RawMessage("{}"), nil }

func (l *scale) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	w, err := l.Param(g, "w", []int{3}, graph.Constant(1))
	if err != nil {
		return nil, err
	}
	return G.BroadcastHadamardProd(x, w, nil, []byte{0})
}

// A custom layer trained by Fit: it learns to multiply its features by 2,
// -1 and 0.5.
func Example_customLayer() {
	// Registering the layer lets model.Load rebuild models that use it.
	layers.Register("Scale", func(json.RawMessage) (layers.Layer, error) { return &scale{}, nil })

	rng := rand.New(rand.NewPCG(1, 2))
	ds := &data.Dataset{X: make([]float32, 3*256), Y: make([]float32, 3*256), N: 256, C: 1, H: 1, W: 3, Classes: 3}
	for i, want := 0, []float32{2, -1, 0.5}; i < len(ds.X); i++ {
		ds.X[i] = rng.Float32()*2 - 1
		ds.Y[i] = want[i%3] * ds.X[i]
	}
	m, err := model.NewSequential([]int{3}, []layers.Layer{&scale{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := train.New(m, train.Loss(losses.MSE), train.Optimizer(optimizers.Adam(0.05)))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := tr.Fit(ds, train.Epochs(20), train.BatchSize(32)); err != nil {
		fmt.Println(err)
		return
	}
	w := m.Params().Lookup("scale_1/w").Value.Float32s()
	fmt.Printf("learned weights: %.2f %.2f %.2f\n", w[0], w[1], w[2])
	// Output:
	// learned weights: 2.00 -1.00 0.50
}
