package train_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

// brightDark is n 8×8 images, bright (class 1) or dark (class 0), with
// noise.
func brightDark(n int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 5))
	ds := &data.Dataset{X: make([]float32, n*64), Labels: make([]int, n), N: n, C: 1, H: 8, W: 8, Classes: 2}
	for i := 0; i < n; i++ {
		ds.Labels[i] = i % 2
		for j := 0; j < 64; j++ {
			ds.X[i*64+j] = 0.4*float32(i%2) + 0.6*rng.Float32()
		}
	}
	return ds
}

// layerBytes returns the bytes of every parameter of each layer of m, by
// layer name, weights and running statistics alike.
func layerBytes(m *model.Model) map[string][]byte {
	out := map[string][]byte{}
	for _, p := range m.Params().List() {
		layer, _, _ := strings.Cut(p.Name, "/")
		for _, v := range p.Value.Float32s() {
			out[layer] = binary.LittleEndian.AppendUint32(out[layer], math.Float32bits(v))
		}
	}
	return out
}

// checkFrozen checks that the layers frozen kept their bytes since before
// and the others with parameters changed, and that the optimiser keeps
// no state for a frozen parameter.
func checkFrozen(t *testing.T, tr *train.Trainer, before map[string][]byte, frozen []string) {
	t.Helper()
	after := layerBytes(tr.Model())
	for layer, b := range before {
		same := bytes.Equal(b, after[layer])
		if want := slices.Contains(frozen, layer); same != want {
			t.Errorf("layer %s: unchanged %v, want %v (frozen %v)", layer, same, want, frozen)
		}
	}
	_, slots := tr.Optimizer().(optimizers.Stateful).State()
	for i, p := range tr.Model().Params().Trainable() {
		if p.Frozen != (slots[i] == nil) {
			t.Errorf("parameter %s, frozen %v, has %d optimiser state values", p.Name, p.Frozen, len(slots[i]))
		}
	}
}

// TestFitFrozen trains bnNet with some layers frozen: their weights, and
// a frozen BatchNormalization's running statistics, stay bit for bit as
// they were, the optimiser keeps no state for them, and the model still
// predicts.
func TestFitFrozen(t *testing.T) {
	ds := brightDark(96, 4)
	for _, tc := range []struct {
		name   string
		frozen []string
		err    string
	}{
		{name: "conv", frozen: []string{"conv2d_1"}},
		{name: "batch norm", frozen: []string{"batch_normalization_1"}},
		{name: "base", frozen: []string{"conv2d_1", "batch_normalization_1", "dense_1", "batch_normalization_2"}},
		{name: "head", frozen: []string{"dense_2"}},
		{name: "all", frozen: []string{"conv2d_1", "batch_normalization_1", "dense_1", "batch_normalization_2", "dense_2"}, err: "all frozen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := bnNet(t)
			if err := m.SetTrainable(false, tc.frozen...); err != nil {
				t.Fatal(err)
			}
			before := layerBytes(m)
			tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-2)))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			_, err = tr.Fit(ds, train.Epochs(2), train.BatchSize(16))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Fit: %v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkFrozen(t, tr, before, tc.frozen)
			if _, err := m.Predict(ds.X[:3*64]); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFreezeBetweenFits changes what is frozen between calls of Fit: the
// trainer rebuilds its graphs, so each Fit leaves what is frozen then.
func TestFreezeBetweenFits(t *testing.T) {
	ds := brightDark(64, 6)
	m := bnNet(t)
	tr, err := train.New(m, train.Optimizer(optimizers.RMSprop(1e-2)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for _, tc := range []struct {
		name   string
		frozen []string
	}{
		{"base frozen", []string{"conv2d_1", "batch_normalization_1"}},
		{"head frozen", []string{"dense_2"}},
		{"none frozen", nil},
		{"base frozen again", []string{"conv2d_1", "batch_normalization_1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := m.SetTrainable(true); err != nil {
				t.Fatal(err)
			}
			if err := m.SetTrainable(false, tc.frozen...); err != nil && len(tc.frozen) > 0 {
				t.Fatal(err)
			}
			if len(tc.frozen) == 0 {
				if err := m.SetTrainable(true); err != nil {
					t.Fatal(err)
				}
			}
			before := layerBytes(m)
			if _, err := tr.Fit(ds, train.Epochs(1), train.BatchSize(16)); err != nil {
				t.Fatal(err)
			}
			after := layerBytes(m)
			for layer, b := range before {
				if same := bytes.Equal(b, after[layer]); same != slices.Contains(tc.frozen, layer) {
					t.Errorf("layer %s: unchanged %v, frozen %v", layer, same, tc.frozen)
				}
			}
		})
	}
}

// TestFrozenCheckpoint checkpoints a run with a frozen base and resumes
// it in a fresh trainer on a fresh, unfrozen model: the checkpoint
// freezes it, and the resumed run ends as the uninterrupted one.
func TestFrozenCheckpoint(t *testing.T) {
	ds := brightDark(64, 8)
	frozen := []string{"conv2d_1", "batch_normalization_1"}
	newTrainer := func(freeze bool) *train.Trainer {
		m := bnNet(t)
		if freeze {
			if err := m.SetTrainable(false, frozen...); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-2)))
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	whole := newTrainer(true)
	defer whole.Close()
	if _, err := whole.Fit(ds, train.Epochs(2), train.BatchSize(16)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ckpt")
	for _, tc := range []struct {
		name       string
		freezeNew  bool // the fresh model is frozen before it restores
		wantFrozen []string
	}{
		{"fresh model unfrozen", false, frozen},
		{"fresh model frozen", true, frozen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := newTrainer(true)
			defer first.Close()
			if _, err := first.Fit(ds, train.Epochs(1), train.BatchSize(16)); err != nil {
				t.Fatal(err)
			}
			if err := first.SaveCheckpoint(path); err != nil {
				t.Fatal(err)
			}
			resumed := newTrainer(tc.freezeNew)
			defer resumed.Close()
			if err := resumed.LoadCheckpoint(path); err != nil {
				t.Fatal(err)
			}
			if got := resumed.Model().FrozenLayers(); !slices.Equal(got, tc.wantFrozen) {
				t.Fatalf("after the checkpoint, FrozenLayers = %v, want %v", got, tc.wantFrozen)
			}
			before := layerBytes(resumed.Model())
			if _, err := resumed.Fit(ds, train.UntilEpoch(2), train.BatchSize(16)); err != nil {
				t.Fatal(err)
			}
			checkFrozen(t, resumed, before, frozen)
			got, want := layerBytes(resumed.Model()), layerBytes(whole.Model())
			for layer := range want {
				if !bytes.Equal(got[layer], want[layer]) {
					t.Errorf("layer %s differs from the uninterrupted run", layer)
				}
			}
		})
	}
	// A checkpoint of an unfrozen model unfreezes the model it restores.
	plain := newTrainer(false)
	defer plain.Close()
	if err := plain.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	back := newTrainer(true)
	defer back.Close()
	if err := back.LoadCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	if got := back.Model().FrozenLayers(); got != nil {
		t.Errorf("a checkpoint with nothing frozen left %v frozen", got)
	}
}

// TestSubModelFollowsTraining trains a model and checks that its
// sub-model, made before, computes from the trained weights.
func TestSubModelFollowsTraining(t *testing.T) {
	ds := brightDark(64, 9)
	m := bnNet(t)
	sub, err := m.SubModel("dense_1")
	if err != nil {
		t.Fatal(err)
	}
	x := ds.X[:4*64]
	before, err := sub.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-2)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Fit(ds, train.Epochs(1), train.BatchSize(16)); err != nil {
		t.Fatal(err)
	}
	after, err := sub.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := m.SubModel("dense_1")
	if err != nil {
		t.Fatal(err)
	}
	want, err := fresh.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(before, after) || !slices.Equal(after, want) {
		t.Errorf("the sub-model's features did not follow training: before %v, after %v, want %v", before[:4], after[:4], want[:4])
	}
}

// TestCheckpointFrozenUnknownLayer restores a checkpoint that freezes a
// layer the model lacks: an error naming it, and nothing frozen.
func TestCheckpointFrozenUnknownLayer(t *testing.T) {
	// dropout_1 has no weights, so the two models' weights files agree.
	withDropout, err := model.NewSequential([]int{3}, []layers.Layer{layers.Dense(4), layers.Dropout(0.5), layers.Dense(2, layers.Activation(ops.Softmax))}, model.Seed(1))
	if err != nil {
		t.Fatal(err)
	}
	without, err := model.NewSequential([]int{3}, []layers.Layer{layers.Dense(4), layers.Dense(2, layers.Activation(ops.Softmax))}, model.Seed(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		frozen []string
		err    string
	}{
		{"known layer", []string{"dense_1"}, ""},
		{"unknown layer", []string{"dense_1", "dropout_1"}, `frozen layer "dropout_1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := withDropout.SetTrainable(true); err != nil {
				t.Fatal(err)
			}
			if err := withDropout.SetTrainable(false, tc.frozen...); err != nil {
				t.Fatal(err)
			}
			src, err := train.New(withDropout)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := src.WriteCheckpoint(&b); err != nil {
				t.Fatal(err)
			}
			if err := without.SetTrainable(true); err != nil {
				t.Fatal(err)
			}
			dst, err := train.New(without)
			if err != nil {
				t.Fatal(err)
			}
			err = dst.ReadCheckpoint(&b)
			if tc.err == "" {
				if err != nil || !slices.Equal(without.FrozenLayers(), tc.frozen) {
					t.Errorf("ReadCheckpoint: %v; frozen %v, want %v", err, without.FrozenLayers(), tc.frozen)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("ReadCheckpoint: %v, want an error saying %q", err, tc.err)
			}
			if got := without.FrozenLayers(); got != nil {
				t.Errorf("a refused checkpoint froze %v", got)
			}
		})
	}
}
