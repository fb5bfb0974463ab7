package ops_test

import (
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/gradcheck"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// TestWeightedLoss checks each weighted loss's gradient by finite
// differences, and its value against the per-row losses: weights of 1 give
// Loss, and a row weighted w counts w times.
func TestWeightedLoss(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss lossFn
	}{{"softmax cross-entropy", ops.SoftmaxCrossEntropy}, {"mse", ops.MeanSquaredError}, {"mae", ops.MeanAbsoluteError}, {"huber", huber1}} {
		kind := tc.loss
		t.Run(tc.name, func(t *testing.T) {
			params, err := graph.NewParams(tensor.Float64, 4)
			if err != nil {
				t.Fatal(err)
			}
			g := graph.New(params)
			x := param(t, g, "x", 3, 4)
			tg := g.Input("t", 3, 4)
			graph.Set(tg, []float64{0, 1, 0, 0, 0.5, 0, 0.5, 0, 0, 0, 0, 1})
			w := g.Input("w", 3)
			loss, err := kind(x, tg, w)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := kind(x, tg, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := g.Compile(loss, plain)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			value := func(weights ...float64) (weighted, unweighted float64) {
				graph.Set(w, weights)
				if err := m.Run(); err != nil {
					t.Fatal(err)
				}
				a, _ := graph.Read[float64](loss, nil)
				b, _ := graph.Read[float64](plain, nil)
				return a[0], b[0]
			}
			if a, b := value(1, 1, 1); math.Abs(a-b) > 1e-12 {
				t.Fatalf("weights of 1 give %v, Loss %v", a, b)
			}
			// Row 1 counted twice, row 2 not at all: the same as rows 0,
			// 1, 1 of weight 1 over 3 rows.
			a, _ := value(1, 2, 0)
			r0, _ := value(3, 0, 0)
			r1, _ := value(0, 3, 0)
			if want := r0/3 + 2*r1/3; math.Abs(a-want) > 1e-12 {
				t.Fatalf("weights 1, 2, 0 give %v, want %v", a, want)
			}
			graph.Set(w, []float64{0.5, 2, 1.5})
			gradcheck.Check(t, m, loss)
		})
	}
}
