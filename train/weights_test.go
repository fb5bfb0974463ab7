package train_test

import (
	"reflect"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/train"
)

// TestClassAndSampleWeights checks that weights of 1 train exactly as no
// weights, that class weights equal the same sample weights, that they
// change training, and that bad class weights are errors.
func TestClassAndSampleWeights(t *testing.T) {
	ds := noisyData(200, 1)
	fit := func(ds *data.Dataset, opts ...train.FitOption) [][]float32 {
		tr := lrRun(t, nil)
		defer tr.Close()
		if _, err := tr.Fit(ds, append([]train.FitOption{train.Epochs(2), train.BatchSize(32)}, opts...)...); err != nil {
			t.Fatal(err)
		}
		return weightsOf(tr.Model())
	}
	plain := fit(ds)
	if !reflect.DeepEqual(fit(ds, train.ClassWeights([]float64{1, 1})), plain) {
		t.Error("class weights of 1 train differently from none")
	}
	weighted := *ds
	weighted.Weights = make([]float32, ds.N)
	for i, l := range ds.Labels {
		weighted.Weights[i] = float32(1 + 2*int(l))
	}
	bySample := fit(&weighted)
	if reflect.DeepEqual(bySample, plain) {
		t.Error("sample weights changed nothing")
	}
	if !reflect.DeepEqual(fit(ds, train.ClassWeights([]float64{1, 3})), bySample) {
		t.Error("class weights 1, 3 train differently from the same sample weights")
	}
	tr := lrRun(t, nil)
	for _, bad := range [][]float64{{1}, {1, -1}, {1, 2, 3}} {
		if _, err := tr.Fit(ds, train.ClassWeights(bad)); err == nil {
			t.Errorf("ClassWeights(%v): no error", bad)
		}
	}
	negative := *ds
	negative.Weights = make([]float32, ds.N)
	negative.Weights[3] = -1
	if _, err := tr.Fit(&negative); err == nil {
		t.Error("a negative sample weight is no error")
	}
}
