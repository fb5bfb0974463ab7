package train_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/optimizers"
)

// twoInputData makes n examples of an 8×8 image followed by a 3-vector;
// the class is 1 when the image is bright and the vector's first value is
// positive, or the image is dark and it is not: neither input alone tells.
func twoInputData(n int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	const size = 64 + 3
	ds := &data.Dataset{X: make([]float32, n*size), Labels: make([]int, n), N: n, C: 1, H: 1, W: size, Classes: 2}
	for i := 0; i < n; i++ {
		x := ds.X[i*size : (i+1)*size]
		bright := rng.IntN(2) == 1
		for j := 0; j < 64; j++ {
			x[j] = rng.Float32() * 0.5
			if bright {
				x[j] += 0.5
			}
		}
		for j := 64; j < size; j++ {
			x[j] = rng.Float32()*2 - 1
		}
		if bright == (x[64] > 0) {
			ds.Labels[i] = 1
		}
	}
	return ds
}

// TestFitTwoInputs trains a model of two inputs, an image and a vector,
// with Fit: it must learn what neither input tells alone.
func TestFitTwoInputs(t *testing.T) {
	img, vec := model.Input(1, 8, 8), model.Input(3)
	a := model.Apply(layers.Flatten(), model.Apply(layers.Conv2D(4, 3, 3, layers.Activation(ops.ReLU)), img))
	b := model.Apply(layers.Dense(8, layers.Activation(ops.Tanh)), vec)
	x := model.Apply(layers.Concatenate(), a, b)
	x = model.Apply(layers.Dense(16, layers.Activation(ops.ReLU)), x)
	out := model.Apply(layers.Dense(2, layers.Activation(ops.Softmax)), x)
	m, err := model.New([]*model.Node{img, vec}, []*model.Node{out}, model.Seed(2))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(3e-3)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	trainSet, test := twoInputData(1000, 1), twoInputData(300, 2)
	hist, err := tr.Fit(trainSet, train.Epochs(15), train.BatchSize(32), train.Validation(test))
	if err != nil {
		t.Fatal(err)
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	t.Logf("two inputs: loss %.4f acc %.4f, val_acc %.4f", last.Loss, last.Acc, last.ValAcc)
	if last.ValAcc < 0.9 {
		t.Fatalf("validation accuracy %.4f after 15 epochs; want at least 0.9", last.ValAcc)
	}
}

// TestFitTwoOutputs trains a model of two outputs with the sum of their
// losses, targets laid out one output after the other.
func TestFitTwoOutputs(t *testing.T) {
	in := model.Input(4)
	h := model.Apply(layers.Dense(8, layers.Activation(ops.Tanh)), in)
	sum := model.Apply(layers.Dense(1), h)
	diff := model.Apply(layers.Dense(1), h)
	m, err := model.New([]*model.Node{in}, []*model.Node{sum, diff}, model.Seed(4))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	n := 400
	ds := &data.Dataset{X: make([]float32, n*4), Y: make([]float32, n*2), N: n, C: 1, H: 1, W: 4, Classes: 2}
	for i := 0; i < n; i++ {
		x := ds.X[i*4 : (i+1)*4]
		for j := range x {
			x[j] = rng.Float32()*2 - 1
		}
		ds.Y[2*i] = (x[0] + x[1]) / 2
		ds.Y[2*i+1] = (x[2] - x[3]) / 2
	}
	tr, err := train.New(m, train.Loss(losses.MSE), train.Optimizer(optimizers.Adam(1e-2)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist, err := tr.Fit(ds, train.Epochs(30), train.BatchSize(32))
	if err != nil {
		t.Fatal(err)
	}
	first, last := hist.Epochs[0].Loss, hist.Epochs[len(hist.Epochs)-1].Loss
	t.Logf("two outputs: loss %.5f → %.5f", first, last)
	if !(last < first/10) {
		t.Fatalf("the summed loss went from %.5f to %.5f; want a tenfold drop", first, last)
	}
	pred, err := m.Predict(ds.X[:4])
	if err != nil || len(pred) != 2 {
		t.Fatalf("one example gave %v, %v; want its two outputs", pred, err)
	}
}
