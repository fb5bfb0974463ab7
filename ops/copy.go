package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Copy returns a node of x's value in a buffer of its own; its gradient
// passes through unchanged. Gorgonia runs some of its operations in
// place, overwriting their input once nothing later reads it: a copy
// keeps a node that is read after the run (a model's output) from being
// overwritten by operations of one's own applied to it.
func Copy(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&copyOp{base: newBase(), dims: x.Dims()}, x)
}

// copyOp is Copy's operation.
type copyOp struct {
	base
	dims int
}

func (op *copyOp) Arity() int { return 1 }
func (op *copyOp) Type() hm.Type {
	return hm.NewFnType(tt(op.dims), tt(op.dims))
}
func (op *copyOp) String() string { return fmt.Sprintf("copy%d", op.id) }

func (op *copyOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 1, ds)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

func (op *copyOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 1, vs)
	if err != nil {
		return nil, err
	}
	out := op.output(ts[0].Dtype(), ts[0].Shape()...)
	if err := tensor.Copy(out, ts[0]); err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	return out, nil
}

func (op *copyOp) DiffWRT(n int) []bool { return []bool{true} }

func (op *copyOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{grad}, nil
}
