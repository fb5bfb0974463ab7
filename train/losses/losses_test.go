package losses_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/gradcheck"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train/losses"
)

// weightedMSE is a loss of one's own written with Gorgonia's operations:
// the mean squared error of each example, its first value counting twice.
func weightedMSE(pred, target *G.Node) (*G.Node, error) {
	d, err := G.Sub(pred, target)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(d)
	if err != nil {
		return nil, err
	}
	// [N,K]×[K] is a matrix-vector product: each row's weighted sum.
	k := pred.Shape()[1]
	w := make([]float64, k)
	for i := range w {
		w[i] = 1 / float64(k)
	}
	w[0] = 2 / float64(k)
	var wt *tensor.Dense
	if pred.Dtype() == tensor.Float32 {
		w32 := make([]float32, k)
		for i, v := range w {
			w32[i] = float32(v)
		}
		wt = tensor.New(tensor.WithShape(k), tensor.WithBacking(w32))
	} else {
		wt = tensor.New(tensor.WithShape(k), tensor.WithBacking(w))
	}
	return G.Mul(sq, G.NewConstant(wt))
}

// lossGraph builds a float64 graph whose parameter feeds the loss l:
// pred is the parameter through act (softmax, sigmoid or nothing), the
// targets are rows of probabilities or values in [0, 1), and the examples
// are weighted when weighted is set.
func lossGraph(t *testing.T, l losses.Loss, act string, weighted bool) (*graph.Machine, *G.Node) {
	t.Helper()
	params, err := graph.NewParams(tensor.Float64, 3)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params, graph.Training(true))
	const n, k = 3, 4
	x, err := g.Param("x", []int{n, k}, graph.RandomUniform(-2, 2))
	if err != nil {
		t.Fatal(err)
	}
	in := losses.Input{Pred: x}
	switch act {
	case "softmax":
		if in.Pred, err = ops.Activate(x, ops.Softmax); err != nil {
			t.Fatal(err)
		}
		in.Logits, _ = ops.SoftmaxLogits(in.Pred)
	case "sigmoid":
		if in.Pred, err = ops.Activate(x, ops.Sigmoid); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(4, 5))
	tv := make([]float64, n*k)
	for i := range tv {
		tv[i] = rng.Float64()
	}
	if act == "softmax" { // one-hot rows, as labels give them
		for i := range tv {
			tv[i] = 0
		}
		for r := 0; r < n; r++ {
			tv[r*k+rng.IntN(k)] = 1
		}
	}
	in.Target = g.Input("target", n, k)
	if err := graph.Set(in.Target, tv); err != nil {
		t.Fatal(err)
	}
	if weighted {
		in.Weights = g.Input("w", n)
		if err := graph.Set(in.Weights, []float64{0.5, 2, 1.25}); err != nil {
			t.Fatal(err)
		}
	}
	loss, err := l.Node(in)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	return m, loss
}

// TestLossGradients checks every built-in loss, and one of one's own, by
// central finite differences in float64, unweighted and weighted.
func TestLossGradients(t *testing.T) {
	tests := []struct {
		name string
		loss losses.Loss
		act  string
	}{
		{"categorical cross-entropy", losses.CategoricalCrossEntropy, "softmax"},
		{"label smoothing", losses.CategoricalCrossEntropySmoothed(0.1), "softmax"},
		{"sparse categorical cross-entropy", losses.SparseCategoricalCrossEntropy, "softmax"},
		{"categorical cross-entropy from logits", losses.CategoricalCrossEntropyFromLogits, ""},
		{"binary cross-entropy", losses.BinaryCrossEntropy, "sigmoid"},
		{"binary cross-entropy from logits", losses.BinaryCrossEntropyFromLogits, ""},
		{"huber", losses.Huber(0.5), ""},
		{"mse", losses.MSE, ""},
		{"mae", losses.MAE, ""},
		{"custom weighted mse", losses.Func(weightedMSE), ""},
		{"named custom loss", losses.Named("wmse", weightedMSE), "sigmoid"},
	}
	for _, tc := range tests {
		for _, weighted := range []bool{false, true} {
			name := tc.name
			if weighted {
				name += " weighted"
			}
			t.Run(name, func(t *testing.T) {
				m, loss := lossGraph(t, tc.loss, tc.act, weighted)
				defer m.Close()
				gradcheck.Check(t, m, loss)
			})
		}
	}
}

// TestLossValues compares each loss with its formula on a small batch.
func TestLossValues(t *testing.T) {
	pred := []float64{0.2, 0.8, 0.6, 0.4}
	target := []float64{0, 1, 1, 0}
	bce := 0.0
	for i, p := range pred {
		bce -= target[i]*math.Log(p) + (1-target[i])*math.Log(1-p)
	}
	huber := func(d, delta float64) float64 {
		if d = math.Abs(d); d <= delta {
			return d * d / 2
		}
		return delta * (d - delta/2)
	}
	h := 0.0
	for i, p := range pred {
		h += huber(p-target[i], 0.3)
	}
	// Label smoothing of 0.2 over 2 classes makes the targets 0.1 and 0.9.
	lsm := func(p []float64, t []float64) float64 {
		s := 0.0
		for i := range p {
			s -= t[i] * math.Log(p[i])
		}
		return s
	}
	smoothed := (lsm(pred[:2], []float64{0.1, 0.9}) + lsm(pred[2:], []float64{0.9, 0.1})) / 2
	tests := []struct {
		name string
		loss losses.Loss
		act  bool // pred is a softmax of log(pred)
		want float64
	}{
		{"binary cross-entropy", losses.BinaryCrossEntropy, false, bce / 4},
		{"huber", losses.Huber(0.3), false, h / 4},
		{"smoothed cross-entropy", losses.CategoricalCrossEntropySmoothed(0.2), true, smoothed},
		{"custom", losses.Func(weightedMSE), false, ((2*0.04+0.04)/2 + (2*0.16+0.16)/2) / 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params, err := graph.NewParams(tensor.Float64, 1)
			if err != nil {
				t.Fatal(err)
			}
			g := graph.New(params)
			x := g.Input("x", 2, 2)
			in := losses.Input{Pred: x, Target: g.Input("t", 2, 2)}
			xv := pred
			if tc.act {
				xv = make([]float64, len(pred))
				for i, p := range pred {
					xv[i] = math.Log(p)
				}
				if in.Pred, err = ops.Activate(x, ops.Softmax); err != nil {
					t.Fatal(err)
				}
				in.Logits = x
			}
			if err := graph.Set(x, xv); err != nil {
				t.Fatal(err)
			}
			if err := graph.Set(in.Target, target); err != nil {
				t.Fatal(err)
			}
			l, err := tc.loss.Node(in)
			if err != nil {
				t.Fatal(err)
			}
			m, err := g.Compile(nil, l)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if err := m.Run(); err != nil {
				t.Fatal(err)
			}
			got, err := graph.Read[float64](l, nil)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got[0]-tc.want) > 1e-9 {
				t.Errorf("%v = %.12g; want %.12g", tc.loss, got[0], tc.want)
			}
		})
	}
}

// TestLossErrors checks that bad losses are refused with a reason, not a
// panic.
func TestLossErrors(t *testing.T) {
	wrongShape := func(pred, target *G.Node) (*G.Node, error) { return G.Mean(pred) }
	tests := []struct {
		name string
		loss losses.Loss
		act  string
		want string
	}{
		{"cross-entropy without softmax", losses.CategoricalCrossEntropy, "", "ends in softmax"},
		{"scalar from a Func", losses.Func(wrongShape), "", "want the loss of each of the 3 examples"},
		{"nil node from a Func", losses.Func(func(pred, target *G.Node) (*G.Node, error) { return nil, nil }), "", "returned no node"},
		{"huber delta 0", losses.Huber(0), "", "delta 0"},
		{"smoothing 1", losses.CategoricalCrossEntropySmoothed(1), "softmax", "label smoothing 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params, err := graph.NewParams(tensor.Float64, 1)
			if err != nil {
				t.Fatal(err)
			}
			g := graph.New(params)
			in := losses.Input{Pred: g.Input("x", 3, 4), Target: g.Input("t", 3, 4)}
			if tc.act == "softmax" {
				x := in.Pred
				if in.Pred, err = ops.Activate(x, ops.Softmax); err != nil {
					t.Fatal(err)
				}
				in.Logits = x
			}
			_, err = tc.loss.Node(in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
}
