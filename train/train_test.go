package train_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

var mnist struct {
	once        sync.Once
	train, test *data.Dataset
	err         error
}

// realMNIST loads the real MNIST files, skipping the test with a message
// when they cannot be had (no Go toolchain or module proxy).
func realMNIST(t *testing.T) (trainSet, test *data.Dataset) {
	t.Helper()
	mnist.once.Do(func() {
		dir, err := data.DefaultMNISTDir()
		if err != nil {
			mnist.err = err
			return
		}
		mnist.train, mnist.test, mnist.err = data.LoadMNIST(dir)
	})
	if mnist.err != nil {
		t.Skipf("real MNIST is not available here: %v", mnist.err)
	}
	return mnist.train, mnist.test
}

func newRecipe(t *testing.T, seed uint64) *model.Model {
	t.Helper()
	m, err := recipe.Model(seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFitLearnsMNIST trains the recipe briefly on real MNIST: it must get
// far above chance (10%), proving the whole path from IDX files to
// gradients and optimiser.
func TestFitLearnsMNIST(t *testing.T) {
	full, test := realMNIST(t)
	trainSet, val, err := full.Limit(6000).Split(5000, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(newRecipe(t, 1), train.Optimizer(optimizers.RMSprop(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist, err := tr.Fit(trainSet, train.Epochs(2), train.BatchSize(64), train.Validation(val))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 2 {
		t.Fatalf("history has %d epochs, want 2", len(hist.Epochs))
	}
	if l0, l1 := hist.Epochs[0].Loss, hist.Epochs[1].Loss; !(l1 < l0) {
		t.Errorf("training loss did not fall: %.4f then %.4f", l0, l1)
	}
	loss, acc, err := tr.Evaluate(test.Limit(2000))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("epochs %+v; test loss %.4f acc %.4f", hist.Epochs, loss, acc)
	if acc < 0.85 || hist.Epochs[1].ValAcc < 0.85 {
		t.Errorf("test accuracy %.4f, validation accuracy %.4f: want at least 0.85", acc, hist.Epochs[1].ValAcc)
	}
}

// TestDeterminism: the same seeds give the same first-epoch history,
// bit for bit.
func TestDeterminism(t *testing.T) {
	full, _ := realMNIST(t)
	trainSet, val, err := full.Limit(1200).Split(1000, 7)
	if err != nil {
		t.Fatal(err)
	}
	run := func() train.Epoch {
		tr, err := train.New(newRecipe(t, 7), train.Optimizer(optimizers.RMSprop(1e-4)), train.Seed(7))
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		h, err := tr.Fit(trainSet, train.Epochs(1), train.BatchSize(128), train.Validation(val))
		if err != nil {
			t.Fatal(err)
		}
		e := h.Epochs[0]
		e.Seconds, e.ImagesPS, e.TrainSeconds = 0, 0, 0
		return e
	}
	a, b := run(), run()
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same seed, different first epoch:\n%+v\n%+v", a, b)
	}
}

// TestPredictAnyCount: a trainer's model predicts one image, or any number
// (7 runs as batches of 4, 2 and 1), with the same result as a whole batch.
func TestPredictAnyCount(t *testing.T) {
	_, test := realMNIST(t)
	tr, err := train.New(newRecipe(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	const n = 7
	all, err := tr.Model().Predict(test.Limit(n).Images())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n*10 {
		t.Fatalf("got %d outputs, want %d", len(all), n*10)
	}
	for i := 0; i < n; i++ {
		one, err := tr.Model().Predict(test.Image(i))
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for j, p := range one {
			sum += float64(p)
			if math.Abs(float64(p-all[i*10+j])) > 1e-6 {
				t.Fatalf("image %d class %d: %g alone, %g in a batch", i, j, p, all[i*10+j])
			}
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("image %d: probabilities sum to %g", i, sum)
		}
	}
	if _, err := tr.Model().Predict(test.Image(0)[:100]); err == nil {
		t.Error("wrong input length: no error")
	}
}

// TestNaNStopsTraining: a non-finite loss stops Fit with an error naming
// the epoch and batch, and the weights are those from before that batch.
// Fit refuses non-finite images before it trains (data.Dataset.Check, the
// "NaN pixels" case), so the loss is made non-finite by finite weights so
// large, as after a divergence, that the network's sums overflow.
func TestNaNStopsTraining(t *testing.T) {
	full, _ := realMNIST(t)
	tests := []struct {
		name   string
		pixel  float32 // image 2's pixels, unless 0
		weight float32 // every weight, unless 0
		isNaN  bool    // the error wraps ErrNaN
		want   string  // the error mentions it
	}{
		{"overflowing weights", 0, 1e20, true, "epoch 1, batch 1"},
		{"NaN pixels", float32(math.NaN()), 0, false, "example 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := full.Limit(300).Subset(seq(300))
			ds.X, ds.Pixels = ds.Images(), nil
			if tc.pixel != 0 {
				for i := 2 * 784; i < 3*784; i++ {
					ds.X[i] = tc.pixel // image 2 is in the first batch of 300
				}
			}
			m := newRecipe(t, 1)
			if tc.weight != 0 {
				for _, p := range m.Params().List() {
					for i := range p.Value.Float32s() {
						p.Value.Float32s()[i] = tc.weight
					}
				}
			}
			before := weightsOf(m)
			tr, err := train.New(m, train.Seed(1))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			hist, err := tr.Fit(ds, train.Epochs(3), train.BatchSize(300))
			if err == nil || errors.Is(err, train.ErrNaN) != tc.isNaN {
				t.Fatalf("err = %v, want one that wraps ErrNaN: %v", err, tc.isNaN)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
			if len(hist.Epochs) != 0 {
				t.Errorf("history has %d epochs, want 0", len(hist.Epochs))
			}
			if !reflect.DeepEqual(before, weightsOf(m)) {
				t.Error("the weights changed although the batch was rejected")
			}
		})
	}
}

// TestFitErrors: bad arguments are errors, not panics.
func TestFitErrors(t *testing.T) {
	full, _ := realMNIST(t)
	ds := full.Limit(10)
	tr, err := train.New(newRecipe(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tests := []struct {
		name string
		ds   *data.Dataset
		opts []train.FitOption
	}{
		{"zero batch", ds, []train.FitOption{train.Epochs(1), train.BatchSize(0)}},
		{"negative epochs", ds, []train.FitOption{train.Epochs(-1), train.BatchSize(10)}},
		{"negative until epoch", ds, []train.FitOption{train.UntilEpoch(-1), train.BatchSize(10)}},
		{"empty data", &data.Dataset{}, []train.FitOption{train.Epochs(1), train.BatchSize(10)}},
		{"wrong image size", &data.Dataset{X: make([]float32, 4), Y: []float32{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Labels: []int{0}, N: 1, C: 1, H: 2, W: 2, Classes: 10}, []train.FitOption{train.Epochs(1), train.BatchSize(10)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tr.Fit(tc.ds, tc.opts...); err == nil {
				t.Error("no error")
			}
		})
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestIntegerLabels: a dataset with labels and no one-hot targets trains
// exactly like the same data with one-hot targets.
func TestIntegerLabels(t *testing.T) {
	full, _ := realMNIST(t)
	onehot := full.Limit(400)
	labels := *onehot
	labels.Y = nil
	var final [2][]float32
	for i, ds := range []*data.Dataset{onehot, &labels} {
		tr, err := train.New(newRecipe(t, 1), train.Optimizer(optimizers.RMSprop(1e-3)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(ds, train.Epochs(1), train.BatchSize(100)); err != nil {
			t.Fatal(err)
		}
		final[i] = tr.Model().Params().List()[0].Value.Float32s()
		tr.Close()
	}
	if !reflect.DeepEqual(final[0], final[1]) {
		t.Error("integer labels trained differently from one-hot targets")
	}
}
