package train_test

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
)

// noisyData makes a small two-class problem with noisy labels, on which a
// wide model soon overfits and early stopping ends training.
func noisyData(n int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 9))
	ds := &data.Dataset{X: make([]float32, n*6), Labels: make([]int, n), N: n, C: 1, H: 1, W: 6, Classes: 2}
	for i := 0; i < n; i++ {
		x := ds.X[i*6 : (i+1)*6]
		for j := range x {
			x[j] = rng.Float32()*2 - 1
		}
		if (x[0]+x[1] > 0) != (rng.Float32() < 0.3) {
			ds.Labels[i] = 1
		}
	}
	return ds
}

// earlyStopRun trains a fresh model with early stopping (restoring the best
// weights) and a ModelCheckpoint; interrupt, if not nil, may stop it.
func earlyStopRun(t *testing.T, dir string, interrupt train.Callback) (*train.Trainer, []train.Callback) {
	t.Helper()
	m, err := model.NewSequential([]int{6}, []layers.Layer{
		layers.Dense(64, layers.Activation(ops.ReLU)),
		layers.Dropout(0.2),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	}, model.Seed(3))
	if err != nil {
		t.Fatal(err)
	}
	cbs := []train.Callback{train.EarlyStopping(metrics.ValLoss, 2, true), train.ModelCheckpoint(dir+"/best.bin", metrics.ValLoss, true)}
	if interrupt != nil {
		cbs = append(cbs, interrupt)
	}
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-2)), train.Seed(5), train.Callbacks(cbs...))
	if err != nil {
		t.Fatal(err)
	}
	return tr, cbs
}

// TestEarlyStoppingResumeIsExact interrupts a run with early stopping
// mid-epoch, checks that the checkpoint holds the weights of the step it
// names (not the best epoch's), resumes it, and checks that the resumed run
// stops at the same epoch with the same weights as an uninterrupted one.
func TestEarlyStoppingResumeIsExact(t *testing.T) {
	trainSet, val := noisyData(300, 1), noisyData(200, 2)
	fit := func(tr *train.Trainer) (*train.History, error) {
		return tr.Fit(trainSet, train.UntilEpoch(40), train.BatchSize(32), train.Validation(val))
	}
	whole, _ := earlyStopRun(t, t.TempDir(), train.BatchFunc(func(*train.Trainer, train.BatchEnd) error { return nil }))
	want, err := fit(whole)
	if err != nil {
		t.Fatal(err)
	}
	stopAt := len(want.Epochs)
	if stopAt >= 40 || stopAt < 4 {
		t.Fatalf("early stopping ended after %d epochs; the test needs a stop between 4 and 39", stopAt)
	}
	errStop := errors.New("interrupted")
	interruptAt := stopAt // mid-epoch, a worse epoch after the best one done
	var stepWeights [][]float32
	first, _ := earlyStopRun(t, t.TempDir(), train.BatchFunc(func(tr *train.Trainer, b train.BatchEnd) error {
		if b.Epoch == interruptAt && b.Batch == 3 {
			stepWeights = weightsOf(tr.Model())
			return errStop
		}
		return nil
	}))
	if _, err := fit(first); !errors.Is(err, errStop) {
		t.Fatalf("interrupted run: %v", err)
	}
	var ckpt bytes.Buffer
	if err := first.WriteCheckpoint(&ckpt); err != nil {
		t.Fatal(err)
	}
	// The checkpoint names epoch interruptAt, batch 3: its weights must be
	// the weights after that step, not the best epoch's.
	probe, _ := earlyStopRun(t, t.TempDir(), train.BatchFunc(func(*train.Trainer, train.BatchEnd) error { return nil }))
	if err := probe.ReadCheckpoint(bytes.NewReader(ckpt.Bytes())); err != nil {
		t.Fatal(err)
	}
	if s := probe.Position(); s.Epoch != interruptAt-1 || s.Batch != 3 || !reflect.DeepEqual(weightsOf(probe.Model()), stepWeights) {
		t.Fatalf("checkpoint after epoch %d batch %d does not hold that step's weights", s.Epoch, s.Batch)
	}
	resumed, _ := earlyStopRun(t, t.TempDir(), train.BatchFunc(func(*train.Trainer, train.BatchEnd) error { return nil }))
	if err := resumed.ReadCheckpoint(bytes.NewReader(ckpt.Bytes())); err != nil {
		t.Fatal(err)
	}
	got, err := fit(resumed)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Epochs) != stopAt {
		t.Fatalf("resumed run stopped after %d epochs, the uninterrupted one after %d", len(got.Epochs), stopAt)
	}
	for i := range got.Epochs {
		a, b := got.Epochs[i], want.Epochs[i]
		if a.Loss != b.Loss || a.ValLoss != b.ValLoss || a.Acc != b.Acc {
			t.Fatalf("epoch %d differs: %+v vs %+v", i+1, a, b)
		}
	}
	if !reflect.DeepEqual(weightsOf(resumed.Model()), weightsOf(whole.Model())) {
		t.Fatal("the resumed run ends with other weights than the uninterrupted one")
	}
}

// TestCheckpointCallbacksMustMatch refuses to restore callback state into a
// trainer whose callbacks differ.
func TestCheckpointCallbacksMustMatch(t *testing.T) {
	trainSet, val := noisyData(100, 1), noisyData(50, 2)
	tr, _ := earlyStopRun(t, t.TempDir(), nil)
	if _, err := tr.Fit(trainSet, train.Epochs(1), train.Validation(val)); err != nil {
		t.Fatal(err)
	}
	var ckpt bytes.Buffer
	if err := tr.WriteCheckpoint(&ckpt); err != nil {
		t.Fatal(err)
	}
	other, err := train.New(tr.Model(), train.Optimizer(optimizers.Adam(1e-2)))
	if err != nil {
		t.Fatal(err)
	}
	if err := other.ReadCheckpoint(bytes.NewReader(ckpt.Bytes())); err == nil {
		t.Fatal("a checkpoint with callback state loaded into a trainer without those callbacks")
	}
}
