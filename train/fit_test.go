package train_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/optimizers"
)

// withoutTimes returns the epochs with their wall times cleared, so that
// two runs can be compared bit for bit.
func withoutTimes(es []train.Epoch) []train.Epoch {
	out := append([]train.Epoch(nil), es...)
	for i := range out {
		out[i].Seconds, out[i].TrainSeconds, out[i].ImagesPS = 0, 0, 0
	}
	return out
}

// TestFitTwiceTrainsTwice: as in Keras, a second Fit trains further:
// Epochs(2) then Epochs(3) is five epochs, and ends exactly where one
// UntilEpoch(5) on a fresh trainer does, weights and history bit for bit.
// A model with dropout makes the check cover the step numbering too.
func TestFitTwiceTrainsTwice(t *testing.T) {
	trainSet, val, err := train.ValidationSplit(tinyData(40), 0.25, 2)
	if err != nil {
		t.Fatal(err)
	}
	twice := dropoutTrainer(t, 7)
	defer twice.Close()
	if _, err := twice.Fit(trainSet, train.Epochs(2), train.BatchSize(8), train.Validation(val)); err != nil {
		t.Fatal(err)
	}
	after2 := weights(twice)
	hist, err := twice.Fit(trainSet, train.Epochs(3), train.BatchSize(8), train.Validation(val))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 5 {
		t.Fatalf("history has %d epochs after Epochs(2) and Epochs(3), want 5", len(hist.Epochs))
	}
	for i, e := range hist.Epochs {
		if e.Epoch != i+1 {
			t.Errorf("history entry %d is epoch %d", i, e.Epoch)
		}
	}
	if reflect.DeepEqual(after2, weights(twice)) {
		t.Error("the second Fit did not change the weights")
	}

	once := dropoutTrainer(t, 7)
	defer once.Close()
	want, err := once.Fit(trainSet, train.UntilEpoch(5), train.BatchSize(8), train.Validation(val))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(weights(twice), weights(once)) {
		t.Error("Epochs(2) then Epochs(3) ended with other weights than UntilEpoch(5)")
	}
	if got, want := withoutTimes(hist.Epochs), withoutTimes(want.Epochs); !reflect.DeepEqual(got, want) {
		t.Errorf("histories differ:\n%+v\n%+v", got, want)
	}
	if twice.Position() != once.Position() {
		t.Errorf("states differ: %+v and %+v", twice.Position(), once.Position())
	}
	// UntilEpoch of a total already reached trains nothing more.
	before := weights(once)
	if h, err := once.Fit(trainSet, train.UntilEpoch(5), train.BatchSize(8), train.Validation(val)); err != nil || len(h.Epochs) != 5 {
		t.Fatalf("UntilEpoch(5) again: %d epochs, err %v", len(h.Epochs), err)
	}
	if !reflect.DeepEqual(before, weights(once)) {
		t.Error("UntilEpoch(5) after epoch 5 changed the weights")
	}
}

// regressionData is n examples of two features with the target
// 2·a − 3·b + 1 and, if labels, the label 0 for each.
func regressionData(n int, seed uint64, labels bool) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 2))
	ds := &data.Dataset{N: n, C: 2, H: 1, W: 1, Classes: 1, X: make([]float32, 2*n), Y: make([]float32, n)}
	if labels {
		ds.Labels = make([]int, n)
	}
	for i := 0; i < n; i++ {
		a, b := rng.Float32()*2-1, rng.Float32()*2-1
		ds.X[2*i], ds.X[2*i+1], ds.Y[i] = a, b, 2*a-3*b+1
	}
	return ds
}

// TestRegressionWithoutLabels: the mean squared error trains on a data set
// of targets Y and no labels (regression has no classes), as well as on one
// whose labels are all 0, and the progress lines show the losses and no
// accuracy, which means nothing here.
func TestRegressionWithoutLabels(t *testing.T) {
	for _, labels := range []bool{false, true} {
		name := "no labels"
		if labels {
			name = "labels all 0"
		}
		t.Run(name, func(t *testing.T) {
			trainSet, val := regressionData(128, 1, labels), regressionData(32, 2, labels)
			m, err := model.NewSequential([]int{2}, []layers.Layer{layers.Dense(1)}, model.Seed(1))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			tr, err := train.New(m, train.Loss(losses.MSE), train.Optimizer(optimizers.Momentum(0.05, 0.9, false)),
				train.Callbacks(train.NewProgress(&out)))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			hist, err := tr.Fit(trainSet, train.Epochs(3), train.BatchSize(16), train.Validation(val))
			if err != nil {
				t.Fatal(err)
			}
			if len(hist.Epochs) != 3 {
				t.Fatalf("history has %d epochs, want 3", len(hist.Epochs))
			}
			if l0, l2 := hist.Epochs[0].Loss, hist.Epochs[2].Loss; !(l2 < l0) {
				t.Errorf("training loss did not fall: %.4f then %.4f", l0, l2)
			}
			text := out.String()
			for _, w := range []string{"Epoch 3/3", "loss:", "val_loss:"} {
				if !strings.Contains(text, w) {
					t.Errorf("progress output lacks %q:\n%s", w, text)
				}
			}
			if strings.Contains(text, "acc") {
				t.Errorf("progress output of a regression shows an accuracy:\n%s", text)
			}
		})
	}
}

// TestTrainBatch: a loop of TrainBatch over the batches of an iterator
// shuffled with the trainer's seed trains exactly as one epoch of Fit, with
// the same step numbering (the model has dropout) and the same mean loss;
// a checkpoint saved between two TrainBatch calls and read into a fresh
// trainer continues exactly as the trainer that wrote it.
func TestTrainBatch(t *testing.T) {
	const seed, batch, stop = 9, 6, 3 // 40 examples: 7 batches, the last of 4
	ds := tinyData(40)
	fit := dropoutTrainer(t, seed)
	defer fit.Close()
	hist, err := fit.Fit(ds, train.Epochs(1), train.BatchSize(batch))
	if err != nil {
		t.Fatal(err)
	}

	it, err := data.NewIterator(ds, batch, data.Shuffle(seed))
	if err != nil {
		t.Fatal(err)
	}
	loop := dropoutTrainer(t, seed)
	defer loop.Close()
	resumed := dropoutTrainer(t, seed)
	defer resumed.Close()
	path := filepath.Join(t.TempDir(), "checkpoint.bin")
	var sum float64
	seen := 0
	for bi := 0; it.Next(); bi++ {
		b := it.Batch()
		if bi == stop {
			if err := loop.SaveCheckpoint(path); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			err = resumed.ReadCheckpoint(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if s := resumed.Position(); s.Steps != stop {
				t.Fatalf("state read from the checkpoint after %d TrainBatch calls: %+v", stop, s)
			}
		}
		loss, err := loop.TrainBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		sum, seen = sum+loss*float64(b.N), seen+b.N
		if bi >= stop {
			again, err := resumed.TrainBatch(b)
			if err != nil {
				t.Fatal(err)
			}
			if again != loss {
				t.Errorf("batch %d: loss %v after the checkpoint, %v before", bi+1, again, loss)
			}
		}
	}
	if !reflect.DeepEqual(weights(loop), weights(fit)) {
		t.Error("a loop of TrainBatch ended with other weights than an epoch of Fit")
	}
	if got, want := sum/float64(seen), hist.Epochs[0].Loss; got != want {
		t.Errorf("mean loss of the TrainBatch loop %v, of the Fit epoch %v", got, want)
	}
	if got, want := loop.Position().Steps, fit.Position().Steps; got != want || got != uint64(it.NumBatches()) {
		t.Errorf("steps: TrainBatch loop %d, Fit %d, batches %d", got, want, it.NumBatches())
	}
	if !reflect.DeepEqual(weights(resumed), weights(loop)) {
		t.Error("the trainer resumed from the checkpoint ended with other weights")
	}
	if resumed.Position() != loop.Position() {
		t.Errorf("states differ: resumed %+v, original %+v", resumed.Position(), loop.Position())
	}
}

// TestTrainBatchErrors: a batch that does not suit the model or the loss
// is an error, and leaves the weights and the step count as they were.
func TestTrainBatchErrors(t *testing.T) {
	x := make([]float32, 2*4)
	tests := []struct {
		name string
		loss losses.Loss
		b    data.Batch
	}{
		{"no examples", losses.CategoricalCrossEntropy, data.Batch{}},
		{"wrong number of values", losses.CategoricalCrossEntropy, data.Batch{X: x[:7], Labels: []int{0, 1}, N: 2}},
		{"classifier without labels or targets", losses.CategoricalCrossEntropy, data.Batch{X: x, N: 2}},
		{"label out of range", losses.CategoricalCrossEntropy, data.Batch{X: x, Labels: []int{0, 2}, N: 2}},
		{"regression without targets", losses.MSE, data.Batch{X: x, Labels: []int{0, 0}, N: 2}},
		{"regression without targets or labels", losses.MSE, data.Batch{X: x, N: 2}},
		{"regression targets of the wrong width", losses.MSE, data.Batch{X: x, Y: []float32{1, 2, 3}, N: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := model.NewSequential([]int{1, 2, 2}, []layers.Layer{layers.Flatten(), layers.Dense(2, layers.Activation(ops.Softmax))})
			if tc.loss == losses.MSE {
				m, err = model.NewSequential([]int{1, 2, 2}, []layers.Layer{layers.Flatten(), layers.Dense(1)})
			}
			if err != nil {
				t.Fatal(err)
			}
			tr, err := train.New(m, train.Loss(tc.loss))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			before := weights(tr)
			if _, err := tr.TrainBatch(tc.b); err == nil {
				t.Error("no error")
			}
			if !reflect.DeepEqual(before, weights(tr)) || tr.Position().Steps != 0 {
				t.Errorf("a rejected batch changed the weights or the steps (%d)", tr.Position().Steps)
			}
		})
	}
}
