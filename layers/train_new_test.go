package layers_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

// TestNewLayersTrain trains, in float32, a small network of every new
// layer to tell bright 8×8 images from dark ones, and checks that it
// learns: the float32 kernels and gradients work in a real training loop.
func TestNewLayersTrain(t *testing.T) {
	m, err := model.NewSequential([]int{1, 8, 8}, []layers.Layer{
		layers.ZeroPadding2D(1, 1, 1, 1),
		layers.Conv2D(4, 3, 3, layers.DilationRate(2, 2), layers.Activation(ops.ReLU)),
		layers.SeparableConv2D(6, 3, 3, layers.Padding(layers.Same), layers.UseBias(false), layers.Activation(ops.ReLU)),
		layers.DepthwiseConv2D(3, 3, layers.DepthMultiplier(2), layers.Strides(2, 2), layers.Padding(layers.Same)),
		layers.LayerNormalization(),
		layers.Conv2DTranspose(4, 3, 3, layers.Strides(2, 2), layers.Padding(layers.Same), layers.Activation(ops.Tanh)),
		layers.UpSampling2D(2, 2, layers.Interpolation(layers.Bilinear)),
		layers.Cropping2D(2, 2, 2, 2),
		layers.Reshape(4, -1),
		layers.Flatten(),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	}, model.Seed(7))
	if err != nil {
		t.Fatalf("%+v", err)
	}
	rng := rand.New(rand.NewPCG(4, 5))
	const n = 128
	ds := &data.Dataset{X: make([]float32, n*64), Labels: make([]int, n), N: n, C: 1, H: 8, W: 8, Classes: 2}
	for i := range n {
		ds.Labels[i] = i % 2
		for j := range 64 {
			ds.X[i*64+j] = 0.5*float32(i%2) + 0.5*rng.Float32()
		}
	}
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-2)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Fit(ds, train.Epochs(6), train.BatchSize(16)); err != nil {
		t.Fatalf("%+v", err)
	}
	p, err := m.Predict(ds.X)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i := range n {
		if (p[2*i+1] > p[2*i]) == (ds.Labels[i] == 1) {
			right++
		}
	}
	if right < n*9/10 {
		t.Fatalf("%d of %d training images right after training", right, n)
	}
}
