package train_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
)

// named returns l named name.
func named(l layers.Layer, name string) layers.Layer {
	l.SetName(name)
	return l
}

// twoHeads returns a model with a class head of two classes (softmax),
// named "class", and a regression head of one value, named "size".
func twoHeads(t *testing.T) *model.Model {
	t.Helper()
	in := model.Input(4)
	h := model.Apply(layers.Dense(16, layers.Activation(ops.Tanh)), in)
	class := model.Apply(named(layers.Dense(2, layers.Activation(ops.Softmax)), "class"), h)
	size := model.Apply(named(layers.Dense(1), "size"), h)
	m, err := model.New([]*model.Node{in}, []*model.Node{class, size}, model.Seed(3))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// headData makes n examples of 4 values: the class is whether the first
// two sum above 0, the size half the difference of the other two. With
// sparse set, Y holds per example the class and the size; otherwise the
// class's one-hot row and the size, and the Labels are the classes too.
func headData(n int, seed uint64, sparse bool) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 9))
	width := 3
	if sparse {
		width = 2
	}
	ds := &data.Dataset{X: make([]float32, n*4), Y: make([]float32, n*width), N: n, C: 1, H: 1, W: 4, Classes: width}
	if !sparse {
		ds.Labels = make([]int, n)
	}
	for i := 0; i < n; i++ {
		x := ds.X[i*4 : (i+1)*4]
		for j := range x {
			x[j] = rng.Float32()*2 - 1
		}
		c := 0
		if x[0]+x[1] > 0 {
			c = 1
		}
		y := ds.Y[i*width : (i+1)*width]
		if sparse {
			y[0] = float32(c)
		} else {
			y[c] = 1
			ds.Labels[i] = c
		}
		y[width-1] = (x[2] - x[3]) / 2
	}
	return ds
}

// TestTwoHeads trains a class head and a regression head with a loss
// each and loss weights: History names each head's loss and metric, and
// both heads learn. The one-hot case is the one that failed with "target
// [0 1 0.1875] is not a distribution over the 3 classes".
func TestTwoHeads(t *testing.T) {
	tests := []struct {
		name  string
		class losses.Loss
	}{
		{"one-hot class targets and labels", losses.CategoricalCrossEntropy},
		{"sparse class targets", losses.SparseCategoricalCrossEntropy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sparse := tc.class == losses.SparseCategoricalCrossEntropy
			m := twoHeads(t)
			tr, err := train.New(m, train.Losses(tc.class, losses.MSE), train.LossWeights(1, 2),
				train.OutputMetrics("size", metrics.NewMeanAbsoluteError()), train.Optimizer(optimizers.Adam(1e-2)))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			var lines bytes.Buffer
			hist, err := tr.Fit(headData(600, 1, sparse), train.Epochs(20), train.BatchSize(32),
				train.Validation(headData(200, 2, sparse)))
			if err != nil {
				t.Fatal(err)
			}
			first, last := hist.Epochs[0], hist.Epochs[len(hist.Epochs)-1]
			for _, m := range []metrics.Name{"class_loss", "class_acc", "size_loss", "size_mae", "val_class_loss", "val_class_acc", "val_size_loss", "val_size_mae"} {
				if _, ok := last.Metrics[m]; !ok {
					t.Errorf("the history has no %s: %v", m, last.Metrics)
				}
			}
			if len(last.Metrics) != 8 {
				t.Errorf("the history has %d metrics beyond its fields, want 8: %v", len(last.Metrics), last.Metrics)
			}
			t.Logf("%s", train.FormatEpoch(last, 20, false))
			if got, want := last.Loss, last.Metrics["class_loss"]+2*last.Metrics["size_loss"]; !near(got, want, 1e-4) {
				t.Errorf("loss %v; want class_loss + 2×size_loss = %v", got, want)
			}
			if v := last.Metrics["val_class_acc"]; v < 0.9 {
				t.Errorf("val_class_acc %.4f; want at least 0.9", v)
			}
			if a, b := first.Metrics["size_loss"], last.Metrics["size_loss"]; !(b < a/5) {
				t.Errorf("size_loss went from %.5f to %.5f; want a fivefold drop", a, b)
			}
			if v := last.Metrics["val_size_mae"]; v > 0.1 {
				t.Errorf("val_size_mae %.4f; want at most 0.1", v)
			}
			s, err := hist.Series("val_size_mae")
			if err != nil || len(s) != 20 {
				t.Errorf("Series(val_size_mae) = %v, %v", s, err)
			}
			if err := hist.WriteCSV(&lines); err != nil {
				t.Fatal(err)
			}
			head := strings.SplitN(lines.String(), "\n", 2)[0]
			if want := "epoch,loss,acc,val_loss,val_acc,seconds,images_per_s,class_acc,class_loss,size_loss,size_mae,val_class_acc,val_class_loss,val_size_loss,val_size_mae"; head != want {
				t.Errorf("CSV header\n%s\nwant\n%s", head, want)
			}
			lines.Reset()
			if err := hist.WriteJSON(&lines); err != nil {
				t.Fatal(err)
			}
			var js map[string]json.RawMessage
			if err := json.Unmarshal(lines.Bytes(), &js); err != nil {
				t.Fatal(err)
			}
			if _, ok := js["val_class_acc"]; !ok {
				t.Errorf("history.json has no val_class_acc: %s", lines.String())
			}
			r, err := tr.EvaluateMetrics(headData(200, 2, sparse))
			if err != nil {
				t.Fatal(err)
			}
			if r["class_acc"] != last.Metrics["val_class_acc"] || r[metrics.Loss] != last.ValLoss {
				t.Errorf("EvaluateMetrics gave %v; the last epoch validated to %v", r, last.Metrics)
			}
		})
	}
}

// near reports whether a and b agree to within tol, relatively.
func near(a, b, tol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= tol*max(1, b, -b)
}

// TestTwoHeadsErrors checks what New and Fit refuse, with a reason.
func TestTwoHeadsErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []train.Option
		want string
	}{
		{"too few losses", []train.Option{train.Losses(losses.MSE)}, "1 losses for a model of 2 outputs"},
		{"nil loss", []train.Option{train.Losses(losses.CategoricalCrossEntropy, nil)}, "nil loss"},
		{"too many weights", []train.Option{train.LossWeights(1, 2, 3)}, "3 weights for a model of 2 outputs"},
		{"negative weight", []train.Option{train.LossWeights(1, -1)}, "weight -1 of output size"},
		{"unknown output", []train.Option{train.OutputMetrics("nope", metrics.NewAccuracy())}, `no output "nope"`},
		{"Metrics on two outputs", []train.Option{train.Metrics(metrics.NewAccuracy())}, "use OutputMetrics"},
		{"a name twice", []train.Option{train.OutputMetrics("size", metrics.NewMeanAbsoluteError(), metrics.NewMeanAbsoluteError())}, `"size_mae" of output size is recorded twice`},
		{"one metric for two outputs", func() []train.Option {
			mae := metrics.NewMeanAbsoluteError()
			return []train.Option{train.OutputMetrics("size", mae), train.OutputMetrics("class", mae)}
		}(), "given twice"},
		{"bad huber", []train.Option{train.Losses(losses.CategoricalCrossEntropy, losses.Huber(-1))}, "delta -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := train.New(twoHeads(t), tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
	t.Run("sparse class not a class", func(t *testing.T) {
		tr, err := train.New(twoHeads(t), train.Losses(losses.SparseCategoricalCrossEntropy, losses.MSE))
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		ds := headData(8, 1, true)
		ds.Y[2] = 0.5
		if _, err := tr.Fit(ds); err == nil || !strings.Contains(err.Error(), "target 0.5 is not a class") {
			t.Errorf("error %v; want one about target 0.5", err)
		}
	})
	t.Run("one loss for both heads", func(t *testing.T) {
		// One loss for every output, as before: cross-entropy on the
		// regression head, which does not end in softmax.
		tr, err := train.New(twoHeads(t))
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if _, err := tr.Fit(headData(8, 1, false)); err == nil || !strings.Contains(err.Error(), "of output size") {
			t.Errorf("error %v; want one naming output size", err)
		}
	})
}

// TestTwoHeadsResume checks that a checkpoint keeps each head's history,
// that a run resumed from it ends with the weights and the history of an
// uninterrupted one, and that EarlyStopping can watch a head's metric.
func TestTwoHeadsResume(t *testing.T) {
	opts := func() []train.Option {
		return []train.Option{train.Losses(losses.CategoricalCrossEntropy, losses.Huber(0.5)), train.LossWeights(0.5, 1),
			train.OutputMetrics("size", metrics.NewMeanAbsoluteError()), train.Optimizer(optimizers.Adam(1e-2)),
			train.Callbacks(train.EarlyStopping("val_size_mae", 50, false))}
	}
	trainSet, val := headData(200, 1, false), headData(50, 2, false)
	fit := func(tr *train.Trainer, epochs int) *train.History {
		t.Helper()
		h, err := tr.Fit(trainSet, train.UntilEpoch(epochs), train.Validation(val))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	whole, err := train.New(twoHeads(t), opts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	want := fit(whole, 4)

	first, err := train.New(twoHeads(t), opts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	fit(first, 2)
	var ckpt bytes.Buffer
	if err := first.WriteCheckpoint(&ckpt); err != nil {
		t.Fatal(err)
	}
	resumed, err := train.New(twoHeads(t), opts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if err := resumed.ReadCheckpoint(&ckpt); err != nil {
		t.Fatal(err)
	}
	got := fit(resumed, 4)
	for i := range want.Epochs {
		w, g := want.Epochs[i], got.Epochs[i]
		for _, m := range []metrics.Name{"class_loss", "class_acc", "size_loss", "size_mae", "val_size_mae"} {
			if w.Metrics[m] != g.Metrics[m] {
				t.Errorf("epoch %d: %s %v, uninterrupted %v", i+1, m, g.Metrics[m], w.Metrics[m])
			}
		}
	}
	if !reflect.DeepEqual(weights(whole), weights(resumed)) {
		t.Error("the resumed run ends with other weights than the uninterrupted one")
	}
}
