package train_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

// bnNet is a small classifier of 8×8 images with BatchNormalization after
// a convolution (per channel) and after a Dense layer (per feature).
func bnNet(t *testing.T) *model.Model {
	t.Helper()
	m, err := model.NewSequential([]int{1, 8, 8}, []layers.Layer{
		layers.Conv2D(4, 3, 3, layers.Padding(layers.Same)),
		layers.BatchNormalization(),
		layers.ReLU(),
		layers.GlobalAveragePooling2D(),
		layers.Dense(8),
		layers.BatchNormalization(),
		layers.ReLU(),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	}, model.Seed(7))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBatchNormInference trains a network with BatchNormalization, then
// checks that its running statistics moved, that the optimiser left them
// alone (they are not among its parameters), and that a prediction does
// not depend on the rest of the batch: Predict of one image equals the
// first row of Predict of seven.
func TestBatchNormInference(t *testing.T) {
	m := bnNet(t)
	// 8×8 images, bright (class 1) or dark (class 0), with noise.
	rng := rand.New(rand.NewPCG(4, 5))
	ds := &data.Dataset{X: make([]float32, 200*64), Labels: make([]int, 200), N: 200, C: 1, H: 8, W: 8, Classes: 2}
	for i := 0; i < 200; i++ {
		ds.Labels[i] = i % 2
		for j := 0; j < 64; j++ {
			ds.X[i*64+j] = 0.4*float32(i%2) + 0.6*rng.Float32()
		}
	}
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-2)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Fit(ds, train.Epochs(2), train.BatchSize(32)); err != nil {
		t.Fatal(err)
	}
	mean := m.Params().Lookup("batch_normalization_1/moving_mean")
	if mean == nil || mean.Trainable || slices.Equal(mean.Value.Float32s(), make([]float32, 4)) {
		t.Fatalf("moving_mean %+v did not move, or is trainable", mean)
	}
	st, slots := tr.Optimizer().(optimizers.Stateful).State()
	if len(slots) != len(m.Params().Trainable()) || len(m.Params().Trainable()) != len(m.Params().List())-4 {
		t.Fatalf("optimizer state after %d steps for %d parameters; the model has %d trainable of %d", st, len(slots), len(m.Params().Trainable()), len(m.Params().List()))
	}
	x := ds.X[:7*64]
	seven, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	one, err := m.Predict(x[:64])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(one, seven[:2]) {
		t.Fatalf("Predict of one image %v differs from the first of seven %v", one, seven[:2])
	}
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Non-trainable params: 24") {
		t.Fatalf("summary does not count the 24 running statistics as non-trainable:\n%s", b.String())
	}
}

// TestBatchNormFormula checks inference mode against the formula
// gamma·(x−mean)/√(var+ε)+beta with given running statistics.
func TestBatchNormFormula(t *testing.T) {
	m, err := model.NewSequential([]int{3}, []layers.Layer{layers.BatchNormalization(layers.Epsilon(0.5))})
	if err != nil {
		t.Fatal(err)
	}
	set := func(name string, v ...float32) {
		copy(m.Params().Lookup("batch_normalization_1/"+name).Value.Float32s(), v)
	}
	set("gamma", 2, -1, 0.5)
	set("beta", 0.1, 0.2, 0.3)
	set("moving_mean", 1, -2, 0)
	set("moving_variance", 4, 0.5, 2)
	x := []float32{3, 1, -1}
	y, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{2*(3-1)/math.Sqrt(4.5) + 0.1, -1*(1+2)/math.Sqrt(1) + 0.2, 0.5*(-1-0)/math.Sqrt(2.5) + 0.3}
	for i := range want {
		if math.Abs(float64(y[i])-want[i]) > 1e-6 {
			t.Fatalf("BatchNormalization gives %v, the formula %v", y, want)
		}
	}
	var b strings.Builder
	big, err := model.NewSequential([]int{32, 4, 4}, []layers.Layer{layers.BatchNormalization()})
	if err != nil {
		t.Fatal(err)
	}
	big.Summary(&b)
	for _, want := range []string{"batch_normalization_1 (BatchNormalization)  (None, 32, 4, 4)  128", "Trainable params: 64", "Non-trainable params: 64"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

// TestBatchNormResumeIsExact interrupts a run of a network with
// BatchNormalization mid-epoch, resumes it from the checkpoint, and checks
// that it ends with the weights, running statistics included, of an
// uninterrupted run.
func TestBatchNormResumeIsExact(t *testing.T) {
	ds := noisyData(300, 1)
	build := func(cb train.Callback) *train.Trainer {
		m, err := model.NewSequential([]int{6}, []layers.Layer{
			layers.Dense(16), layers.BatchNormalization(), layers.ReLU(), layers.Dropout(0.2),
			layers.Dense(2, layers.Activation(ops.Softmax)),
		}, model.Seed(3))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-2)), train.Callbacks(cb))
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	none := train.BatchFunc(func(*train.Trainer, train.BatchEnd) error { return nil })
	fit := func(tr *train.Trainer) error {
		_, err := tr.Fit(ds, train.UntilEpoch(3), train.BatchSize(32))
		return err
	}
	whole := build(none)
	if err := fit(whole); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("interrupted")
	first := build(train.BatchFunc(func(_ *train.Trainer, b train.BatchEnd) error {
		if b.Epoch == 2 && b.Batch == 4 {
			return stop
		}
		return nil
	}))
	if err := fit(first); !errors.Is(err, stop) {
		t.Fatal(err)
	}
	path := t.TempDir() + "/ckpt"
	if err := first.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	resumed := build(none)
	if err := resumed.LoadCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	if err := fit(resumed); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	whole.Model().Params().MarshalBinaryTo(&a)
	resumed.Model().Params().MarshalBinaryTo(&b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) || !reflect.DeepEqual(weightsOf(whole.Model()), weightsOf(resumed.Model())) {
		t.Fatal("the resumed run ends with other weights or running statistics than the uninterrupted one")
	}
	os.Remove(path)
}

// TestModernResumeIsExact resumes, mid-epoch, a run of a convolutional
// network with BatchNormalization, a cosine schedule with warm-up and
// augmentation; it must end with the weights (running statistics
// included) of an uninterrupted run, and augmentation must change them.
func TestModernResumeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	ds := &data.Dataset{X: make([]float32, 160*64), Labels: make([]int, 160), N: 160, C: 1, H: 8, W: 8, Classes: 2}
	for i := range ds.Labels {
		ds.Labels[i] = i % 2
		for j := 0; j < 64; j++ {
			if (j%8 < 4) == (i%2 == 1) {
				ds.X[i*64+j] = 0.5 + 0.5*rng.Float32()
			}
		}
	}
	build := func(aug *data.Augmentation, cbs ...train.Callback) *train.Trainer {
		m, err := model.NewSequential([]int{1, 8, 8}, []layers.Layer{
			layers.Conv2D(4, 3, 3, layers.Padding(layers.Same)), layers.BatchNormalization(), layers.ReLU(),
			layers.GlobalAveragePooling2D(), layers.Dense(2, layers.Activation(ops.Softmax)),
		}, model.Seed(5))
		if err != nil {
			t.Fatal(err)
		}
		opts := []train.Option{train.Optimizer(optimizers.Adam(1e-2)), train.Callbacks(cbs...),
			train.Schedule(optimizers.CosineDecay(1e-3, 20, 0.1, 5, 1e-2))}
		if aug != nil {
			opts = append(opts, train.Augmentation(aug))
		}
		tr, err := train.New(m, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	aug := &data.Augmentation{Shift: 0.15, Rotation: 15, Zoom: 0.1, Seed: 2}
	fit := func(tr *train.Trainer) error {
		_, err := tr.Fit(ds, train.UntilEpoch(4), train.BatchSize(32))
		return err
	}
	weights := func(tr *train.Trainer) []byte {
		var b bytes.Buffer
		tr.Model().Params().MarshalBinaryTo(&b)
		return b.Bytes()
	}
	whole, plain := build(aug), build(nil)
	if err := fit(whole); err != nil {
		t.Fatal(err)
	}
	if err := fit(plain); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(weights(whole), weights(plain)) {
		t.Fatal("augmentation changed nothing")
	}
	stop := errors.New("interrupted")
	first := build(aug, train.BatchFunc(func(_ *train.Trainer, b train.BatchEnd) error {
		if b.Epoch == 3 && b.Batch == 2 {
			return stop
		}
		return nil
	}))
	if err := fit(first); !errors.Is(err, stop) {
		t.Fatal(err)
	}
	var ckpt bytes.Buffer
	if err := first.WriteCheckpoint(&ckpt); err != nil {
		t.Fatal(err)
	}
	resumed := build(aug, train.NopCallback{})
	if err := resumed.ReadCheckpoint(&ckpt); err != nil {
		t.Fatal(err)
	}
	if err := fit(resumed); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(weights(whole), weights(resumed)) {
		t.Fatal("the resumed run ends with other weights or statistics than the uninterrupted one")
	}
}
