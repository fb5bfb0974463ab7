package train_test

import (
	"reflect"
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

// wrapped is a Source of one's own that hands out a Dataset's batches: not
// a *data.Dataset, so Fit sees only the interface. With stream set it
// says its length is unknown, as a stream does; failAt > 0 makes batch
// failAt of every epoch fail; bad makes every batch one value short.
type wrapped struct {
	ds     *data.Dataset
	stream bool
	failAt int
	bad    bool
}

func (w wrapped) Info() data.Info { return w.ds.Info() }

func (w wrapped) Len() int {
	if w.stream {
		return -1
	}
	return w.ds.Len()
}

func (w wrapped) Batches(size int, opts ...data.Option) (data.Batches, error) {
	it, err := w.ds.Batches(size, opts...)
	return &wrappedBatches{Batches: it, w: w}, err
}

type wrappedBatches struct {
	data.Batches
	w   wrapped
	n   int
	err error
}

func (b *wrappedBatches) Epoch(e int) { b.Batches.Epoch(e); b.n, b.err = 0, nil }

func (b *wrappedBatches) Next() bool {
	b.n++
	if b.n == b.w.failAt {
		b.err = errors.New("disk on fire")
		return false
	}
	return b.Batches.Next()
}

func (b *wrappedBatches) Batch() data.Batch {
	bt := b.Batches.Batch()
	if b.w.bad {
		bt.X = bt.X[:len(bt.X)-1]
	}
	return bt
}

func (b *wrappedBatches) Err() error { return b.err }

// TestFitOnSources trains on a Dataset and on Sources of one's own that
// hand out the same batches, and checks that every run ends with the same
// weights, bit for bit; a source that fails or hands out a bad batch stops
// Fit with an error that says so.
func TestFitOnSources(t *testing.T) {
	ds := tinyData(40)
	fit := func(src data.Source) (*train.Trainer, error) {
		tr, err := train.New(tinyModel(t), train.Optimizer(optimizers.Adam(0.01)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		_, err = tr.Fit(src, train.Epochs(3), train.BatchSize(8), train.Validation(wrapped{ds: ds}))
		return tr, err
	}
	ref, err := fit(ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("same batches", func(t *testing.T) {
		for _, src := range []wrapped{{ds: ds}, {ds: ds, stream: true}} {
			tr, err := fit(src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(weights(tr), weights(ref)) {
				t.Errorf("stream %v: weights differ from the Dataset's", src.stream)
			}
			if got, want := withoutTimes(tr.History().Epochs), withoutTimes(ref.History().Epochs); !reflect.DeepEqual(got, want) {
				t.Errorf("stream %v: history %+v, want %+v", src.stream, got, want)
			}
		}
	})
	for _, tc := range []struct {
		name string
		src  wrapped
		want string
	}{
		{"failing", wrapped{ds: ds, failAt: 2}, "disk on fire"},
		{"bad batch", wrapped{ds: ds, bad: true}, "holds 31 values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fit(tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestVectorsWithSparseLabels trains a classifier of vectors (no image
// axes: H and W are 0) on integer labels alone, as Keras's
// sparse_categorical_crossentropy does, with more than 256 classes, and
// evaluates it.
func TestVectorsWithSparseLabels(t *testing.T) {
	const n, features, classes = 600, 3, 300
	ds := &data.Dataset{N: n, C: features, Classes: classes, X: make([]float32, n*features), Labels: make([]int, n)}
	for i := range n {
		c := i % classes
		ds.Labels[i] = c
		ds.X[i*features+c%features] = float32(c) / classes
	}
	if got := ds.Info().Shape; !reflect.DeepEqual(got, []int{features}) {
		t.Fatalf("shape %v, want [%d]", got, features)
	}
	m, err := model.NewSequential([]int{features}, []layers.Layer{layers.Dense(classes, layers.Activation(ops.Softmax))})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(0.01)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist, err := tr.Fit(ds, train.Epochs(2), train.BatchSize(64))
	if err != nil {
		t.Fatal(err)
	}
	if e := hist.Epochs[1]; !(e.Loss > 0) || e.Images != n {
		t.Errorf("epoch 2: %+v", e)
	}
	if _, _, err := tr.Evaluate(ds); err != nil {
		t.Fatal(err)
	}
	// A label past the model's outputs is an error, not a panic.
	bad := ds.Subset([]int{0, 1})
	bad.Labels[1] = classes
	if _, err := tr.Fit(bad, train.Epochs(1)); err == nil || !strings.Contains(err.Error(), "label") {
		t.Errorf("label %d of %d classes: error %v", classes, classes, err)
	}
}
