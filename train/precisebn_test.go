package train_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

// bnDense is a classifier of noisyData with BatchNormalization after a
// Dense layer of 3 features, and dropout after it, so that a test can
// work out the statistics by hand.
func bnDense(t testing.TB, seed uint64) *model.Model {
	t.Helper()
	m, err := model.NewSequential([]int{6}, []layers.Layer{
		layers.Dense(3), layers.BatchNormalization(), layers.ReLU(), layers.Dropout(0.2),
		layers.Dense(2, layers.Activation(ops.Softmax)),
	}, model.Seed(seed))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRecomputeBNStats: the running statistics become the exact averages,
// over the batches Fit would take first, of the batch means and of the
// unbiased batch variances of the Dense layer's outputs, worked out here
// from the weights; the weights do not change.
func TestRecomputeBNStats(t *testing.T) {
	ds := noisyData(50, 4)
	tests := []struct {
		name             string
		batches, batch   int
		epoch, wantCount int
	}{
		{"two batches", 2, 8, 0, 2},
		{"all full batches, the short one left out", 100, 8, 0, 6},
		{"one batch of another epoch", 1, 16, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := bnDense(t, 2)
			tr, err := train.New(m, train.Seed(4), train.Optimizer(optimizers.Adam(1e-2)))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			// Train a little so that the statistics and weights are not
			// the initial ones.
			if _, err := tr.Fit(ds, train.Epochs(tc.epoch+1), train.BatchSize(tc.batch)); err != nil {
				t.Fatal(err)
			}
			tr2, err := train.New(m, train.Seed(4))
			if err != nil {
				t.Fatal(err)
			}
			defer tr2.Close()
			// tr2 is at epoch 0; to read epoch tc.epoch's order, tr is.
			if tc.epoch == 0 {
				tr = tr2
			} else if got := tr.Position().Epoch; got != tc.epoch+1 {
				t.Fatalf("trainer at epoch %d", got)
			}
			epoch := tr.Position().Epoch
			p := m.Params()
			kernel, bias := float64s32(p.Lookup("dense_1/kernel").Value.Float32s()), float64s32(p.Lookup("dense_1/bias").Value.Float32s())
			before := weightsOf(m)

			// The batches, in Fit's order.
			it, err := ds.Batches(tc.batch, data.Shuffle(4), data.DropLast())
			if err != nil {
				t.Fatal(err)
			}
			defer it.Close()
			it.Epoch(epoch)
			var mean, variance [3]float64
			n := 0
			for ; n < tc.batches && it.Next(); n++ {
				b := it.Batch()
				z := make([][3]float64, b.N)
				var bm [3]float64
				for i := range z {
					for f := 0; f < 3; f++ {
						z[i][f] = bias[f]
						for j := 0; j < 6; j++ {
							z[i][f] += float64(b.X[i*6+j]) * kernel[j*3+f]
						}
						bm[f] += z[i][f] / float64(b.N)
					}
				}
				for f := 0; f < 3; f++ {
					var ss float64
					for i := range z {
						ss += (z[i][f] - bm[f]) * (z[i][f] - bm[f])
					}
					mean[f] += bm[f]
					variance[f] += ss / float64(b.N-1)
				}
			}
			if n != tc.wantCount {
				t.Fatalf("the test read %d batches, want %d", n, tc.wantCount)
			}

			if err := tr.RecomputeBNStats(ds, tc.batches, tc.batch); err != nil {
				t.Fatal(err)
			}
			gotMean, gotVar := p.Lookup("batch_normalization_1/moving_mean").Value.Float32s(), p.Lookup("batch_normalization_1/moving_variance").Value.Float32s()
			for f := 0; f < 3; f++ {
				wm, wv := mean[f]/float64(n), variance[f]/float64(n)
				if math.Abs(float64(gotMean[f])-wm) > 1e-5*(1+math.Abs(wm)) || math.Abs(float64(gotVar[f])-wv) > 1e-5*(1+wv) {
					t.Errorf("feature %d: mean %v, variance %v; want %v, %v", f, gotMean[f], gotVar[f], wm, wv)
				}
			}
			after := weightsOf(m)
			for i, q := range p.List() {
				if q.Trainable && !reflect.DeepEqual(before[i], after[i]) {
					t.Errorf("%s changed", q.Name)
				}
			}
		})
	}
}

// float64s32 returns v as float64s.
func float64s32(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// TestPreciseBNInFit: PreciseBN changes the statistics validation sees;
// a run with it, interrupted mid-epoch and resumed from its checkpoint,
// ends with the weights and history of an uninterrupted one; a negative
// count is an error.
func TestPreciseBNInFit(t *testing.T) {
	trainSet, val, err := train.ValidationSplit(noisyData(240, 5), 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	run := func(opts ...train.Option) *train.History {
		tr, err := train.New(bnDense(t, 3), append([]train.Option{train.Optimizer(optimizers.Adam(1e-2)), train.Seed(3)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		h, err := tr.Fit(trainSet, train.Epochs(2), train.BatchSize(20), train.Validation(val))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	with, without := run(train.PreciseBN(4)), run()
	if with.Epochs[0].Loss != without.Epochs[0].Loss {
		t.Error("PreciseBN changed the first epoch's training")
	}
	if with.Epochs[0].ValLoss == without.Epochs[0].ValLoss {
		t.Error("PreciseBN did not change the validation loss")
	}
	checkResumeIsExact(t, trainSet, val, 20, 2, 3, func(cbs ...train.Callback) *train.Trainer {
		tr, err := train.New(bnDense(t, 3), train.Optimizer(optimizers.Adam(1e-2)), train.Seed(3), train.PreciseBN(4), train.Callbacks(cbs...))
		if err != nil {
			t.Fatal(err)
		}
		return tr
	})
	if _, err := train.New(bnDense(t, 3), train.PreciseBN(-1)); err == nil {
		t.Error("PreciseBN(-1): no error")
	}
}
