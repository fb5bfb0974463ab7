package train_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
)

// tinyModel is a 2x2-pixel, two-class softmax classifier: small enough that
// building a trainer for it costs nothing.
func tinyModel(t testing.TB) *model.Model {
	t.Helper()
	m, err := model.NewSequential([]int{1, 2, 2}, []layers.Layer{
		layers.Flatten(),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fillParams sets every parameter value of m to v, so that the weights of
// epoch e can be recognised later as the value e.
func fillParams(m *model.Model, v float32) {
	for _, p := range m.Params().List() {
		for i := range p.Value.Float32s() {
			p.Value.Float32s()[i] = v
		}
	}
}

// paramsValue returns the common value of all parameters of m, or NaN if
// they differ.
func paramsValue(m *model.Model) float64 {
	v := math.NaN()
	for i, p := range m.Params().List() {
		for j, f := range p.Value.Float32s() {
			if i == 0 && j == 0 {
				v = float64(f)
			} else if float64(f) != v {
				return math.NaN()
			}
		}
	}
	return v
}

// epochs makes a history in which the monitored metric takes the given
// values; the other metrics are zero.
func epochs(monitor metrics.Name, vals ...float64) []train.Epoch {
	es := make([]train.Epoch, len(vals))
	for i, v := range vals {
		e := train.Epoch{Epoch: i + 1, HasVal: monitor == metrics.ValLoss || monitor == metrics.ValAcc}
		switch monitor {
		case metrics.ValLoss:
			e.ValLoss = v
		case metrics.ValAcc:
			e.ValAcc = v
		case metrics.Loss:
			e.Loss = v
		case metrics.Acc:
			e.Acc = v
		}
		es[i] = e
	}
	return es
}

// feed drives cb through a Fit of the given epochs, setting the weights to
// the epoch number before each epoch ends. It returns the epoch at which cb
// stopped training (0 if it did not) and the error of the first call that
// failed with anything but ErrStop.
func feed(tr *train.Trainer, c train.Callback, es []train.Epoch) (stopped int, err error) {
	cb, ok := c.(interface {
		train.TrainBeginner
		train.EpochEnder
		train.TrainEnder
	})
	if !ok {
		return 0, fmt.Errorf("callback %T lacks OnTrainBegin, OnEpochEnd or OnTrainEnd", c)
	}
	if err := cb.OnTrainBegin(tr, train.RunInfo{Epochs: len(es)}); err != nil {
		return 0, err
	}
	hist := &train.History{}
	for _, e := range es {
		fillParams(tr.Model(), float32(e.Epoch))
		hist.Epochs = append(hist.Epochs, e)
		if err := cb.OnEpochEnd(tr, e); err != nil {
			if !errors.Is(err, train.ErrStop) {
				return 0, err
			}
			stopped = e.Epoch
			break
		}
	}
	return stopped, cb.OnTrainEnd(tr, hist, nil)
}

func TestEarlyStopping(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name        string
		monitor     metrics.Name
		patience    int
		restoreBest bool
		vals        []float64
		wantStop    int // 0: never stops
		wantWeights float64
	}{
		{"val_loss stops after patience", metrics.ValLoss, 2, true, []float64{1, 0.8, 0.9, 0.85, 0.7}, 4, 2},
		{"without restore keeps the last weights", metrics.ValLoss, 2, false, []float64{1, 0.8, 0.9, 0.85, 0.7}, 4, 4},
		{"an improvement resets the count", metrics.ValLoss, 2, true, []float64{1, 1.1, 0.9, 1, 0.95, 0.8}, 5, 3},
		{"val_acc is maximised", metrics.ValAcc, 1, true, []float64{0.5, 0.7, 0.6, 0.9}, 3, 2},
		{"loss improving throughout", metrics.Loss, 1, true, []float64{5, 4, 3, 2, 1}, 0, 5},
		{"acc equal is no improvement", metrics.Acc, 0, true, []float64{0.2, 0.2, 0.3}, 2, 1},
		{"NaN is no improvement", metrics.Loss, 1, true, []float64{1, nan, 0.5}, 2, 1},
		{"restores at the end without stopping", metrics.ValLoss, 5, true, []float64{1, 0.5, 0.6}, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := train.New(tinyModel(t))
			if err != nil {
				t.Fatal(err)
			}
			cb := train.EarlyStopping(tc.monitor, tc.patience, tc.restoreBest)
			stopped, err := feed(tr, cb, epochs(tc.monitor, tc.vals...))
			if err != nil {
				t.Fatal(err)
			}
			if stopped != tc.wantStop {
				t.Errorf("stopped at epoch %d, want %d", stopped, tc.wantStop)
			}
			if got := paramsValue(tr.Model()); got != tc.wantWeights {
				t.Errorf("weights are those of epoch %v, want %v", got, tc.wantWeights)
			}
			// A second Fit starts afresh: one epoch never stops it.
			if stopped, err := feed(tr, cb, epochs(tc.monitor, 100)); err != nil || stopped != 0 {
				t.Errorf("second run: stopped at %d, err %v", stopped, err)
			}
		})
	}
}

func TestEarlyStoppingErrors(t *testing.T) {
	tests := []struct {
		name     string
		monitor  metrics.Name
		patience int
		es       []train.Epoch
		want     string
	}{
		{"unknown monitor", metrics.Name("nope"), 1, epochs(metrics.ValAcc, 1), "cannot monitor nope"},
		{"metric that cannot be monitored", metrics.Seconds, 1, epochs(metrics.ValAcc, 1), "cannot monitor seconds"},
		{"negative patience", metrics.Loss, -1, epochs(metrics.Loss, 1), "patience -1"},
		{"val_loss without validation", metrics.ValLoss, 1, epochs(metrics.Loss, 1), "no validation data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := train.New(tinyModel(t))
			if err != nil {
				t.Fatal(err)
			}
			_, err = feed(tr, train.EarlyStopping(tc.monitor, tc.patience, true), tc.es)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestModelCheckpoint(t *testing.T) {
	tests := []struct {
		name         string
		monitor      metrics.Name
		saveBestOnly bool
		es           []train.Epoch
		wantWritten  []bool
	}{
		{"best val_loss only", metrics.ValLoss, true, epochs(metrics.ValLoss, 1, 1.2, 0.8, 0.8, 0.9), []bool{true, false, true, false, false}},
		{"best acc only", metrics.Acc, true, epochs(metrics.Acc, 0.1, 0.3, 0.2), []bool{true, true, false}},
		{"every epoch", metrics.ValLoss, false, epochs(metrics.ValLoss, 1, 2, 3), []bool{true, true, true}},
		{"every epoch needs no validation", metrics.ValLoss, false, epochs(metrics.Loss, 1, 2), []bool{true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "weights.bin")
			tr, err := train.New(tinyModel(t))
			if err != nil {
				t.Fatal(err)
			}
			cb := train.ModelCheckpoint(path, tc.monitor, tc.saveBestOnly).(interface {
				train.TrainBeginner
				train.EpochEnder
			})
			if err := cb.OnTrainBegin(tr, train.RunInfo{}); err != nil {
				t.Fatal(err)
			}
			for i, e := range tc.es {
				os.Remove(path)
				fillParams(tr.Model(), float32(e.Epoch))
				if err := cb.OnEpochEnd(tr, e); err != nil {
					t.Fatal(err)
				}
				_, err := os.Stat(path)
				if written := err == nil; written != tc.wantWritten[i] {
					t.Fatalf("epoch %d: written %v, want %v", e.Epoch, written, tc.wantWritten[i])
				}
				if err != nil {
					continue
				}
				// The file holds this epoch's weights.
				check := tinyModel(t)
				if err := check.Params().LoadFile(path); err != nil {
					t.Fatal(err)
				}
				if got := paramsValue(check); got != float64(e.Epoch) {
					t.Errorf("epoch %d: the file holds the weights of epoch %v", e.Epoch, got)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range entries {
				if en.Name() != "weights.bin" {
					t.Errorf("stray file %s", en.Name())
				}
			}
		})
	}
}

func TestModelCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name         string
		path         string
		monitor      metrics.Name
		saveBestOnly bool
		es           []train.Epoch
		want         string
	}{
		{"empty path", "", metrics.ValLoss, true, epochs(metrics.ValLoss, 1), "empty path"},
		{"unknown monitor", filepath.Join(dir, "w.bin"), metrics.Name("nope"), true, epochs(metrics.Acc, 1), "cannot monitor nope"},
		{"metric that cannot be monitored", filepath.Join(dir, "w.bin"), metrics.ImagesPerS, true, epochs(metrics.Acc, 1), "cannot monitor images_per_s"},
		{"best val_acc without validation", filepath.Join(dir, "w.bin"), metrics.ValAcc, true, epochs(metrics.Acc, 1), "no validation data"},
		{"unwritable path", filepath.Join(dir, "missing", "w.bin"), metrics.Loss, false, epochs(metrics.Loss, 1), filepath.Join(dir, "missing", "w.bin")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := train.New(tinyModel(t))
			if err != nil {
				t.Fatal(err)
			}
			_, err = feed(tr, train.ModelCheckpoint(tc.path, tc.monitor, tc.saveBestOnly), tc.es)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// tinyData is n random 2x2 images of two classes.
func tinyData(n int) *data.Dataset {
	ds := &data.Dataset{X: make([]float32, n*4), Y: make([]float32, n*2), Labels: make([]int, n), N: n, C: 1, H: 2, W: 2, Classes: 2}
	for i := 0; i < n; i++ {
		c := i % 2
		ds.Labels[i] = c
		ds.Y[i*2+c] = 1
		for j := 0; j < 4; j++ {
			ds.X[i*4+j] = float32((i*7+j*3)%5) / 5
		}
	}
	return ds
}

// TestEarlyStoppingInFit: with a learning rate of 0 the validation loss
// never improves, so patience 2 ends a 10-epoch Fit after epoch 3, without
// an error, and the checkpoint holds the weights.
func TestEarlyStoppingInFit(t *testing.T) {
	trainSet, val, err := train.ValidationSplit(tinyData(20), 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "best.bin")
	tr, err := train.New(tinyModel(t), train.Optimizer(optimizers.SGD(0)),
		train.Callbacks(train.EarlyStopping(metrics.ValLoss, 2, true), train.ModelCheckpoint(path, metrics.ValLoss, true)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist, err := tr.Fit(trainSet, train.Epochs(10), train.BatchSize(5), train.Validation(val))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 3 {
		t.Errorf("ran %d epochs, want 3", len(hist.Epochs))
	}
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
}

func ExampleEarlyStopping() {
	m, err := model.NewSequential([]int{3}, []layers.Layer{layers.Dense(2, layers.Activation(ops.Softmax))})
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := train.New(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Feed the callback a history by hand, as Fit would.
	cb := train.EarlyStopping(metrics.ValLoss, 2, false).(interface {
		train.TrainBeginner
		train.EpochEnder
	})
	if err := cb.OnTrainBegin(tr, train.RunInfo{}); err != nil {
		fmt.Println(err)
		return
	}
	for i, v := range []float64{0.9, 0.5, 0.6, 0.55, 0.4} {
		err := cb.OnEpochEnd(tr, train.Epoch{Epoch: i + 1, ValLoss: v, HasVal: true})
		fmt.Printf("epoch %d val_loss %.2f: %v\n", i+1, v, err)
		if err != nil {
			break
		}
	}
	// Output:
	// epoch 1 val_loss 0.90: <nil>
	// epoch 2 val_loss 0.50: <nil>
	// epoch 3 val_loss 0.60: <nil>
	// epoch 4 val_loss 0.55: stop training
}
