package train_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

// TestResumeWithAdamWIsExact: a run with AdamW and clipping, interrupted
// mid-epoch and resumed from its checkpoint, ends with the weights and
// history of an uninterrupted one.
func TestResumeWithAdamWIsExact(t *testing.T) {
	trainSet, val, err := train.ValidationSplit(noisyData(240, 2), 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opt  func() optimizers.Optimizer
	}{
		{"adamw clipnorm", func() optimizers.Optimizer { return optimizers.AdamW(1e-2, optimizers.ClipNorm(0.5)) }},
		{"momentum global clipnorm decay", func() optimizers.Optimizer {
			return optimizers.Momentum(1e-2, 0.9, true, optimizers.GlobalClipNorm(0.5), optimizers.WeightDecay(0.01))
		}},
		{"rmsprop clipvalue", func() optimizers.Optimizer { return optimizers.RMSprop(1e-2, optimizers.ClipValue(0.01)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkResumeIsExact(t, trainSet, val, 20, 2, 3, func(cbs ...train.Callback) *train.Trainer {
				tr, err := train.New(denseNet(t, 5), train.Optimizer(tc.opt()), train.Seed(3), train.Callbacks(cbs...))
				if err != nil {
					t.Fatal(err)
				}
				return tr
			})
		})
	}
}

// denseNet is a small classifier of noisyData's 6 values.
func denseNet(t testing.TB, seed uint64) *model.Model {
	t.Helper()
	m, err := model.NewSequential([]int{6}, []layers.Layer{
		layers.Dense(16, layers.Activation(ops.ReLU)),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	}, model.Seed(seed))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRestoreOptimizerNewRate: a model file's optimiser state goes on with
// another learning rate (fine-tuning), keeping the moments and the step,
// and ends as a run that changed the rate without saving would; another
// kind of optimiser, other hyper-parameters or other shapes stay errors,
// and a checkpoint, which resumes a run exactly, still needs the same rate.
func TestRestoreOptimizerNewRate(t *testing.T) {
	ds := noisyData(64, 3)
	dir := t.TempDir()
	path := filepath.Join(dir, "model.gocnn")
	first, err := train.New(denseNet(t, 5), train.Optimizer(optimizers.AdamW(1e-2, optimizers.ClipNorm(1))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Fit(ds, train.Epochs(1), train.BatchSize(16)); err != nil {
		t.Fatal(err)
	}
	if err := first.SaveModel(path, true); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "ckpt")
	if err := first.SaveCheckpoint(ckpt); err != nil {
		t.Fatal(err)
	}
	// The reference: the same trainer goes on at a lower rate, for a step
	// on the whole set.
	all := data.Batch{X: ds.X, Labels: ds.Labels, N: ds.N}
	first.Optimizer().(optimizers.LRSetter).SetLearningRate(1e-3)
	if _, err := first.TrainBatch(all); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		opt  optimizers.Optimizer
		m    func() *model.Model
		want string // "" for no error
	}{
		{"new rate", optimizers.AdamW(1e-3, optimizers.ClipNorm(1)), nil, ""},
		{"same rate", optimizers.AdamW(1e-2, optimizers.ClipNorm(1)), nil, ""},
		{"other kind", optimizers.Adam(1e-3, optimizers.ClipNorm(1)), nil, "made with AdamW(lr=0.01, weight_decay=0.004, clipnorm=1), this run uses Adam(lr=0.001, clipnorm=1): only the learning rate may differ"},
		{"other decay", optimizers.AdamW(1e-3, optimizers.WeightDecay(0.01), optimizers.ClipNorm(1)), nil, "only the learning rate may differ"},
		{"other clipping", optimizers.AdamW(1e-3, optimizers.ClipNorm(2)), nil, "only the learning rate may differ"},
		{"other rho", optimizers.RMSpropWith(1e-3, 0.8, 1e-7), nil, "only the learning rate may differ"},
		{"other shapes", optimizers.AdamW(1e-3, optimizers.ClipNorm(1)), func() *model.Model {
			m, err := model.NewSequential([]int{6}, []layers.Layer{
				layers.Dense(8, layers.Activation(ops.ReLU)),
				layers.Dense(2, layers.Activation(ops.Softmax)),
			}, model.Seed(5))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}, "optimizer state for"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, state, err := model.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if tc.m != nil {
				m = tc.m()
			}
			tr, err := train.New(m, train.Optimizer(tc.opt))
			if err != nil {
				t.Fatal(err)
			}
			err = tr.RestoreOptimizer(state)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("RestoreOptimizer: %v, want an error containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.name != "new rate" {
				return
			}
			if lr := tr.Optimizer().(optimizers.LRSetter).LearningRate(); lr != 1e-3 {
				t.Fatalf("learning rate after the restore %v, want this run's 0.001", lr)
			}
			if _, err := tr.TrainBatch(all); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(weights(tr), weights(first)) {
				t.Fatal("fine-tuning from the model file ends with other weights than the run that changed its rate")
			}
			// Without the moments the step differs.
			m, _, err = model.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := train.New(m, train.Optimizer(optimizers.AdamW(1e-3, optimizers.ClipNorm(1))))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fresh.TrainBatch(all); err != nil {
				t.Fatal(err)
			}
			if reflect.DeepEqual(weights(fresh), weights(first)) {
				t.Fatal("a fresh optimiser takes the same step: the test cannot tell that the moments were kept")
			}
		})
	}
	t.Run("checkpoint needs the same rate", func(t *testing.T) {
		tr, err := train.New(denseNet(t, 5), train.Optimizer(optimizers.AdamW(1e-3, optimizers.ClipNorm(1))))
		if err != nil {
			t.Fatal(err)
		}
		err = tr.LoadCheckpoint(ckpt)
		if want := "made with AdamW(lr=0.01, weight_decay=0.004, clipnorm=1), this run uses AdamW(lr=0.001"; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("LoadCheckpoint: %v, want an error containing %q", err, want)
		}
	})
}
