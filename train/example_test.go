package train_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/optimizers"
)

// A small regression: learn y = 2·a − 3·b + 1 with one Dense unit, the mean
// squared error and SGD with momentum, then predict an unseen point.
func ExampleTrainer_regression() {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 256
	ds := &data.Dataset{N: n, C: 2, H: 1, W: 1, Classes: 1,
		X: make([]float32, 2*n), Y: make([]float32, n), Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		a, b := rng.Float32()*2-1, rng.Float32()*2-1
		ds.X[2*i], ds.X[2*i+1], ds.Y[i] = a, b, 2*a-3*b+1
	}
	m, err := model.NewSequential([]int{2}, []layers.Layer{layers.Dense(1)}, model.Seed(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := train.New(m, train.Loss(losses.MSE), train.Optimizer(optimizers.Momentum(0.05, 0.9, false)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	hist, err := tr.Fit(ds, train.Epochs(30), train.BatchSize(32))
	if err != nil {
		fmt.Println(err)
		return
	}
	y, err := m.Predict([]float32{0.5, -0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("final loss below 1e-4: %v\n", hist.Epochs[len(hist.Epochs)-1].Loss < 1e-4)
	fmt.Printf("f(0.5, -0.5) = %.3f (exact: 3.5)\n", y[0])
	// Output:
	// final loss below 1e-4: true
	// f(0.5, -0.5) = 3.500 (exact: 3.5)
}

// Classification with Keras's recipe, on a few synthetic images: Fit, then
// Evaluate and Predict.
func ExampleTrainer_Fit() {
	m, err := model.NewSequential([]int{1, 8, 8}, []layers.Layer{
		layers.Conv2D(4, 3, 3, layers.Activation(ops.ReLU)),
		layers.MaxPool2D(2, 2),
		layers.Flatten(),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	}, model.Seed(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Class 0: a bright left half; class 1: a bright right half.
	const n = 64
	ds := &data.Dataset{N: n, C: 1, H: 8, W: 8, Classes: 2,
		X: make([]float32, n*64), Y: make([]float32, n*2), Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		c := i % 2
		for y := 0; y < 8; y++ {
			for x := 0; x < 8; x++ {
				if (x < 4) == (c == 0) {
					ds.X[i*64+y*8+x] = 1
				}
			}
		}
		ds.Labels[i], ds.Y[i*2+c] = c, 1
	}
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	if _, err := tr.Fit(ds, train.Epochs(10), train.BatchSize(16)); err != nil {
		fmt.Println(err)
		return
	}
	_, acc, err := tr.Evaluate(ds)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := m.Predict(ds.Image(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("accuracy %.2f; image 1 is class %d\n", acc, model.Argmax(p))
	// Output:
	// accuracy 1.00; image 1 is class 1
}
