package losses_test

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
)

// A loss of one's own, as Keras's loss=fn: the mean absolute error of
// each example written with Gorgonia's operations. The trainer weighs the
// examples and takes the mean over the batch; Gorgonia differentiates it.
// A metric of the model's own (the mean squared error) is recorded by name.
func ExampleFunc() {
	meanAbs := func(pred, target *G.Node) (*G.Node, error) {
		d, err := G.Sub(pred, target)
		if err != nil {
			return nil, err
		}
		a, err := G.Abs(d)
		if err != nil {
			return nil, err
		}
		return G.Mean(a, 1) // [N, K] → [N]: one loss per example
	}

	rng := rand.New(rand.NewPCG(3, 4))
	ds := &data.Dataset{X: make([]float32, 2*256), Y: make([]float32, 256), N: 256, C: 1, H: 1, W: 2, Classes: 1}
	for i := 0; i < ds.N; i++ {
		a, b := rng.Float32()*2-1, rng.Float32()*2-1
		ds.X[2*i], ds.X[2*i+1], ds.Y[i] = a, b, 3*a-b
	}
	m, err := model.NewSequential([]int{2}, []layers.Layer{layers.Dense(1)}, model.Seed(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := train.New(m, train.Loss(losses.Named("mean_abs", meanAbs)),
		train.Metrics(metrics.NewMeanSquaredError()), train.Optimizer(optimizers.Adam(0.05)))
	if err != nil {
		fmt.Println(err)
		return
	}
	hist, err := tr.Fit(ds, train.Epochs(30), train.BatchSize(32))
	if err != nil {
		fmt.Println(err)
		return
	}
	first, last := hist.Epochs[0], hist.Epochs[len(hist.Epochs)-1]
	fmt.Println("loss:", tr.Loss(), "- metrics:", hist.Names())
	fmt.Println("loss fell tenfold:", last.Loss < first.Loss/10, "- mse below 0.01:", last.Metrics["mse"] < 0.01)
	p, err := m.Predict([]float32{0.5, 0.5, 1, 0})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("predictions for (0.5, 0.5) and (1, 0): %.1f %.1f\n", p[0], p[1])
	// Output:
	// loss: mean_abs - metrics: [mse]
	// loss fell tenfold: true - mse below 0.01: true
	// predictions for (0.5, 0.5) and (1, 0): 1.0 3.0
}
