package train_test

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
)

// TestScheduleRates checks each schedule against Keras's formula at a few
// steps.
func TestScheduleRates(t *testing.T) {
	tests := []struct {
		name  string
		s     optimizers.Schedule
		step  uint64
		epoch int
		want  float64
	}{
		{"step decay, epoch 1", optimizers.StepDecay(0.1, 0.5, 2), 0, 1, 0.1},
		{"step decay, epoch 2", optimizers.StepDecay(0.1, 0.5, 2), 0, 2, 0.05},
		{"step decay, epoch 5", optimizers.StepDecay(0.1, 0.5, 2), 0, 5, 0.025},
		{"exponential", optimizers.ExponentialDecay(0.1, 0.96, 100, false), 50, 0, 0.1 * math.Sqrt(0.96)},
		{"exponential staircase", optimizers.ExponentialDecay(0.1, 0.96, 100, true), 150, 0, 0.1 * 0.96},
		{"cosine start of warm-up", optimizers.CosineDecay(0, 1000, 0.1, 100, 0.1), 0, 0, 0},
		{"cosine mid warm-up", optimizers.CosineDecay(0, 1000, 0.1, 100, 0.1), 50, 0, 0.05},
		{"cosine end of warm-up", optimizers.CosineDecay(0, 1000, 0.1, 100, 0.1), 100, 0, 0.1},
		{"cosine half-way", optimizers.CosineDecay(0, 1000, 0.1, 100, 0.1), 600, 0, 0.1 * (0.9*0.5 + 0.1)},
		{"cosine after the end", optimizers.CosineDecay(0, 1000, 0.1, 100, 0.1), 5000, 0, 0.01},
		{"cosine without warm-up", optimizers.CosineDecay(0.1, 100, 0, 0, 0), 50, 0, 0.05},
		{"per epoch", optimizers.PerEpoch(optimizers.CosineDecay(0.1, 10, 0, 0, 0)), 12345, 5, 0.05},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Rate(tc.step, tc.epoch); math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("%v at step %d, epoch %d: %v, want %v", tc.s, tc.step, tc.epoch, got, tc.want)
			}
		})
	}
}

// lrRun trains a small dropout network on noisyData with the given
// options; interrupt, if not nil, is added as a callback.
func lrRun(t *testing.T, opts []train.Option, cbs ...train.Callback) *train.Trainer {
	t.Helper()
	m, err := model.NewSequential([]int{6}, []layers.Layer{
		layers.Dense(32, layers.Activation(ops.ReLU)), layers.Dropout(0.2),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	}, model.Seed(3))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, append([]train.Option{train.Optimizer(optimizers.Adam(1e-2)), train.Callbacks(cbs...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestScheduleInFit checks that Fit follows a schedule, records the rate
// in the history and shows it in the progress line.
func TestScheduleInFit(t *testing.T) {
	var out bytes.Buffer
	tr := lrRun(t, []train.Option{train.Schedule(optimizers.StepDecay(0.01, 0.1, 1))}, train.NewProgress(&out))
	hist, err := tr.Fit(noisyData(100, 1), train.Epochs(3), train.BatchSize(32))
	if err != nil {
		t.Fatal(err)
	}
	lr, err := hist.Series(metrics.LR)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.01, 0.001, 0.0001}
	for i := range want {
		if math.Abs(lr[i]-want[i]) > 1e-15 {
			t.Fatalf("learning rates %v, want %v", lr, want)
		}
	}
	if got := tr.LearningRate(); math.Abs(got-1e-4) > 1e-15 {
		t.Errorf("LearningRate() = %v, want 1e-4", got)
	}
	if !strings.Contains(out.String(), "lr: 0.0001") {
		t.Errorf("the progress lines do not show the rate:\n%s", out.String())
	}
	if _, err := train.New(tr.Model(), train.Optimizer(noLR{}), train.Schedule(optimizers.StepDecay(1, 1, 1))); err == nil {
		t.Error("a schedule with an optimiser whose rate cannot be set is no error")
	}
}

// noLR is an optimiser without a settable learning rate.
type noLR struct{ optimizers.Optimizer }

// TestReduceLROnPlateau checks that the rate falls when the validation loss
// stops improving, and never below the floor.
func TestReduceLROnPlateau(t *testing.T) {
	tr := lrRun(t, nil, train.ReduceLROnPlateau(metrics.ValLoss, 0.5, 1, 2e-3))
	hist, err := tr.Fit(noisyData(300, 1), train.Epochs(12), train.BatchSize(32), train.Validation(noisyData(200, 2)))
	if err != nil {
		t.Fatal(err)
	}
	lr, _ := hist.Series(metrics.LR)
	if lr[0] != 1e-2 || lr[len(lr)-1] >= 1e-2 || lr[len(lr)-1] < 2e-3 {
		t.Fatalf("learning rates %v: want 0.01 first, lower later, never under 0.002", lr)
	}
	for i := 1; i < len(lr); i++ {
		if lr[i] > lr[i-1] {
			t.Fatalf("learning rates %v rise", lr)
		}
	}
}

// TestScheduleResumeIsExact interrupts runs with a cosine schedule, and
// with ReduceLROnPlateau, mid-epoch; the resumed runs must end with the
// weights and learning rates of uninterrupted ones.
func TestScheduleResumeIsExact(t *testing.T) {
	trainSet, val := noisyData(300, 1), noisyData(200, 2)
	tests := []struct {
		name string
		opts []train.Option
		cb   func() train.Callback
	}{
		{"cosine", []train.Option{train.Schedule(optimizers.CosineDecay(1e-3, 60, 0.1, 10, 1e-2))}, func() train.Callback { return train.NopCallback{} }},
		{"plateau", nil, func() train.Callback { return train.ReduceLROnPlateau(metrics.ValLoss, 0.5, 1, 1e-4) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fit := func(tr *train.Trainer) (*train.History, error) {
				return tr.Fit(trainSet, train.UntilEpoch(8), train.BatchSize(32), train.Validation(val))
			}
			none := train.BatchFunc(func(*train.Trainer, train.BatchEnd) error { return nil })
			whole := lrRun(t, tc.opts, tc.cb(), none)
			want, err := fit(whole)
			if err != nil {
				t.Fatal(err)
			}
			stop := errors.New("interrupted")
			first := lrRun(t, tc.opts, tc.cb(), train.BatchFunc(func(_ *train.Trainer, b train.BatchEnd) error {
				if b.Epoch == 5 && b.Batch == 2 {
					return stop
				}
				return nil
			}))
			if _, err := fit(first); !errors.Is(err, stop) {
				t.Fatal(err)
			}
			var ckpt bytes.Buffer
			if err := first.WriteCheckpoint(&ckpt); err != nil {
				t.Fatal(err)
			}
			resumed := lrRun(t, tc.opts, tc.cb(), none)
			if err := resumed.ReadCheckpoint(&ckpt); err != nil {
				t.Fatal(err)
			}
			got, err := fit(resumed)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := want.Series(metrics.LR)
			b, _ := got.Series(metrics.LR)
			if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(weightsOf(whole.Model()), weightsOf(resumed.Model())) {
				t.Fatalf("resumed run differs: rates %v, uninterrupted %v", b, a)
			}
			if tc.name == "plateau" && a[len(a)-1] >= a[0] {
				t.Fatalf("the rate never fell (%v): the test does not test the restored rate", a)
			}
		})
	}
}
