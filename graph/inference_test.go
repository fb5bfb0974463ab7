package graph_test

import (
	"fmt"
	"hash"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
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
