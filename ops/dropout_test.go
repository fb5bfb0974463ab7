package ops_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// TestDropoutGradients checks the dropout gradient, dy·mask/(1−rate),
// against finite differences with checkGrad; the mask is frozen so that
// every run of the graph computes the same function.
func TestDropoutGradients(t *testing.T) {
	dropout := func(rate float64, shape ...int) buildFn {
		return func(g *graph.Graph) (*G.Node, error) {
			return ops.Dropout(param(t, g, "x", shape...), rate, 11, ops.FreezeMask())
		}
	}
	tests := []struct {
		name  string
		build buildFn
		loss  lossFn
	}{
		{"dropout 0.5 matrix", dropout(0.5, 4, 5), ops.MeanSquaredError},
		{"dropout 0.2 images", dropout(0.2, 2, 2, 3, 3), ops.MeanAbsoluteError},
		{"dropout 0.9", dropout(0.9, 3, 6), ops.MeanSquaredError},
		{"dropout after conv then tanh", func(g *graph.Graph) (*G.Node, error) {
			y, err := ops.Conv2D(param(t, g, "x", 2, 1, 5, 5), param(t, g, "w", 2, 1, 3, 3), param(t, g, "b", 2), ops.ConvOpts{}, true)
			if err != nil {
				return nil, err
			}
			if y, err = ops.Dropout(y, 0.4, 3, ops.FreezeMask()); err != nil {
				return nil, err
			}
			return ops.Activate(y, ops.Tanh)
		}, ops.MeanSquaredError},
		{"dropout before softmax cross-entropy", func(g *graph.Graph) (*G.Node, error) {
			return ops.Dropout(param(t, g, "x", 3, 5), 0.3, 5, ops.FreezeMask())
		}, ops.SoftmaxCrossEntropy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkGrad(t, tc.build, tc.loss) })
	}
}

// dropoutRuns builds y = Dropout(x) over an all-ones x of n values in the
// given dtype and returns y's values after each of runs runs.
func dropoutRuns(t *testing.T, dt tensor.Dtype, n int, rate float64, seed uint64, runs int, opts ...ops.DropoutOption) [][]float64 {
	t.Helper()
	params, err := graph.NewParams(dt, 1)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params, graph.Training(true))
	x := g.Input("x", 1, n)
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	if err := graph.Set(x, ones); err != nil {
		t.Fatal(err)
	}
	y, err := ops.Dropout(x, rate, seed, opts...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var out [][]float64
	for range runs {
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		v, err := graph.Read[float64](y, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestDropoutForward checks inverted dropout's forward pass: the kept
// fraction is about 1−rate, kept values are scaled by 1/(1−rate), a new mask
// is drawn on every run unless frozen, and a seed fixes the masks.
func TestDropoutForward(t *testing.T) {
	const n = 20000
	tests := []struct {
		name   string
		dt     tensor.Dtype
		rate   float64
		freeze bool
	}{
		{"float32 rate 0.5", tensor.Float32, 0.5, false},
		{"float64 rate 0.25", tensor.Float64, 0.25, false},
		{"float32 rate 0.8 frozen", tensor.Float32, 0.8, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []ops.DropoutOption
			if tc.freeze {
				opts = append(opts, ops.FreezeMask())
			}
			runs := dropoutRuns(t, tc.dt, n, tc.rate, 42, 3, opts...)
			scale := 1 / (1 - tc.rate)
			for r, y := range runs {
				kept := 0
				for i, v := range y {
					switch {
					case v == 0:
					case math.Abs(v-scale) < 1e-6:
						kept++
					default:
						t.Fatalf("run %d: y[%d] = %v, want 0 or %v", r, i, v, scale)
					}
				}
				if frac := float64(kept) / n; math.Abs(frac-(1-tc.rate)) > 0.02 {
					t.Errorf("run %d: kept %.3f of the values, want about %.3f", r, frac, 1-tc.rate)
				}
			}
			same := slices.Equal(runs[0], runs[1]) && slices.Equal(runs[1], runs[2])
			if same != tc.freeze {
				t.Errorf("masks of three runs identical = %v, want %v", same, tc.freeze)
			}
			again := dropoutRuns(t, tc.dt, n, tc.rate, 42, 3, opts...)
			for r := range runs {
				if !slices.Equal(runs[r], again[r]) {
					t.Errorf("run %d: the same seed gave a different mask", r)
				}
			}
			if other := dropoutRuns(t, tc.dt, n, tc.rate, 43, 1, opts...); slices.Equal(other[0], runs[0]) {
				t.Error("another seed gave the same mask")
			}
		})
	}
}

// TestDropoutStepMasks checks that with StepMasks the mask of a run
// depends on the seed and the step alone: the same step gives the same
// mask, in the same graph or in a new one (as after a resume), and
// another step another mask.
func TestDropoutStepMasks(t *testing.T) {
	stepsOf := func(steps ...uint64) ops.DropoutOption {
		i := 0
		return ops.StepMasks(func() uint64 { i++; return steps[i-1] })
	}
	runs := dropoutRuns(t, tensor.Float32, 1000, 0.5, 7, 3, stepsOf(5, 6, 5))
	if !slices.Equal(runs[0], runs[2]) {
		t.Error("step 5 twice in one graph: different masks")
	}
	if slices.Equal(runs[0], runs[1]) {
		t.Error("steps 5 and 6: the same mask")
	}
	if fresh := dropoutRuns(t, tensor.Float32, 1000, 0.5, 7, 1, stepsOf(6)); !slices.Equal(fresh[0], runs[1]) {
		t.Error("step 6 in a new graph: a different mask")
	}
	if other := dropoutRuns(t, tensor.Float32, 1000, 0.5, 8, 1, stepsOf(5)); slices.Equal(other[0], runs[0]) {
		t.Error("another seed at the same step: the same mask")
	}
}

// TestDropoutRate checks that a rate outside [0, 1) is an error and that a
// rate of 0 returns the input node itself.
func TestDropoutRate(t *testing.T) {
	params, err := graph.NewParams(tensor.Float64, 1)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params)
	x := g.Input("x", 2, 3)
	tests := []struct {
		name    string
		rate    float64
		wantErr bool
	}{
		{"zero", 0, false},
		{"half", 0.5, false},
		{"one", 1, true},
		{"negative", -0.1, true},
		{"above one", 1.5, true},
		{"NaN", math.NaN(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y, err := ops.Dropout(x, tc.rate, 1)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "rate") {
					t.Fatalf("err = %v, want an error about the rate", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (y == x) != (tc.rate == 0) {
				t.Errorf("rate %v: output is the input node = %v", tc.rate, y == x)
			}
		})
	}
}
