package train_test

import (
	"reflect"
	"testing"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

// TestFitWithDropout trains a small convolutional model with a Dropout
// layer: training graphs drop units, evaluation does not (two evaluations
// agree exactly), and the same seeds give the same history.
func TestFitWithDropout(t *testing.T) {
	trainSet, val, err := train.ValidationSplit(tinyData(40), 0.25, 2)
	if err != nil {
		t.Fatal(err)
	}
	fit := func() (train.Epoch, float64, float64) {
		m, err := model.NewSequential([]int{1, 2, 2}, []layers.Layer{
			layers.Conv2D(4, 2, 2, layers.Activation(ops.ReLU), layers.Padding(layers.Same)),
			layers.Dropout(0.5),
			layers.Flatten(),
			layers.Dense(8, layers.Activation(ops.ReLU)),
			layers.Dropout(0.25),
			layers.Dense(2, layers.Activation(ops.Softmax)),
		}, model.Seed(4))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.New(m, train.Seed(4), train.Optimizer(optimizers.Adam(1e-2)))
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		hist, err := tr.Fit(trainSet, train.Epochs(3), train.BatchSize(8), train.Validation(val)) // 30 images: batches of 8 and a last one of 6
		if err != nil {
			t.Fatal(err)
		}
		l1, _, err := tr.Evaluate(val)
		if err != nil {
			t.Fatal(err)
		}
		l2, _, err := tr.Evaluate(val)
		if err != nil {
			t.Fatal(err)
		}
		e := hist.Epochs[len(hist.Epochs)-1]
		e.Seconds, e.ImagesPS, e.TrainSeconds = 0, 0, 0
		return e, l1, l2
	}
	e1, l1, l2 := fit()
	if l1 != l2 {
		t.Errorf("two evaluations differ: %v and %v", l1, l2)
	}
	if e1.ValLoss != l1 {
		t.Errorf("validation loss %v, evaluation after training %v", e1.ValLoss, l1)
	}
	e2, _, _ := fit()
	if !reflect.DeepEqual(e1, e2) {
		t.Errorf("same seeds, different histories:\n%+v\n%+v", e1, e2)
	}
}

// TestResumeWithDropoutIsExact: dropout masks are keyed to the step of the
// run, so a run interrupted mid-epoch and resumed from its checkpoint ends
// with the same weights and history as an uninterrupted one.
func TestResumeWithDropoutIsExact(t *testing.T) {
	trainSet, val, err := train.ValidationSplit(tinyData(40), 0.25, 2)
	if err != nil {
		t.Fatal(err)
	}
	newTrainer := func(cbs ...train.Callback) *train.Trainer { return dropoutTrainer(t, 5, cbs...) }
	checkResumeIsExact(t, trainSet, val, 8, 2, 2, newTrainer)
}

// dropoutTrainer is a trainer, with Adam, of a small classifier of 2x2
// images with a Dropout layer, whose model and shuffling are seeded with
// seed: its results depend on the step numbering of its batches.
func dropoutTrainer(t testing.TB, seed uint64, cbs ...train.Callback) *train.Trainer {
	t.Helper()
	m, err := model.NewSequential([]int{1, 2, 2}, []layers.Layer{
		layers.Flatten(),
		layers.Dense(16, layers.Activation(ops.ReLU)),
		layers.Dropout(0.5),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	}, model.Seed(seed))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, train.Seed(seed), train.Optimizer(optimizers.Adam(1e-2)), train.Callbacks(cbs...))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestDropoutMasksChangeEveryStep: the trainer gives every batch its own
// step, so the masks differ from batch to batch. With a learning rate of 0
// and a batch of eight copies of one example, only the masks can change
// the loss from one epoch to the next.
func TestDropoutMasksChangeEveryStep(t *testing.T) {
	ds := tinyData(8)
	for i := range ds.Labels {
		copy(ds.X[i*4:(i+1)*4], ds.X[:4])
		copy(ds.Y[i*2:(i+1)*2], ds.Y[:2])
		ds.Labels[i] = ds.Labels[0]
	}
	m, err := model.NewSequential([]int{1, 2, 2}, []layers.Layer{
		layers.Flatten(),
		layers.Dense(16, layers.Activation(ops.ReLU), layers.BiasInitializer(graph.Constant(0.5))),
		layers.Dropout(0.5),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	}, model.Seed(6))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, train.Optimizer(optimizers.SGD(0)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist, err := tr.Fit(ds, train.Epochs(4), train.BatchSize(8))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float64]bool{}
	for _, e := range hist.Epochs {
		seen[e.Loss] = true
	}
	if len(seen) < 3 {
		t.Errorf("4 epochs of one batch gave only %d distinct losses: the dropout masks do not change with the step", len(seen))
	}
}
