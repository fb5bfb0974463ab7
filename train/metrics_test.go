package train_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
)

// maxError is a metric of one's own: the largest |pred − target| seen.
type maxError struct{ worst float64 }

func (m *maxError) Name() metrics.Name { return "max_error" }
func (m *maxError) Reset()             { m.worst = 0 }
func (m *maxError) Result() float64    { return m.worst }
func (m *maxError) Update(b metrics.Batch) error {
	for i, p := range b.Pred {
		m.worst = math.Max(m.worst, math.Abs(float64(p-b.Target[i])))
	}
	return nil
}

// sumSquares is a loss of one's own, written with Gorgonia's operations:
// the sum of each example's squared errors.
func sumSquares(pred, target *G.Node) (*G.Node, error) {
	d, err := G.Sub(pred, target)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(d)
	if err != nil {
		return nil, err
	}
	return G.Sum(sq, 1)
}

// TestCustomMetricAndLoss trains a regression of one output with a loss
// and a metric of one's own besides a built-in one: History keeps them by
// name, and the loss drops.
func TestCustomMetricAndLoss(t *testing.T) {
	m, err := model.NewSequential([]int{3}, []layers.Layer{layers.Dense(8, layers.Activation(ops.Tanh)), layers.Dense(2)}, model.Seed(6))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	n := 300
	ds := &data.Dataset{X: make([]float32, n*3), Y: make([]float32, n*2), N: n, C: 1, H: 1, W: 3, Classes: 2}
	for i := 0; i < n; i++ {
		x := ds.X[i*3 : (i+1)*3]
		for j := range x {
			x[j] = rng.Float32()*2 - 1
		}
		ds.Y[2*i], ds.Y[2*i+1] = x[0]-x[1], x[2]/2
	}
	tr, err := train.New(m, train.Loss(losses.Func(sumSquares)), train.Optimizer(optimizers.Adam(1e-2)),
		train.Metrics(&maxError{}, metrics.NewMeanAbsoluteError()))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist, err := tr.Fit(ds, train.Epochs(15), train.Validation(ds))
	if err != nil {
		t.Fatal(err)
	}
	first, last := hist.Epochs[0], hist.Epochs[len(hist.Epochs)-1]
	t.Logf("%s", train.FormatEpoch(last, 15, false))
	if !(last.Loss < first.Loss/5) {
		t.Errorf("loss went from %.5f to %.5f; want a fivefold drop", first.Loss, last.Loss)
	}
	names := hist.Names()
	if want := []metrics.Name{"mae", "max_error", "val_mae", "val_max_error"}; !reflect.DeepEqual(names, want) {
		t.Errorf("metrics %v; want %v", names, want)
	}
	if last.Metrics["val_max_error"] < last.Metrics["val_mae"] || last.Metrics["val_mae"] <= 0 {
		t.Errorf("val_max_error %v below val_mae %v", last.Metrics["val_max_error"], last.Metrics["val_mae"])
	}
	// The metrics see the model's output as it was, not as the loss's
	// operations (which Gorgonia may run in place) left it.
	if v := last.Metrics["val_mae"]; v > 0.1 {
		t.Errorf("val_mae %v with a loss of %v", v, last.ValLoss)
	}
	if _, err := train.New(m, train.Metrics(&maxError{}, &maxError{})); err == nil {
		t.Error("two metrics of one name were accepted")
	}
}

// TestOneOutputUnchanged checks that a classifier of one output trained
// without WithMetrics keeps the history it always had: no Metrics, and
// the CSV's columns as before.
func TestOneOutputUnchanged(t *testing.T) {
	m, err := model.NewSequential([]int{4}, []layers.Layer{layers.Dense(2, layers.Activation(ops.Softmax))}, model.Seed(1))
	if err != nil {
		t.Fatal(err)
	}
	ds := headData(64, 3, false)
	ds.Y, ds.Classes = nil, 2
	for _, loss := range []losses.Loss{losses.CategoricalCrossEntropy, losses.SparseCategoricalCrossEntropy} {
		t.Run(loss.String(), func(t *testing.T) {
			tr, err := train.New(m, train.Loss(loss))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			hist, err := tr.Fit(ds, train.Validation(ds))
			if err != nil {
				t.Fatal(err)
			}
			e := hist.Epochs[0]
			if e.Metrics != nil || e.Acc == 0 || e.ValAcc == 0 {
				t.Errorf("epoch %+v; want acc and val_acc and no Metrics", e)
			}
			var b strings.Builder
			if err := hist.WriteCSV(&b); err != nil {
				t.Fatal(err)
			}
			if head := strings.SplitN(b.String(), "\n", 2)[0]; head != "epoch,loss,acc,val_loss,val_acc,seconds,images_per_s" {
				t.Errorf("CSV header %q", head)
			}
		})
	}
}

// TestFormatEpoch checks the progress line: Keras's names, training
// metrics before validation ones.
func TestFormatEpoch(t *testing.T) {
	tests := []struct {
		name string
		e    train.Epoch
		acc  bool
		want string
	}{
		{"one output", train.Epoch{Epoch: 1, Seconds: 2, ImagesPS: 100, Loss: 0.5, Acc: 0.75, HasVal: true, ValLoss: 0.25, ValAcc: 0.875}, true,
			"Epoch 1/3 - 2.0s - 100 img/s - loss: 0.5000 - acc: 0.7500 - val_loss: 0.2500 - val_acc: 0.8750"},
		{"two heads", train.Epoch{Epoch: 2, Seconds: 1, ImagesPS: 50, Loss: 1.5, HasVal: true, ValLoss: 2,
			Metrics: map[metrics.Name]float64{"b_loss": 1, "a_loss": 0.5, "a_acc": 0.5, "val_a_loss": 1, "val_b_loss": 1, "val_a_acc": 0.25}}, false,
			"Epoch 2/3 - 1.0s - 50 img/s - loss: 1.5000 - a_acc: 0.5000 - a_loss: 0.5000 - b_loss: 1.0000 - val_loss: 2.0000 - val_a_acc: 0.2500 - val_a_loss: 1.0000 - val_b_loss: 1.0000"},
		{"extra metric without validation", train.Epoch{Epoch: 3, Seconds: 1, ImagesPS: 50, Loss: 1, Metrics: map[metrics.Name]float64{"mae": 0.125}}, false,
			"Epoch 3/3 - 1.0s - 50 img/s - loss: 1.0000 - mae: 0.1250"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := train.FormatEpoch(tc.e, 3, tc.acc); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestBinaryAccuracy trains a binary classifier (a sigmoid output and
// binary cross-entropy) with NewAccuracy, which History keeps in Acc and
// ValAcc and Evaluate returns.
func TestBinaryAccuracy(t *testing.T) {
	m, err := model.NewSequential([]int{4}, []layers.Layer{layers.Dense(1, layers.Activation(ops.Sigmoid))}, model.Seed(2))
	if err != nil {
		t.Fatal(err)
	}
	ds := headData(300, 5, true) // Y: the class, then the size
	bin := &data.Dataset{X: ds.X, Y: make([]float32, ds.N), N: ds.N, C: 1, H: 1, W: 4, Classes: 1}
	for i := range bin.Y {
		bin.Y[i] = ds.Y[2*i]
	}
	tr, err := train.New(m, train.Loss(losses.BinaryCrossEntropy), train.Metrics(metrics.NewAccuracy(), metrics.NewPrecision()),
		train.Optimizer(optimizers.Adam(0.05)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var out strings.Builder
	tr2, err := train.New(m, train.Loss(losses.BinaryCrossEntropy), train.Metrics(metrics.NewAccuracy()), train.Callbacks(train.NewProgress(&out)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	hist, err := tr.Fit(bin, train.Epochs(10), train.Validation(bin))
	if err != nil {
		t.Fatal(err)
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	if last.Acc < 0.9 || last.ValAcc < 0.9 || last.Metrics["val_precision"] < 0.85 {
		t.Errorf("acc %v, val_acc %v, val_precision %v; want at least 0.9, 0.9 and 0.85", last.Acc, last.ValAcc, last.Metrics["val_precision"])
	}
	if _, ok := last.Metrics["acc"]; ok {
		t.Errorf("acc is in Metrics too: %v", last.Metrics)
	}
	_, acc, err := tr.Evaluate(bin)
	if err != nil || acc != last.ValAcc {
		t.Errorf("Evaluate gave accuracy %v, %v; want %v", acc, err, last.ValAcc)
	}
	if _, err := tr2.Fit(bin); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), " - acc: ") {
		t.Errorf("the progress line %q has no acc", out.String())
	}
}
