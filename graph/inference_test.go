package graph_test

import (
	"fmt"
	"hash"
	"math"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// faultyOp is an identity op that panics or fails on demand.
type faultyOp struct{ panics, fails bool }

func (op faultyOp) Arity() int { return 1 }
func (op faultyOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 2, Of: a})
}
func (op faultyOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return ds[0].(tensor.Shape).Clone(), nil
}
func (op faultyOp) Do(vs ...G.Value) (G.Value, error) {
	if op.panics {
		var s []int
		_ = s[len(vs)+3] // an index out of range, as a buggy op would raise
	}
	if op.fails {
		return nil, errors.New("faulty op failed")
	}
	return vs[0], nil
}
func (op faultyOp) ReturnsPtr() bool      { return false }
func (op faultyOp) CallsExtern() bool     { return false }
func (op faultyOp) OverwritesInput() int  { return -1 }
func (op faultyOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "faulty%v%v", op.panics, op.fails) }
func (op faultyOp) Hashcode() uint32      { return 1 }
func (op faultyOp) String() string        { return "Faulty" }

func params(t *testing.T) *graph.Params {
	t.Helper()
	p, err := graph.NewParams(tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInferencePanicIsError checks that an op's panic during an inference
// run comes back as an error that carries the panic's stack, and that an
// op's error comes back wrapped with the node it belongs to.
func TestInferencePanicIsError(t *testing.T) {
	for _, tc := range []struct {
		op   faultyOp
		want []string
	}{
		{faultyOp{panics: true}, []string{"graph: run: internal panic", "index out of range", "faultyOp.Do"}},
		{faultyOp{fails: true}, []string{"graph: run: node", "(Faulty)", "faulty op failed"}},
	} {
		g := graph.New(params(t))
		x := g.Input("x", 2, 3)
		y, err := G.ApplyOp(tc.op, x)
		if err != nil {
			t.Fatal(err)
		}
		m, err := g.CompileInference(y)
		if err != nil {
			t.Fatal(err)
		}
		err = m.Run()
		if err == nil {
			t.Fatalf("%v: no error", tc.op)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: error %q does not say %q", tc.op, err, w)
			}
		}
	}
}

// TestInferenceGorgoniaOps runs a graph of Gorgonia's own ops (a matrix
// product, which the tape machine runs into a preallocated value, and
// element-wise ones) on both machines and compares the bits, over two
// runs with different inputs.
func TestInferenceGorgoniaOps(t *testing.T) {
	build := func(t *testing.T) (*graph.Graph, *G.Node, *G.Node, *G.Node) {
		g := graph.New(params(t))
		a := g.Input("a", 3, 4)
		b := g.Input("b", 4, 5)
		c := G.Must(G.Mul(a, b))
		d := G.Must(G.Tanh(G.Must(G.Add(c, c))))
		return g, a, b, G.Must(G.HadamardProd(d, c))
	}
	gt, at, bt, yt := build(t)
	gi, ai, bi, yi := build(t)
	tape, err := gt.Compile(nil, yt)
	if err != nil {
		t.Fatal(err)
	}
	defer tape.Close()
	inf, err := gi.CompileInference(yi)
	if err != nil {
		t.Fatal(err)
	}
	defer inf.Close()
	for run := 0; run < 2; run++ {
		av, bv := make([]float32, 12), make([]float32, 20)
		for i := range av {
			av[i] = float32(i*(run+1)%7)/3 - 1
		}
		for i := range bv {
			bv[i] = float32(i*(run+2)%5)/4 - 0.5
		}
		for _, s := range []struct {
			n *G.Node
			v []float32
		}{{at, av}, {bt, bv}, {ai, av}, {bi, bv}} {
			if err := graph.Set(s.n, s.v); err != nil {
				t.Fatal(err)
			}
		}
		if err := tape.Run(); err != nil {
			t.Fatal(err)
		}
		if err := inf.Run(); err != nil {
			t.Fatal(err)
		}
		want, err := graph.Read[float32](yt, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := graph.Read[float32](yi, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("run %d: %d values, want %d", run, len(got), len(want))
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("run %d: value %d is %v, the tape machine gives %v", run, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkRunOverhead runs a graph of one tiny op (a 1×4 by 4×2 affine
// map) on the tape machine and on the inference machine: nearly all of
// each run is the machine's fixed cost.
func BenchmarkRunOverhead(b *testing.B) {
	for _, name := range []string{"tape", "inference"} {
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
			compile := g.CompileInference
			if name == "tape" {
				compile = func(out ...*G.Node) (*graph.Machine, error) { return g.Compile(nil, out...) }
			}
			m, err := compile(y)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
