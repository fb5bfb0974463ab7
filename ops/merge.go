package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/gocnn/cnn/internal/kernels"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MergeKind says how a merge op combines its inputs.
type MergeKind int

// The merges.
const (
	// MergeAdd sums inputs of one shape element by element.
	MergeAdd MergeKind = iota
	// MergeMultiply multiplies inputs of one shape element by element.
	MergeMultiply
	// MergeConcat concatenates inputs [N, C_i, ...] along the channel
	// (second) axis; every other axis must agree.
	MergeConcat
)

// String returns the merge's name.
func (k MergeKind) String() string {
	switch k {
	case MergeAdd:
		return "Add"
	case MergeMultiply:
		return "Multiply"
	case MergeConcat:
		return "Concatenate"
	}
	return fmt.Sprintf("MergeKind(%d)", int(k))
}

// Merge combines two or more nodes by kind. Shapes that do not fit are an
// error naming them.
func Merge(kind MergeKind, xs ...*G.Node) (*G.Node, error) {
	if len(xs) < 2 {
		return nil, errors.Errorf("%v: needs at least 2 inputs, got %d", kind, len(xs))
	}
	ss := make([]tensor.Shape, len(xs))
	for i, x := range xs {
		ss[i] = x.Shape()
	}
	op := &mergeOp{base: newBase(), kind: kind, n: len(xs), dims: len(ss[0])}
	if _, err := op.outShape(ss); err != nil {
		return nil, err
	}
	return G.ApplyOp(op, xs...)
}

// mergeOp is a merge of n inputs.
type mergeOp struct {
	base
	kind MergeKind
	n    int
	dims int

	// Do's scratch, reused by every run so that a run allocates nothing:
	// the input shapes, the output shape and the inputs' values.
	ss    []tensor.Shape
	shape tensor.Shape
	xs32  [][]float32
	xs64  [][]float64
}

func (op *mergeOp) Arity() int { return op.n }
func (op *mergeOp) Type() hm.Type {
	ts := make([]hm.Type, op.n+1)
	for i := range ts {
		ts[i] = tt(op.dims)
	}
	return hm.NewFnType(ts...)
}
func (op *mergeOp) String() string { return fmt.Sprintf("%v(%d)", op.kind, op.n) }

// outShape checks the input shapes and returns the output's.
func (op *mergeOp) outShape(ss []tensor.Shape) (tensor.Shape, error) {
	return op.outShapeIn(nil, ss)
}

// outShapeIn is outShape written into dst's storage when it has room.
func (op *mergeOp) outShapeIn(dst tensor.Shape, ss []tensor.Shape) (tensor.Shape, error) {
	out := append(dst[:0], ss[0]...)
	for i, s := range ss[1:] {
		switch {
		case len(s) != len(out):
			return nil, errors.Errorf("%v: input %d has shape %v, input 1 %v: ranks differ", op.kind, i+2, s, ss[0])
		case op.kind != MergeConcat && !s.Eq(ss[0]):
			return nil, errors.Errorf("%v: input %d has shape %v, input 1 %v: shapes must be equal", op.kind, i+2, s, ss[0])
		case op.kind == MergeConcat:
			if len(s) < 2 {
				return nil, errors.Errorf("%v: input shape %v has no channel axis", op.kind, s)
			}
			for d := range s {
				if d != 1 && s[d] != out[d] {
					return nil, errors.Errorf("%v: input %d has shape %v, input 1 %v: all axes but the channels (axis 1) must agree", op.kind, i+2, s, ss[0])
				}
			}
			out[1] += s[1]
		}
	}
	return out, nil
}

func (op *mergeOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.n, ds)
	if err != nil {
		return nil, err
	}
	return op.outShape(ss)
}

func (op *mergeOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, op.n, vs)
	if err != nil {
		return nil, err
	}
	op.ss = op.ss[:0]
	for _, t := range ts {
		op.ss = append(op.ss, t.Shape())
	}
	shape, err := op.outShapeIn(op.shape, op.ss)
	if err != nil {
		return nil, err
	}
	op.shape = shape
	out := op.output(ts[0].Dtype(), shape...)
	if out.Dtype() == tensor.Float32 {
		op.xs32 = op.xs32[:0]
		for _, t := range ts {
			op.xs32 = append(op.xs32, f32(t))
		}
		merge(op.kind, op.ss, op.xs32, f32(out))
	} else {
		op.xs64 = op.xs64[:0]
		for _, t := range ts {
			op.xs64 = append(op.xs64, f64(t))
		}
		merge(op.kind, op.ss, op.xs64, f64(out))
	}
	return out, nil
}

func slices32(ts []*tensor.Dense) [][]float32 {
	out := make([][]float32, len(ts))
	for i, t := range ts {
		out[i] = f32(t)
	}
	return out
}

func slices64(ts []*tensor.Dense) [][]float64 {
	out := make([][]float64, len(ts))
	for i, t := range ts {
		out[i] = f64(t)
	}
	return out
}

// merge computes the merge of xs, of shapes ss, into y, on all cores
// when y is large.
func merge[T float](kind MergeKind, ss []tensor.Shape, xs [][]T, y []T) {
	if kind == MergeConcat {
		n, off := ss[0][0], 0
		row := len(y) / n
		for _, x := range xs {
			part := len(x) / n
			for e := 0; e < n; e++ {
				copy(y[e*row+off:e*row+off+part], x[e*part:(e+1)*part])
			}
			off += part
		}
		return
	}
	if kernels.ElemWorkers(len(y)) == 1 {
		mergeRange(kind, xs, y, 0, len(y)) // no closure, so nothing to allocate
		return
	}
	kernels.ParallelElems(len(y), func(lo, hi int) { mergeRange(kind, xs, y, lo, hi) })
}

// mergeRange is the Add or Multiply merge of the elements [lo, hi).
func mergeRange[T float](kind MergeKind, xs [][]T, y []T, lo, hi int) {
	y = y[lo:hi]
	copy(y, xs[0][lo:hi])
	for _, x := range xs[1:] {
		x := x[lo:hi]
		if kind == MergeAdd {
			for i, v := range x {
				y[i] += v
			}
			continue
		}
		for i, v := range x {
			y[i] *= v
		}
	}
}

func (op *mergeOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = true
	}
	return out
}

func (op *mergeOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	gs := make(G.Nodes, len(in))
	for i := range in {
		var err error
		switch op.kind {
		case MergeAdd:
			gs[i] = grad
		case MergeMultiply:
			gs[i], err = G.ApplyOp(&mergeGradOp{base: newBase(), fwd: op, i: i}, append(G.Nodes{grad}, in...)...)
		case MergeConcat:
			off := 0
			for _, x := range in[:i] {
				off += x.Shape()[1]
			}
			gs[i], err = G.ApplyOp(&mergeGradOp{base: newBase(), fwd: op, i: i, off: off, width: in[i].Shape()[1]}, grad)
		}
		if err != nil {
			return nil, err
		}
	}
	return gs, nil
}

// mergeGradOp is the gradient of a merge with respect to its input i:
// for Multiply, grad times the product of the other inputs (its inputs
// are grad and all of the merge's inputs); for Concatenate, the channels
// [off, off+width) of grad.
type mergeGradOp struct {
	base
	fwd        *mergeOp
	i          int
	off, width int
}

func (op *mergeGradOp) Arity() int {
	if op.fwd.kind == MergeMultiply {
		return 1 + op.fwd.n
	}
	return 1
}

func (op *mergeGradOp) Type() hm.Type {
	ts := make([]hm.Type, op.Arity()+1)
	for i := range ts {
		ts[i] = tt(op.fwd.dims)
	}
	return hm.NewFnType(ts...)
}

func (op *mergeGradOp) String() string       { return fmt.Sprintf("Grad%d(%v)", op.i, op.fwd) }
func (op *mergeGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *mergeGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: no second derivative", op)
}

func (op *mergeGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.Arity(), ds)
	if err != nil {
		return nil, err
	}
	if op.fwd.kind == MergeMultiply {
		return ss[1+op.i].Clone(), nil
	}
	s := ss[0].Clone()
	s[1] = op.width
	return s, nil
}

func (op *mergeGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, op.Arity(), vs)
	if err != nil {
		return nil, err
	}
	g := ts[0]
	shape := g.Shape().Clone()
	if op.fwd.kind == MergeConcat {
		shape[1] = op.width
	}
	out := op.output(g.Dtype(), shape...)
	if g.Dtype() == tensor.Float32 {
		mergeGrad(op, slices32(ts), f32(out), shape[0])
	} else {
		mergeGrad(op, slices64(ts), f64(out), shape[0])
	}
	return out, nil
}

// mergeGrad computes op's gradient from its inputs ts into dx, for a
// batch of n.
func mergeGrad[T float](op *mergeGradOp, ts [][]T, dx []T, n int) {
	g := ts[0]
	if op.fwd.kind == MergeMultiply {
		copy(dx, g)
		for j, x := range ts[1:] {
			if j == op.i {
				continue
			}
			for k, v := range x {
				dx[k] *= v
			}
		}
		return
	}
	row, part := len(g)/n, len(dx)/n
	off := part / op.width * op.off
	for e := 0; e < n; e++ {
		copy(dx[e*part:(e+1)*part], g[e*row+off:e*row+off+part])
	}
}
