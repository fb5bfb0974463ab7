package train_test

import (
	"reflect"
	"testing"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/train"
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
		model, err := layers.NewSequential([]int{1, 2, 2}, []layers.Layer{
			layers.Conv2D(4, 2, 2, layers.Activation("relu"), layers.Padding(layers.Same)),
			layers.Dropout(0.5),
			layers.Flatten(),
			layers.Dense(8, layers.Activation("relu")),
			layers.Dropout(0.25),
			layers.Dense(2, layers.Activation("softmax")),
		}, layers.Seed(4))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.New(model, train.WithSeed(4), train.WithOptimizer(train.Adam(1e-2)))
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		hist, err := tr.Fit(trainSet, val, 3, 8) // 30 images: batches of 8 and a last one of 6
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
