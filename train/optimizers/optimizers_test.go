package optimizers

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
)

// TestOptimizerStep checks one or two steps of each optimiser against its
// formula worked by hand for w = 0.5, g = 0.2 (then g = -0.1).
func TestOptimizerStep(t *testing.T) {
	tests := []struct {
		name string
		opt  Optimizer
		want []float64 // w after each step
	}{
		// v = 0.1·0.04 = 0.004; w = 0.5 − 0.01·0.2/(√0.004 + 1e-7)
		{"rmsprop", RMSprop(0.01), []float64{0.5 - 0.01*0.2/(math.Sqrt(0.004)+1e-7)}},
		{"sgd", SGD(0.1), []float64{0.48, 0.49}},
		// v = −0.02, w = 0.48; v = 0.9·(−0.02) + 0.01 = −0.008, w = 0.472
		{"momentum", Momentum(0.1, 0.9, false), []float64{0.48, 0.472}},
		// w = 0.5 + 0.9·(−0.02) − 0.02 = 0.462
		{"nesterov", Momentum(0.1, 0.9, true), []float64{0.462}},
		// a = 0.1 + 0.04 = 0.14, w = 0.5 − 0.1·0.2/(√0.14 + 1e-7)
		{"adagrad", Adagrad(0.1), []float64{0.5 - 0.1*0.2/(math.Sqrt(0.14)+1e-7)}},
		// m = 0.02, v = 0.00004; lr_t = 0.1·√0.001/0.1; w = 0.5 − lr_t·0.02/(√0.00004 + 1e-7)
		{"adam", Adam(0.1), []float64{0.5 - 0.1*math.Sqrt(0.001)/0.1*0.02/(math.Sqrt(0.00004)+1e-7)}},
		// Decay first: w = 0.5 − 0.1·0.004·0.5 = 0.4998, then Adam's step
		// as above. Step 2: w = w₁ − 0.1·0.004·w₁; m = 0.9·0.02 − 0.1·0.1
		// = 0.008, v = 0.999·0.00004 + 0.001·0.01 = 0.00004996, lr_t =
		// 0.1·√(1−0.999²)/(1−0.9²).
		{"adamw", AdamW(0.1), []float64{
			0.4998 - 0.1*math.Sqrt(0.001)/0.1*0.02/(math.Sqrt(0.00004)+1e-7),
			adamW2(0.4998 - 0.1*math.Sqrt(0.001)/0.1*0.02/(math.Sqrt(0.00004)+1e-7)),
		}},
		// The same decay with another rule: w = 0.5 − 0.1·0.01·0.5 − 0.1·0.2.
		{"sgd with weight decay", SGD(0.1, WeightDecay(0.01)), []float64{0.5 - 0.0005 - 0.02}},
		// |g| = 0.2 > 0.05: g is clipped to 0.05, then −0.05.
		{"sgd clipnorm", SGD(0.1, ClipNorm(0.05)), []float64{0.495, 0.5}},
		{"sgd clipvalue", SGD(0.1, ClipValue(0.15)), []float64{0.485, 0.495}},
		{"adamw with decay 0 is adam", AdamW(0.1, WeightDecay(0)), []float64{0.5 - 0.1*math.Sqrt(0.001)/0.1*0.02/(math.Sqrt(0.00004)+1e-7)}},
	}
	grads := []float64{0.2, -0.1}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &graph.Param{Name: "w", Value: tensor.New(tensor.WithBacking([]float64{0.5}))}
			for i, want := range tc.want {
				g := tensor.New(tensor.WithBacking([]float64{grads[i]}))
				if err := tc.opt.Update([]*graph.Param{w}, []*tensor.Dense{g}); err != nil {
					t.Fatal(err)
				}
				if got := w.Value.Float64s()[0]; math.Abs(got-want) > 1e-12 {
					t.Fatalf("step %d: w = %.15g, want %.15g", i+1, got, want)
				}
			}
		})
	}
}

// adamW2 is AdamW(0.1)'s second step from w₁ with g = −0.1.
func adamW2(w1 float64) float64 {
	w := w1 - 0.1*0.004*w1
	m, v := 0.9*0.02+0.1*-0.1, 0.999*0.00004+0.001*0.01
	return w - 0.1*math.Sqrt(1-0.999*0.999)/(1-0.9*0.9)*m/(math.Sqrt(v)+1e-7)
}

// TestClipping checks each kind of clipping on two parameters whose
// gradients have norms 5 and 1, with SGD(lr=1) from w = 0, so that w ends
// as minus the clipped gradient.
func TestClipping(t *testing.T) {
	r := 2 / math.Sqrt(26) // the global norm is √(25 + 1)
	tests := []struct {
		name string
		opt  Option
		want [2][2]float64
	}{
		{"clipnorm", ClipNorm(2), [2][2]float64{{-1.2, -1.6}, {-0.6, -0.8}}},
		{"clipnorm above every norm", ClipNorm(10), [2][2]float64{{-3, -4}, {-0.6, -0.8}}},
		{"global clipnorm", GlobalClipNorm(2), [2][2]float64{{-3 * r, -4 * r}, {-0.6 * r, -0.8 * r}}},
		{"global clipnorm above the norm", GlobalClipNorm(6), [2][2]float64{{-3, -4}, {-0.6, -0.8}}},
		{"clipvalue", ClipValue(0.7), [2][2]float64{{-0.7, -0.7}, {-0.6, -0.7}}},
	}
	for _, tc := range tests {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			t.Run(tc.name+"/"+dt.String(), func(t *testing.T) {
				vals := func(v ...float64) *tensor.Dense {
					if dt == tensor.Float64 {
						return tensor.New(tensor.WithBacking(v))
					}
					return tensor.New(tensor.WithBacking([]float32{float32(v[0]), float32(v[1])}))
				}
				ps := []*graph.Param{{Name: "a", Value: vals(0, 0)}, {Name: "b", Value: vals(0, 0)}}
				gs := []*tensor.Dense{vals(3, 4), vals(0.6, 0.8)}
				if err := SGD(1, tc.opt).Update(ps, gs); err != nil {
					t.Fatal(err)
				}
				tol := 1e-15
				if dt == tensor.Float32 {
					tol = 1e-6
				}
				for i, p := range ps {
					for j := 0; j < 2; j++ {
						got, _ := p.Value.At(j)
						g := 0.0
						switch v := got.(type) {
						case float32:
							g = float64(v)
						case float64:
							g = v
						}
						if math.Abs(g-tc.want[i][j]) > tol {
							t.Errorf("%s[%d] = %v, want %v", p.Name, j, g, tc.want[i][j])
						}
					}
				}
				// Clipping leaves the gradients alone.
				if g, _ := gs[0].At(1); g != float32(4) && g != 4.0 {
					t.Errorf("the gradient changed to %v", g)
				}
			})
		}
	}
}

// TestOptimizerOptions checks the names the options give and that a
// mistaken option is an error of the first step, not a panic.
func TestOptimizerOptions(t *testing.T) {
	names := []struct {
		opt  Optimizer
		want string
	}{
		{Adam(1e-3), "Adam(lr=0.001)"},
		{RMSprop(1e-4), "RMSprop(lr=0.0001, rho=0.9, epsilon=1e-07)"},
		{Momentum(0.01, 0.9, true), "SGD(lr=0.01, momentum=0.9, nesterov=true)"},
		{AdamW(1e-3), "AdamW(lr=0.001, weight_decay=0.004)"},
		{AdamW(1e-3, WeightDecay(0.01), ClipNorm(1)), "AdamW(lr=0.001, weight_decay=0.01, clipnorm=1)"},
		{Adam(1e-3, GlobalClipNorm(5)), "Adam(lr=0.001, global_clipnorm=5)"},
		{SGD(0.1, ClipValue(0.5), WeightDecay(1e-4)), "SGD(lr=0.1, weight_decay=0.0001, clipvalue=0.5)"},
	}
	for _, tc := range names {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.opt.String(); got != tc.want {
				t.Fatalf("String() = %q, want %q", got, tc.want)
			}
		})
	}
	bad := []struct {
		name string
		opt  Optimizer
		want string
	}{
		{"clipnorm 0", Adam(1e-3, ClipNorm(0)), "clipnorm 0 must be positive"},
		{"clipvalue NaN", Adam(1e-3, ClipValue(math.NaN())), "clipvalue NaN must be positive"},
		{"global clipnorm infinite", Adam(1e-3, GlobalClipNorm(math.Inf(1))), "global_clipnorm +Inf must be positive"},
		{"negative decay", AdamW(1e-3, WeightDecay(-1)), "weight decay -1"},
		{"two clippings", SGD(0.1, ClipNorm(1), ClipValue(1)), "only one of clipnorm"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			w := &graph.Param{Name: "w", Value: tensor.New(tensor.WithBacking([]float64{0.5}))}
			err := tc.opt.Update([]*graph.Param{w}, []*tensor.Dense{tensor.New(tensor.WithBacking([]float64{0.2}))})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Update: %v, want an error containing %q", err, tc.want)
			}
			if w.Value.Float64s()[0] != 0.5 {
				t.Fatal("a failed step changed the weight")
			}
		})
	}
}

func TestOptimizerByName(t *testing.T) {
	for _, name := range []string{"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"} {
		if _, err := ByName(name, 0.1); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ByName("lbfgs", 0.1); err == nil {
		t.Error("unknown optimizer: no error")
	}
}

// TestOptimizerSplitIdentical checks that a parameter large enough to be
// updated by several goroutines ends with the same bits as one updated
// value by value on one goroutine, for every optimiser, in float32.
func TestOptimizerSplitIdentical(t *testing.T) {
	const n = 3*parallelValues + 17
	for _, name := range []string{"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adam+clipnorm", "sgd+clipvalue", "rmsprop+global_clipnorm"} {
		t.Run(name, func(t *testing.T) {
			run := func(procs int) []float32 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				base, clip, _ := strings.Cut(name, "+")
				var opts []Option
				switch clip {
				case "clipnorm":
					opts = append(opts, ClipNorm(1))
				case "clipvalue":
					opts = append(opts, ClipValue(0.1))
				case "global_clipnorm":
					opts = append(opts, GlobalClipNorm(1))
				}
				opt, err := ByName(base, 0.01, opts...)
				if err != nil {
					t.Fatal(err)
				}
				w := make([]float32, n)
				for i := range w {
					w[i] = float32(math.Sin(float64(i)))
				}
				p := &graph.Param{Name: "w", Value: tensor.New(tensor.WithBacking(w))}
				for step := range 3 {
					g := make([]float32, n)
					for i := range g {
						g[i] = float32(math.Cos(float64(i*(step+1)))) / 3
					}
					if err := opt.Update([]*graph.Param{p}, []*tensor.Dense{tensor.New(tensor.WithBacking(g))}); err != nil {
						t.Fatal(err)
					}
				}
				return w
			}
			one, four := run(1), run(4)
			for i := range one {
				if math.Float32bits(one[i]) != math.Float32bits(four[i]) {
					t.Fatalf("value %d: %v on one goroutine, %v on four", i, one[i], four[i])
				}
			}
		})
	}
}
