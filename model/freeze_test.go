package model

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// bnSmall is a small classifier of 1×6×6 images with BatchNormalization:
// conv2d_1, batch_normalization_1, flatten_1, dense_1.
func bnSmall(t testing.TB) *Model {
	t.Helper()
	m, err := NewSequential([]int{1, 6, 6}, []layers.Layer{
		layers.Conv2D(2, 3, 3),
		layers.BatchNormalization(),
		layers.Flatten(),
		layers.Dense(3, layers.Activation(ops.Softmax)),
	}, Seed(3))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// frozenParams returns the names of m's frozen parameters.
func frozenParams(m *Model) []string {
	var out []string
	for _, q := range m.Params().List() {
		if q.Frozen {
			out = append(out, q.Name)
		}
	}
	return out
}

// TestSetTrainable freezes and unfreezes layers by name and checks the
// layers' and their parameters' flags.
func TestSetTrainable(t *testing.T) {
	for _, tc := range []struct {
		name       string
		freeze     []string // frozen first
		trainable  bool
		names      []string
		wantLayers []string
		wantParams []string
		err        string
	}{
		{name: "freeze one", names: []string{"conv2d_1"}, wantLayers: []string{"conv2d_1"}, wantParams: []string{"conv2d_1/kernel", "conv2d_1/bias"}},
		{name: "freeze BN", names: []string{"batch_normalization_1"}, wantLayers: []string{"batch_normalization_1"},
			wantParams: []string{"batch_normalization_1/gamma", "batch_normalization_1/beta", "batch_normalization_1/moving_mean", "batch_normalization_1/moving_variance"}},
		{name: "freeze all", wantLayers: []string{"conv2d_1", "batch_normalization_1", "flatten_1", "dense_1"}},
		{name: "unfreeze one", freeze: []string{"conv2d_1", "dense_1"}, trainable: true, names: []string{"conv2d_1"}, wantLayers: []string{"dense_1"}, wantParams: []string{"dense_1/kernel", "dense_1/bias"}},
		{name: "unfreeze all", freeze: []string{"conv2d_1", "dense_1"}, trainable: true},
		{name: "unknown", freeze: []string{"dense_1"}, names: []string{"conv2d_1", "dense_9"}, wantLayers: []string{"dense_1"}, wantParams: []string{"dense_1/kernel", "dense_1/bias"}, err: `no layer "dense_9"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := bnSmall(t)
			if len(tc.freeze) > 0 {
				if err := m.SetTrainable(false, tc.freeze...); err != nil {
					t.Fatal(err)
				}
			}
			err := m.SetTrainable(tc.trainable, tc.names...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "conv2d_1, batch_normalization_1") {
					t.Errorf("SetTrainable: %v, want an error saying %q and listing the layers", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := m.FrozenLayers(); !slices.Equal(got, tc.wantLayers) {
				t.Errorf("FrozenLayers = %v, want %v", got, tc.wantLayers)
			}
			if tc.name == "freeze all" {
				tc.wantParams = nil
				for _, q := range m.Params().List() {
					tc.wantParams = append(tc.wantParams, q.Name)
				}
			}
			if got := frozenParams(m); !slices.Equal(got, tc.wantParams) {
				t.Errorf("frozen parameters %v, want %v", got, tc.wantParams)
			}
			for _, l := range m.Layers() {
				tr, err := m.Trainable(l.Name())
				if err != nil || tr == slices.Contains(tc.wantLayers, l.Name()) {
					t.Errorf("Trainable(%s) = %v, %v", l.Name(), tr, err)
				}
			}
		})
	}
	if _, err := bnSmall(t).Trainable("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Trainable of an unknown layer: %v", err)
	}
}

// TestSummaryCountsFrozen checks that Summary counts a frozen layer's
// weights as non-trainable, as Keras does.
func TestSummaryCountsFrozen(t *testing.T) {
	// conv2d_1: 2·1·3·3+2 = 20; BN: 2 gamma, 2 beta, 4 moving;
	// dense_1: 32·3+3 = 99. Total 127; trainable without freezing 123.
	for _, tc := range []struct {
		frozen         []string
		trainable, non string
	}{
		{nil, "Trainable params: 123", "Non-trainable params: 4"},
		{[]string{"conv2d_1"}, "Trainable params: 103", "Non-trainable params: 24"},
		{[]string{"batch_normalization_1"}, "Trainable params: 119", "Non-trainable params: 8"},
		{[]string{"conv2d_1", "batch_normalization_1", "dense_1"}, "Trainable params: 0", "Non-trainable params: 127"},
	} {
		t.Run(strings.Join(tc.frozen, ","), func(t *testing.T) {
			m := bnSmall(t)
			if len(tc.frozen) > 0 {
				if err := m.SetTrainable(false, tc.frozen...); err != nil {
					t.Fatal(err)
				}
			}
			var b strings.Builder
			if err := m.Summary(&b); err != nil {
				t.Fatal(err)
			}
			if s := b.String(); !strings.Contains(s, "Total params: 127\n") || !strings.Contains(s, tc.trainable+"\n") || !strings.Contains(s, tc.non+"\n") {
				t.Errorf("summary:\n%s\nwant %q and %q", s, tc.trainable, tc.non)
			}
		})
	}
}

// TestFrozenRoundTrip saves a model with frozen layers and checks that the
// file records them, that loading restores them, that predictions are
// unchanged and that a model with none frozen writes no "frozen" at all.
func TestFrozenRoundTrip(t *testing.T) {
	x := randomImages(5, 36, 9)
	for _, tc := range []struct {
		name   string
		frozen []string
	}{
		{"none", nil},
		{"base", []string{"conv2d_1", "batch_normalization_1"}},
		{"head", []string{"dense_1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := bnSmall(t)
			if len(tc.frozen) > 0 {
				if err := m.SetTrainable(false, tc.frozen...); err != nil {
					t.Fatal(err)
				}
			}
			want, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := m.Write(&b, nil); err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(b.String(), `"frozen":true`); got != len(tc.frozen) {
				t.Errorf("the file says \"frozen\":true %d times, want %d", got, len(tc.frozen))
			}
			spec, err := m.Spec()
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range spec.Layers {
				if l.Frozen != slices.Contains(tc.frozen, l.Name) {
					t.Errorf("Spec: layer %s Frozen %v", l.Name, l.Frozen)
				}
			}
			back, _, err := Read(&b)
			if err != nil {
				t.Fatal(err)
			}
			if got := back.FrozenLayers(); !slices.Equal(got, tc.frozen) {
				t.Errorf("loaded FrozenLayers = %v, want %v", got, tc.frozen)
			}
			if got, want := frozenParams(back), frozenParams(m); !slices.Equal(got, want) {
				t.Errorf("loaded frozen parameters %v, want %v", got, want)
			}
			got, err := back.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("the loaded model predicts %v, the saved one %v", got, want)
			}
		})
	}
}
