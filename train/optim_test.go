package train

import (
	"math"
	"runtime"
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

func TestOptimizerByName(t *testing.T) {
	for _, name := range []string{"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"} {
		if _, err := OptimizerByName(name, 0.1); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := OptimizerByName("lbfgs", 0.1); err == nil {
		t.Error("unknown optimizer: no error")
	}
}

// TestOptimizerSplitIdentical checks that a parameter large enough to be
// updated by several goroutines ends with the same bits as one updated
// value by value on one goroutine, for every optimiser, in float32.
func TestOptimizerSplitIdentical(t *testing.T) {
	const n = 3*parallelValues + 17
	for _, name := range []string{"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"} {
		t.Run(name, func(t *testing.T) {
			run := func(procs int) []float32 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				opt, err := OptimizerByName(name, 0.01)
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
