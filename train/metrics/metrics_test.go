package metrics_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gocnn/cnn/train/metrics"
)

// TestMeters checks every built-in metric on small batches worked by hand.
func TestMeters(t *testing.T) {
	// Three classes, four examples: true 0 1 2 2, predicted 0 2 2 1.
	pred := []float32{
		0.7, 0.2, 0.1,
		0.1, 0.3, 0.6,
		0.2, 0.2, 0.6,
		0.1, 0.5, 0.4,
	}
	labels := []int{0, 1, 2, 2}
	onehot := make([]float32, 12)
	for i, l := range labels {
		onehot[i*3+l] = 1
	}
	sparse := metrics.Batch{N: 4, K: 3, Pred: pred, Target: onehot, Labels: labels}
	dense := metrics.Batch{N: 4, K: 3, Pred: pred, Target: onehot}
	// A binary classifier: true 1 0 1 1, predicted 1 1 0 1.
	binary := metrics.Batch{N: 4, K: 1, Pred: []float32{0.9, 0.6, 0.2, 0.5}, Target: []float32{1, 0, 1, 1}}
	// Precision per class: 1, 0, 1/2; recall: 1, 0, 1/2.
	macroP, macroR := (1+0+0.5)/3.0, (1+0+0.5)/3.0
	f1 := (1 + 0 + 0.5) / 3.0
	tests := []struct {
		name  string
		m     metrics.Metric
		b     metrics.Batch
		want  float64
		wantN metrics.Name
	}{
		{"accuracy of labels", metrics.NewAccuracy(), sparse, 0.5, "acc"},
		{"accuracy of one-hot rows", metrics.NewAccuracy(), dense, 0.5, "acc"},
		{"binary accuracy", metrics.NewAccuracy(), binary, 0.5, "acc"},
		{"top-2 accuracy", metrics.NewTopKAccuracy(2), sparse, 1, "top2_acc"},
		{"top-1 accuracy", metrics.NewTopKAccuracy(1), dense, 0.5, "top1_acc"},
		{"mae", metrics.NewMeanAbsoluteError(), dense, (0.3 + 0.2 + 0.1 + 0.1 + 0.7 + 0.6 + 0.2 + 0.2 + 0.4 + 0.1 + 0.5 + 0.6) / 12, "mae"},
		{"mse", metrics.NewMeanSquaredError(), binary, (0.01 + 0.36 + 0.64 + 0.25) / 4, "mse"},
		{"macro precision", metrics.NewPrecision(), sparse, macroP, "precision"},
		{"macro recall", metrics.NewRecall(), dense, macroR, "recall"},
		{"macro f1", metrics.NewF1(), sparse, f1, "f1"},
		{"binary precision", metrics.NewPrecision(), binary, 2.0 / 3, "precision"},
		{"binary recall", metrics.NewRecall(), binary, 2.0 / 3, "recall"},
		{"confusion matrix accuracy", metrics.NewConfusionMatrix(), sparse, 0.5, "confusion_acc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.Result(); got != 0 {
				t.Errorf("before any batch: %v; want 0", got)
			}
			// Two halves give what the whole batch gives.
			for _, half := range []metrics.Batch{part(tc.b, 0, 2), part(tc.b, 2, 4)} {
				if err := tc.m.Update(half); err != nil {
					t.Fatal(err)
				}
			}
			if got := tc.m.Result(); math.Abs(got-tc.want) > 1e-6 {
				t.Errorf("%s = %v; want %v", tc.m.Name(), got, tc.want)
			}
			if tc.m.Name() != tc.wantN {
				t.Errorf("name %q; want %q", tc.m.Name(), tc.wantN)
			}
			tc.m.Reset()
			if got := tc.m.Result(); got != 0 {
				t.Errorf("after Reset: %v; want 0", got)
			}
		})
	}
	t.Run("confusion matrix counts", func(t *testing.T) {
		cm := metrics.NewConfusionMatrix()
		if err := cm.Update(sparse); err != nil {
			t.Fatal(err)
		}
		want := [][]int{{1, 0, 0}, {0, 0, 1}, {0, 1, 1}}
		if got := cm.Counts(); !reflect.DeepEqual(got, want) {
			t.Errorf("counts %v; want %v", got, want)
		}
		p, r, f := cm.PerClass()
		if !reflect.DeepEqual(p, []float64{1, 0, 0.5}) || !reflect.DeepEqual(r, []float64{1, 0, 0.5}) || !reflect.DeepEqual(f, []float64{1, 0, 0.5}) {
			t.Errorf("per class: precision %v, recall %v, f1 %v", p, r, f)
		}
	})
}

// part returns examples lo to hi of b.
func part(b metrics.Batch, lo, hi int) metrics.Batch {
	p := metrics.Batch{N: hi - lo, K: b.K, Pred: b.Pred[lo*b.K : hi*b.K], Target: b.Target[lo*b.K : hi*b.K]}
	if b.Labels != nil {
		p.Labels = b.Labels[lo:hi]
	}
	return p
}

// TestMeterErrors checks that batches a metric cannot measure are errors,
// not panics.
func TestMeterErrors(t *testing.T) {
	tests := []struct {
		name string
		m    metrics.Metric
		b    metrics.Batch
		want string
	}{
		{"short predictions", metrics.NewAccuracy(), metrics.Batch{N: 2, K: 2, Pred: []float32{1}, Target: []float32{1, 0, 0, 1}}, "1 predictions"},
		{"short labels", metrics.NewF1(), metrics.Batch{N: 2, K: 2, Pred: []float32{1, 0, 0, 1}, Target: []float32{1, 0, 0, 1}, Labels: []int{1}}, "1 labels"},
		{"label out of range", metrics.NewConfusionMatrix(), metrics.Batch{N: 1, K: 2, Pred: []float32{1, 0}, Target: []float32{1, 0}, Labels: []int{2}}, "label 2"},
		{"k of 0", metrics.NewTopKAccuracy(0), metrics.Batch{N: 1, K: 2, Pred: []float32{1, 0}, Target: []float32{1, 0}}, "k is 0"},
		{"no values", metrics.NewMeanSquaredError(), metrics.Batch{N: 1}, "1 examples of 0 values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.m.Update(tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
}

// TestNames checks how names compose and Correct's count.
func TestNames(t *testing.T) {
	tests := []struct {
		got, want metrics.Name
	}{
		{metrics.Acc.Val(), metrics.ValAcc},
		{metrics.Loss.Of("head"), "head_loss"},
		{metrics.Name("mae").Of("box").Val(), "val_box_mae"},
	}
	for _, tc := range tests {
		t.Run(string(tc.want), func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	pred := []float32{0.1, 0.9, 0.8, 0.2, 0.5, 0.5}
	if n := metrics.Correct(pred, []int{1, 1, 0}, 2); n != 2 {
		t.Errorf("Correct = %d, want 2 (a tie goes to the first class)", n)
	}
}
