package graph

import (
	"reflect"
	"sync"

	"github.com/gocnn/cnn/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// sumOp stands in, in a machine, for Gorgonia's addition of two tensors
// of one dtype and shape: the op with which gorgonia.Grad sums the
// gradients of a node that several others read, as in every residual
// block. Gorgonia's op allocates and fills a new tensor on every run and
// adds on one core; sumOp adds the same values, bit for bit, on all cores
// into memory the machine shares by liveness (OutputSharer).
type sumOp struct {
	G.Op  // the addition it stands for, which it runs where it cannot add itself
	out   *tensor.Dense
	alloc func(dt tensor.Dtype, shape ...int) *tensor.Dense
}

// asSum returns the sumOp for the op of node n when that op is Gorgonia's
// addition of two float32 or float64 tensors of n's shape, and nil
// otherwise.
func asSum(n *G.Node, in []*G.Node) G.Op {
	dt, ok := dtypeOf(n)
	if !ok || len(in) != 2 || (dt != tensor.Float32 && dt != tensor.Float64) {
		return nil
	}
	for _, x := range in {
		xt, ok := dtypeOf(x)
		if !ok || xt != dt || !x.Shape().Eq(n.Shape()) {
			return nil
		}
	}
	if !reflect.DeepEqual(n.Op(), tensorAdd(dt, n.Shape().Dims())) {
		return nil
	}
	return &sumOp{Op: n.Op()}
}

// dtypeOf returns the dtype of a tensor node, and false for a node of
// another type.
func dtypeOf(n *G.Node) (tensor.Dtype, bool) {
	t, ok := n.Type().(G.TensorType)
	if !ok {
		return tensor.Dtype{}, false
	}
	dt, ok := t.Of.(tensor.Dtype)
	return dt, ok
}

type addKey struct {
	dt   tensor.Dtype
	dims int
}

// tensorAdds holds, by dtype and rank, the op of gorgonia.Add on two
// tensors: Gorgonia's op type is not exported, so an op is known to be
// that addition by comparing it with one.
var tensorAdds sync.Map // addKey → G.Op

// tensorAdd returns the op of gorgonia.Add on two tensors of dtype dt and
// rank dims.
func tensorAdd(dt tensor.Dtype, dims int) G.Op {
	k := addKey{dt, dims}
	if op, ok := tensorAdds.Load(k); ok {
		return op.(G.Op)
	}
	g := G.NewGraph()
	shape := make([]int, dims)
	for i := range shape {
		shape[i] = 2
	}
	a := G.NewTensor(g, dt, dims, G.WithShape(shape...))
	b := G.NewTensor(g, dt, dims, G.WithShape(shape...))
	c, err := G.Add(a, b)
	if err != nil {
		return nil
	}
	tensorAdds.Store(k, c.Op())
	return c.Op()
}

// ShareOutput implements OutputSharer.
func (op *sumOp) ShareOutput(alloc func(dt tensor.Dtype, shape ...int) *tensor.Dense) bool {
	op.alloc, op.out = alloc, nil
	return true
}

// Do adds the two tensors.
func (op *sumOp) Do(vs ...G.Value) (G.Value, error) {
	if len(vs) != 2 {
		return op.Op.Do(vs...)
	}
	a, aok := vs[0].(*tensor.Dense)
	b, bok := vs[1].(*tensor.Dense)
	if !aok || !bok || a.Dtype() != b.Dtype() || !a.Shape().Eq(b.Shape()) || a.RequiresIterator() || b.RequiresIterator() {
		return op.Op.Do(vs...)
	}
	dt, shape := a.Dtype(), a.Shape()
	if op.out == nil || op.out.Dtype() != dt || !op.out.Shape().Eq(shape) {
		if op.alloc != nil {
			op.out = op.alloc(dt, shape.Clone()...)
		} else {
			op.out = tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
		}
	}
	switch dt {
	case tensor.Float32:
		add(a.Float32s(), b.Float32s(), op.out.Float32s())
	case tensor.Float64:
		add(a.Float64s(), b.Float64s(), op.out.Float64s())
	default:
		return op.Op.Do(vs...)
	}
	return op.out, nil
}

// add sets z = x + y, element by element, on all cores when z is large.
func add[T float32 | float64](x, y, z []T) {
	if kernels.ElemWorkers(len(z)) == 1 {
		addRange(x, y, z) // no closure, so nothing to allocate
		return
	}
	kernels.ParallelElems(len(z), func(lo, hi int) { addRange(x[lo:hi], y[lo:hi], z[lo:hi]) })
}

func addRange[T float32 | float64](x, y, z []T) {
	for i := range z {
		z[i] = x[i] + y[i]
	}
}

// ReturnsPtr reports false: the sum is in memory of the op's own.
func (op *sumOp) ReturnsPtr() bool { return false }

// OverwritesInput reports -1: no input is written.
func (op *sumOp) OverwritesInput() int { return -1 }
