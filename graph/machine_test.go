package graph_test

import (
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// net is a graph built for TestMachineMatchesTape: its inputs, its output,
// and its loss (nil for an inference graph).
type net struct {
	g       *graph.Graph
	in      []*G.Node
	out     *G.Node
	loss    *G.Node
	grads   G.Nodes   // the gradients, in the tape machine's copy
	weights []*G.Node // the parameters, in the order they were made
}

// param adds a parameter to nt's graph and list of weights.
func (nt *net) param(t *testing.T, name string, shape ...int) *G.Node {
	t.Helper()
	n, err := nt.g.Param(name, shape, graph.RandomUniform(-0.5, 0.5))
	if err != nil {
		t.Fatal(err)
	}
	nt.weights = append(nt.weights, n)
	return n
}

// convNet is a conv, then conv-ReLU-maxpool (whose filter gradient reads
// the pooled gradient lazily, and whose data gradient has it
// materialized) and a conv (so that the pool's gradient comes from an op
// that shares its output), a residual block (whose input has two consumers, so
// Gorgonia adds its gradients), a dense layer and softmax cross-entropy.
func convNet(t *testing.T, p *graph.Params) net {
	nt := net{g: graph.New(p, graph.Training(true))}
	g, param := nt.g, nt.param
	x := g.Input("x", 3, 1, 16, 16)
	y := g.Input("y", 3, 4)
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	same := ops.ConvOpts{Same: true}
	h := must(ops.Activate(must(ops.Conv2D(x, param(t, "c0/w", 2, 1, 3, 3), nil, same, false)), ops.Tanh))
	h = must(ops.Conv2D(h, param(t, "c1/w", 6, 2, 5, 5), param(t, "c1/b", 6), ops.ConvOpts{}, true))
	h = must(ops.MaxPool2D(must(ops.Activate(h, ops.ReLU)), 2, 2, ops.ConvOpts{StrideH: 2, StrideW: 2}))
	h = must(ops.Activate(must(ops.Conv2D(h, param(t, "p/w", 6, 6, 3, 3), nil, same, true)), ops.Tanh))
	r := must(ops.Conv2D(h, param(t, "c2/w", 6, 6, 3, 3), param(t, "c2/b", 6), same, true))
	r = must(ops.Activate(r, ops.ReLU))
	r = must(ops.Conv2D(r, param(t, "c3/w", 6, 6, 3, 3), nil, same, true))
	h = must(ops.Activate(must(ops.Merge(ops.MergeAdd, h, r)), ops.ReLU))
	logits := must(ops.Affine(must(ops.Flatten(h)), param(t, "d/w", 6*6*6, 4), param(t, "d/b", 4)))
	out := must(ops.Activate(logits, ops.Softmax))
	nt.loss = must(ops.SoftmaxCrossEntropy(out, y, nil))
	nt.in, nt.out = []*G.Node{x, y}, out
	return nt
}

// gorgoniaNet is a graph of Gorgonia's own ops: a matrix product, which
// the tape machine runs into a preallocated value, and element-wise ones.
func gorgoniaNet(t *testing.T, p *graph.Params) net {
	g := graph.New(p)
	a := g.Input("a", 3, 4)
	b := g.Input("b", 4, 5)
	c := G.Must(G.Mul(a, b))
	d := G.Must(G.Tanh(G.Must(G.Add(c, c))))
	return net{g: g, in: []*G.Node{a, b}, out: G.Must(G.HadamardProd(d, c))}
}

// TestMachineMatchesTape runs each graph on a Machine (compiled for its
// output, so that it shares memory) and, built again over the same
// parameters, on Gorgonia's tape machine, and compares the bits of the
// output, the loss and every gradient, over three runs with different
// inputs. The residual block's gradient sum and the Gorgonia graph's
// c + c run as the machine's own addition in place of Gorgonia's.
func TestMachineMatchesTape(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(*testing.T, *graph.Params) net
		sums  int // steps that sum gradients (see graph.SumSteps)
	}{
		{"conv training", convNet, 1},
		{"gorgonia ops", gorgoniaNet, 1}, // c + c
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := params(t)
			ours, ref := tc.build(t, p), tc.build(t, p)
			m, err := ours.g.Compile(ours.loss, ours.out)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if n := graph.SumSteps(m); n != tc.sums {
				t.Errorf("%d steps add on all cores, want %d", n, tc.sums)
			}
			if ref.loss != nil {
				if ref.grads, err = G.Grad(ref.loss, ref.weights...); err != nil {
					t.Fatal(err)
				}
			}
			tape := G.NewTapeMachine(ref.g.ExprGraph())
			defer tape.Close()
			rng := rand.New(rand.NewSource(1))
			for run := 0; run < 3; run++ {
				for i, in := range ours.in {
					v := make([]float32, in.Shape().TotalSize())
					for j := range v {
						v[j] = rng.Float32()*2 - 1
					}
					if err := graph.Set(in, v); err != nil {
						t.Fatal(err)
					}
					if err := graph.Set(ref.in[i], v); err != nil {
						t.Fatal(err)
					}
				}
				if err := m.Run(); err != nil {
					t.Fatal(err)
				}
				tape.Reset()
				if err := tape.RunAll(); err != nil {
					t.Fatal(err)
				}
				same(t, "output", ours.out, ref.out)
				if ours.loss == nil {
					continue
				}
				same(t, "loss", ours.loss, ref.loss)
				grads, err := m.Grads()
				if err != nil {
					t.Fatal(err)
				}
				if len(grads) != len(ref.grads) {
					t.Fatalf("%d gradients, the tape machine has %d", len(grads), len(ref.grads))
				}
				for i, gr := range grads {
					want, err := graph.Read[float32](ref.grads[i], nil)
					if err != nil {
						t.Fatal(err)
					}
					sameBits(t, m.Params()[i].Name, gr.Float32s(), want)
				}
			}
		})
	}
}

func same(t *testing.T, what string, got, want *G.Node) {
	t.Helper()
	g, err := graph.Read[float32](got, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := graph.Read[float32](want, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, what, g, w)
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, the tape machine gives %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v, the tape machine gives %v", what, i, got[i], want[i])
		}
	}
}

// TestMachineSharesMemory checks that a chain of layers compiled for its
// output keeps fewer buffers than it has nodes: after a run, some of its
// intermediate values lie in the same memory. Compiled without outputs,
// every value keeps its own.
func TestMachineSharesMemory(t *testing.T) {
	for _, tc := range []struct {
		name       string
		withOutput bool
	}{{"compiled for its output", true}, {"compiled whole", false}} {
		t.Run(tc.name, func(t *testing.T) {
			g := graph.New(params(t))
			x := g.Input("x", 2, 4, 8, 8)
			h, nodes := x, G.Nodes{}
			for i := 0; i < 6; i++ {
				var err error
				a := ops.ReLU
				if i%2 == 1 {
					a = ops.Tanh
				}
				if h, err = ops.Activate(h, a); err != nil {
					t.Fatal(err)
				}
				nodes = append(nodes, h)
			}
			var outs []*G.Node
			if tc.withOutput {
				outs = append(outs, h)
			}
			m, err := g.Compile(nil, outs...)
			if err != nil {
				t.Fatal(err)
			}
			if err := graph.Set(x, make([]float32, 2*4*8*8)); err != nil {
				t.Fatal(err)
			}
			if err := m.Run(); err != nil {
				t.Fatal(err)
			}
			buffers := map[uintptr]bool{}
			for _, n := range nodes {
				buffers[n.Value().(tensor.Tensor).Uintptr()] = true
			}
			switch {
			case tc.withOutput && len(buffers) > 3:
				t.Errorf("%d values in %d buffers; a chain needs 3 at most", len(nodes), len(buffers))
			case !tc.withOutput && len(buffers) != len(nodes):
				t.Errorf("%d values in %d buffers; compiled whole, each keeps its own", len(nodes), len(buffers))
			}
		})
	}
}

// BenchmarkRunOverhead runs a graph of one tiny op (a 1×4 by 4×2 affine
// map) on a Machine and on Gorgonia's tape machine: nearly all of each run
// is the machine's fixed cost.
func BenchmarkRunOverhead(b *testing.B) {
	for _, name := range []string{"tape", "machine"} {
		b.Run(name, func(b *testing.B) {
			p, err := graph.NewParams(tensor.Float32, 1)
			if err != nil {
				b.Fatal(err)
			}
			g := graph.New(p)
			x := g.Input("x", 1, 4)
			w, err := g.Param("w", []int{4, 2}, graph.Constant(0.5))
			if err != nil {
				b.Fatal(err)
			}
			bias, err := g.Param("b", []int{2}, graph.Constant(0.1))
			if err != nil {
				b.Fatal(err)
			}
			y, err := ops.Affine(x, w, bias)
			if err != nil {
				b.Fatal(err)
			}
			run := func() error { return nil }
			if name == "tape" {
				tm := G.NewTapeMachine(g.ExprGraph())
				defer tm.Close()
				run = func() error { tm.Reset(); return tm.RunAll() }
			} else {
				m, err := g.Compile(nil, y)
				if err != nil {
					b.Fatal(err)
				}
				run = m.Run
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
