package main

import (
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/optimizers"
)

// TestNewNets builds the networks added for depthwise and transposed
// convolutions: their parameter counts must equal those of the PyTorch
// networks of bench/torch_suite.py, and one training step of each on a
// synthetic batch must run, the autoencoder's against its own pixels.
func TestNewNets(t *testing.T) {
	for name, want := range map[string]struct{ params, outputs int }{
		"mobilenet":   {37610, 10},
		"autoencoder": {9697, 784},
	} {
		t.Run(name, func(t *testing.T) {
			spec := nets[name]
			m, err := spec.build()
			if err != nil {
				t.Fatalf("%+v", err)
			}
			if got := m.Params().TrainableCount(); got != want.params {
				t.Fatalf("%d trainable parameters, PyTorch's network has %d", got, want.params)
			}
			if got := m.OutputSize(); got != want.outputs {
				t.Fatalf("%d outputs, want %d", got, want.outputs)
			}
			d := &data.Dataset{X: make([]float32, 4*784), Labels: []int{0, 1, 2, 3}, Y: make([]float32, 4*10), N: 4, C: 1, H: 28, W: 28, Classes: 10}
			for i := range d.X {
				d.X[i] = float32(i%7) / 7
			}
			for i, l := range d.Labels {
				d.Y[i*10+l] = 1
			}
			opts := []train.Option{train.Optimizer(optimizers.Adam(1e-3))}
			if spec.regression {
				d = reconstruction(d)
				opts = append(opts, train.Loss(losses.MSE))
			}
			tr, err := train.New(m, opts...)
			if err != nil {
				t.Fatalf("%+v", err)
			}
			defer tr.Close()
			if _, err := tr.Fit(d, train.Epochs(1), train.BatchSize(4)); err != nil {
				t.Fatalf("%+v", err)
			}
		})
	}
}
