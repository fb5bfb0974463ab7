package model

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// mlp is a model of 4 features: dense_1 (3 units, no activation), then
// dense_2 (2 units, softmax).
func mlp(t testing.TB, opts ...Option) *Model {
	t.Helper()
	m, err := NewSequential([]int{4}, []layers.Layer{layers.Dense(3), layers.Dense(2, layers.Activation(ops.Softmax))}, append([]Option{Seed(5)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// dense computes x·W + b for n examples with the weights of layer name of
// m, in float64.
func dense(m *Model, name string, x []float32, n int) []float64 {
	w := m.Params().Lookup(name + "/kernel").Value
	b := m.Params().Lookup(name + "/bias").Value.Float32s()
	in, units := w.Shape()[0], w.Shape()[1]
	wv := w.Float32s()
	out := make([]float64, 0, n*units)
	for e := 0; e < n; e++ {
		for u := 0; u < units; u++ {
			s := float64(b[u])
			for i := 0; i < in; i++ {
				s += float64(x[e*in+i]) * float64(wv[i*units+u])
			}
			out = append(out, s)
		}
	}
	return out
}

// close reports whether a and b agree to float32 rounding.
func closeTo(a []float32, b []float64) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d values, want %d", len(a), len(b))
	}
	for i := range a {
		if d := float64(a[i]) - b[i]; d > 1e-5 || d < -1e-5 {
			return fmt.Errorf("value %d is %v, want %v", i, a[i], b[i])
		}
	}
	return nil
}

// TestLayerAndOutput looks layers up by name.
func TestLayerAndOutput(t *testing.T) {
	m := mlp(t)
	for _, tc := range []struct {
		name, typ, err string
	}{
		{name: "dense_1", typ: "Dense"},
		{name: "dense_2", typ: "Dense"},
		{name: "dense_3", err: `no layer "dense_3" (the layers are dense_1, dense_2)`},
		{name: "input_1", err: `no layer "input_1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := m.Layer(tc.name)
			out, oerr := m.Output(tc.name)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || oerr == nil {
					t.Errorf("Layer: %v, Output: %v; want an error saying %q", err, oerr, tc.err)
				}
				return
			}
			if err != nil || oerr != nil {
				t.Fatal(err, oerr)
			}
			if l.Type() != tc.typ || l.Name() != tc.name || out.layer != l {
				t.Errorf("Layer(%s) = %s %s; Output's layer %v", tc.name, l.Type(), l.Name(), out.layer)
			}
		})
	}
	if in := m.Inputs(); len(in) != 1 || in[0] != m.inputs[0] {
		t.Errorf("Inputs = %v", in)
	}
}

// TestSubModel checks a sub-model's features against a computation by
// hand, that it shares the parent's weights (a change to them shows in
// both), and that it saves only its own layers.
func TestSubModel(t *testing.T) {
	m := mlp(t)
	x := randomImages(3, 4, 2)
	for _, tc := range []struct {
		name    string
		outputs []string
		sizes   []int
		err     string
	}{
		{name: "hidden", outputs: []string{"dense_1"}, sizes: []int{3}},
		{name: "both", outputs: []string{"dense_1", "dense_2"}, sizes: []int{3, 2}},
		{name: "none", err: "no output"},
		{name: "unknown", outputs: []string{"dense_7"}, err: `no layer "dense_7"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := m.SubModel(tc.outputs...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("SubModel: %v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			if !slices.Equal(sub.OutputSizes(), tc.sizes) {
				t.Fatalf("output sizes %v, want %v", sub.OutputSizes(), tc.sizes)
			}
			check := func(when string) {
				got, err := sub.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				k := sub.OutputSize()
				var feats []float32
				for e := 0; e < 3; e++ {
					feats = append(feats, got[e*k:e*k+3]...)
				}
				if err := closeTo(feats, dense(m, "dense_1", x, 3)); err != nil {
					t.Errorf("%s: dense_1's features: %v", when, err)
				}
			}
			check("as made")
			q := sub.Params().Lookup("dense_1/kernel")
			if q == nil || q != m.Params().Lookup("dense_1/kernel") {
				t.Fatal("the sub-model does not hold the parent's dense_1/kernel itself")
			}
			// A change of the parent's weights (training) shows in the
			// sub-model, whose graphs are compiled already.
			for i := range q.Value.Float32s() {
				q.Value.Float32s()[i] += 0.5
			}
			defer func() {
				for i := range q.Value.Float32s() {
					q.Value.Float32s()[i] -= 0.5
				}
			}()
			check("after the parent's weights changed")
			var b bytes.Buffer
			if err := sub.Write(&b, nil); err != nil {
				t.Fatal(err)
			}
			back, _, err := Read(&b)
			if err != nil {
				t.Fatal(err)
			}
			if back.Params().Count() != sub.Params().Count() || len(back.Layers()) != len(sub.Layers()) {
				t.Errorf("loaded sub-model has %d values in %d layers, want %d in %d", back.Params().Count(), len(back.Layers()), sub.Params().Count(), len(sub.Layers()))
			}
		})
	}
}

// TestSubModelSharesFreezing checks that a layer frozen in the parent is
// frozen in its sub-model and the other way round.
func TestSubModelSharesFreezing(t *testing.T) {
	m := mlp(t)
	sub, err := m.SubModel("dense_1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		from      *Model
		trainable bool
	}{
		{"freeze in the parent", m, false},
		{"unfreeze in the sub-model", sub, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.from.SetTrainable(tc.trainable, "dense_1"); err != nil {
				t.Fatal(err)
			}
			for _, x := range []*Model{m, sub} {
				if tr, err := x.Trainable("dense_1"); err != nil || tr != tc.trainable || x.Params().Lookup("dense_1/kernel").Frozen == tc.trainable {
					t.Errorf("Trainable = %v, %v; want %v", tr, err, tc.trainable)
				}
			}
		})
	}
}

// TestSubModelPredictConcurrent predicts from a model and its sub-model
// at once, from many goroutines, with graphs compiled on the way, and
// checks every result against the serial one. Run with -race.
func TestSubModelPredictConcurrent(t *testing.T) {
	m := smallNet(t, MaxBatch(4), MaxConcurrent(2))
	sub, err := m.SubModel("flatten_1")
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(7, 144, 3)
	want := map[*Model][]float32{}
	for _, mm := range []*Model{m, sub} {
		if want[mm], err = mm.Predict(x); err != nil {
			t.Fatal(err)
		}
	}
	// Fresh models compile while the others run.
	m2 := smallNet(t, MaxBatch(4), MaxConcurrent(2))
	sub2, err := m2.SubModel("flatten_1")
	if err != nil {
		t.Fatal(err)
	}
	want[m2], want[sub2] = want[m], want[sub]
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		mm := []*Model{m, sub, m2, sub2}[g%4]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				n := 1 + (g+i)%7
				got, err := mm.Predict(x[:n*144])
				if err != nil {
					errs <- err
					return
				}
				if k := mm.OutputSize(); !slices.Equal(got, want[mm][:n*k]) {
					errs <- fmt.Errorf("goroutine %d: %d examples differ from the serial run", g, n)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestNewHead puts a new head on a loaded model's layer output: the new
// model shares the base's weights, its new layers take no name of the old
// model (not even of its unused head), and an explicit clash is an error.
func TestNewHead(t *testing.T) {
	var b bytes.Buffer
	if err := small(t).Write(&b, nil); err != nil { // conv2d_1, flatten_1, dense_1
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		head      []layers.Layer
		wantNames []string
		err       string
	}{
		{name: "automatic names", head: []layers.Layer{layers.Dense(4), layers.Dense(2)}, wantNames: []string{"conv2d_1", "flatten_1", "dense_2", "dense_3"}},
		{name: "explicit name", head: []layers.Layer{named(layers.Dense(2), "new_head")}, wantNames: []string{"conv2d_1", "flatten_1", "new_head"}},
		{name: "clash", head: []layers.Layer{named(layers.Dense(2), "dense_1")}, err: "new layer dense_1 (Dense) takes the name of a layer of the model it is built on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _, err := Read(bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			x, err := base.Output("flatten_1")
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range tc.head {
				x = Apply(l, x)
			}
			head, err := New(base.Inputs(), []*Node{x})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("New: %v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, l := range head.Layers() {
				names = append(names, l.Name())
			}
			if !slices.Equal(names, tc.wantNames) {
				t.Errorf("layers %v, want %v", names, tc.wantNames)
			}
			for _, q := range base.Params().List() {
				if strings.HasPrefix(q.Name, "conv2d_1/") && head.Params().Lookup(q.Name) != q {
					t.Errorf("the new model does not share %s", q.Name)
				}
			}
			if head.Params().Lookup("dense_1/kernel") != nil {
				t.Error("the new model holds the old head's weights")
			}
			// Freezing the base through the new model freezes the
			// layer itself; saving and loading keeps it.
			if err := head.SetTrainable(false, "conv2d_1"); err != nil {
				t.Fatal(err)
			}
			if tr, _ := base.Trainable("conv2d_1"); tr {
				t.Error("conv2d_1 frozen in the new model is trainable in the base")
			}
			xs := randomImages(2, 50, 4)
			want, err := head.Predict(xs)
			if err != nil {
				t.Fatal(err)
			}
			var hb bytes.Buffer
			if err := head.Write(&hb, nil); err != nil {
				t.Fatal(err)
			}
			back, _, err := Read(&hb)
			if err != nil {
				t.Fatal(err)
			}
			got, err := back.Predict(xs)
			if err != nil || !slices.Equal(got, want) || !slices.Equal(back.FrozenLayers(), []string{"conv2d_1"}) {
				t.Errorf("loaded head predicts %v, %v (want %v), frozen %v", got, err, want, back.FrozenLayers())
			}
		})
	}
}

// named names l.
func named(l layers.Layer, name string) layers.Layer {
	l.SetName(name)
	return l
}
