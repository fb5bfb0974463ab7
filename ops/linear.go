package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/kernels"
)

// Affine computes x·w + b for x [N,in], w [in,out] and b [out] (x·w when b
// is nil), the dense (fully-connected) layer's affine map.
func Affine(x, w, b *G.Node) (*G.Node, error) {
	if x == nil || w == nil {
		return nil, errors.New("affine: the input and the kernel must be given")
	}
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 2 || len(ws) != 2 {
		return nil, errors.Errorf("affine: want input [N,in] and kernel [in,out]; got %v and %v", xs, ws)
	}
	if xs[1] != ws[0] {
		return nil, errors.Errorf("affine: input has %d features but the kernel %v expects %d", xs[1], ws, ws[0])
	}
	if b == nil {
		return G.ApplyOp(&matMulOp{base: newBase()}, x, w)
	}
	if bs := b.Shape(); len(bs) != 1 || bs[0] != ws[1] {
		return nil, errors.Errorf("affine: bias %v does not match %d units", bs, ws[1])
	}
	return G.ApplyOp(&matMulOp{base: newBase(), bias: true}, x, w, b)
}

// matMulOp is c = op(a)·op(b) (+ bias when bias is set, as a third input).
type matMulOp struct {
	base
	transA, transB bool
	bias           bool
}

func (op *matMulOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}
func (op *matMulOp) Type() hm.Type {
	if op.bias {
		return hm.NewFnType(tt(2), tt(2), tt(1), tt(2))
	}
	return hm.NewFnType(tt(2), tt(2), tt(2))
}
func (op *matMulOp) String() string {
	return fmt.Sprintf("MatMul(transA=%v, transB=%v, bias=%v)", op.transA, op.transB, op.bias)
}

// dims returns m, n, k for op(a) m×k and op(b) k×n.
func (op *matMulOp) dims(a, b tensor.Shape) (m, n, k int, err error) {
	m, k = a[0], a[1]
	if op.transA {
		m, k = k, m
	}
	k2, n := b[0], b[1]
	if op.transB {
		k2, n = n, k2
	}
	if k != k2 {
		return 0, 0, 0, errors.Errorf("%v: inner dimensions of %v and %v differ", op, a, b)
	}
	return m, n, k, nil
}

func (op *matMulOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.Arity(), ds)
	if err != nil {
		return nil, err
	}
	m, n, _, err := op.dims(ss[0], ss[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{m, n}, nil
}

func (op *matMulOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, op.Arity(), vs)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	m, n, k, err := op.dims(a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	c := op.output(a.Dtype(), m, n)
	if a.Dtype() == tensor.Float32 {
		kernels.MatMul(op.transA, op.transB, m, n, k, f32(a), f32(b), f32(c))
		if op.bias {
			addRows(f32(c), f32(ts[2]))
		}
	} else {
		kernels.NaiveMatMul(op.transA, op.transB, m, n, k, f64(a), f64(b), f64(c))
		if op.bias {
			addRows(f64(c), f64(ts[2]))
		}
	}
	return c, nil
}

// addRows adds the vector b to every len(b)-wide row of c.
func addRows[T float](c, b []T) {
	for r := 0; r+len(b) <= len(c); r += len(b) {
		row := c[r : r+len(b)]
		for i, v := range b {
			row[i] += v
		}
	}
}

func (op *matMulOp) DiffWRT(n int) []bool {
	if op.transA || op.transB {
		return make([]bool, n) // gradient ops only
	}
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

// SymDiff of y = x·w (+ b): dx = dy·wᵀ, dw = xᵀ·dy, db = column sums of dy.
func (op *matMulOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.transA || op.transB {
		return nil, errors.Errorf("%v: second derivatives are not supported", op)
	}
	grads := make(G.Nodes, len(in))
	var err error
	if grads[0], err = G.ApplyOp(&matMulOp{base: newBase(), transB: true}, grad, in[1]); err != nil {
		return nil, err
	}
	if grads[1], err = G.ApplyOp(&matMulOp{base: newBase(), transA: true}, in[0], grad); err != nil {
		return nil, err
	}
	if op.bias {
		if grads[2], err = BiasGrad(grad); err != nil {
			return nil, err
		}
	}
	return grads, nil
}

// biasGradOp sums dy over every axis but axis 1: the gradient of a bias
// added per channel ([N,C,H,W]) or per unit ([N,K]).
type biasGradOp struct {
	base
	dims int
}

// BiasGrad sums dy over every axis but axis 1.
func BiasGrad(dy *G.Node) (*G.Node, error) {
	if d := dy.Dims(); d != 2 && d != 4 {
		return nil, errors.Errorf("bias gradient: want [N,C] or [N,C,H,W], got %v", dy.Shape())
	}
	return G.ApplyOp(&biasGradOp{base: newBase(), dims: dy.Dims()}, dy)
}

func (op *biasGradOp) Arity() int           { return 1 }
func (op *biasGradOp) Type() hm.Type        { return hm.NewFnType(tt(op.dims), tt(1)) }
func (op *biasGradOp) String() string       { return "BiasGrad" }
func (op *biasGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *biasGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.New("BiasGrad: second derivatives are not supported")
}

func (op *biasGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 1, ds)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{ss[0][1]}, nil
}

func (op *biasGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 1, vs)
	if err != nil {
		return nil, err
	}
	dy := ts[0]
	s := dy.Shape()
	inner := 1
	for _, d := range s[2:] {
		inner *= d
	}
	db := op.output(dy.Dtype(), s[1])
	if dy.Dtype() == tensor.Float32 {
		sumChannels(s[0], s[1], inner, f32(dy), f32(db))
	} else {
		sumChannels(s[0], s[1], inner, f64(dy), f64(db))
	}
	return db, nil
}

// sumChannels sets db[c] to the sum of dy[n, c, ...] over n and the inner
// axes, accumulating in float64.
func sumChannels[T float](n, c, inner int, dy, db []T) {
	for ch := 0; ch < c; ch++ {
		var sum float64
		for i := 0; i < n; i++ {
			for _, v := range dy[(i*c+ch)*inner : (i*c+ch+1)*inner] {
				sum += float64(v)
			}
		}
		db[ch] = T(sum)
	}
}

// reshapeOp views x [N, ...] as [N, to...] without copying.
type reshapeOp struct {
	base
	from, to tensor.Shape // without the batch axis
}

// Flatten views x [N, d1, d2, ...] as the matrix [N, d1·d2·...] without
// copying.
func Flatten(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) < 2 {
		return nil, errors.Errorf("flatten: want at least [N, features], got %v", s)
	}
	return G.ApplyOp(&reshapeOp{base: newBase(), from: s[1:].Clone(), to: tensor.Shape{s[1:].TotalSize()}}, x)
}

func (op *reshapeOp) Arity() int { return 1 }
func (op *reshapeOp) Type() hm.Type {
	return hm.NewFnType(tt(len(op.from)+1), tt(len(op.to)+1))
}
func (op *reshapeOp) String() string     { return fmt.Sprintf("Reshape(%v→%v)", op.from, op.to) }
func (op *reshapeOp) DiffWRT(int) []bool { return []bool{true} }

func (op *reshapeOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 1, ds)
	if err != nil {
		return nil, err
	}
	return append(tensor.Shape{ss[0][0]}, op.to...), nil
}

// ShareOutput declines: the output is a view of the input.
func (op *reshapeOp) ShareOutput(func(tensor.Dtype, ...int) *tensor.Dense) bool { return false }

func (op *reshapeOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 1, vs)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if o := op.out; o != nil && o.Uintptr() == x.Uintptr() && o.Dtype() == x.Dtype() && o.Size() == x.Size() {
		// The last run's view of the same tensor: reused without
		// building its shape again, which would allocate.
		if s := o.Shape(); len(s) == len(op.to)+1 && s[0] == x.Shape()[0] && s[1:].Eq(tensor.Shape(op.to)) {
			return o, nil
		}
	}
	shape := append(tensor.Shape{x.Shape()[0]}, op.to...)
	if shape.TotalSize() != x.Size() {
		return nil, errors.Errorf("%v: input %v has %d elements, not %d", op, x.Shape(), x.Size(), shape.TotalSize())
	}
	if op.out == nil || op.out.Uintptr() != x.Uintptr() || !op.out.Shape().Eq(shape) {
		var backing any = x.Float64s()
		if x.Dtype() == tensor.Float32 {
			backing = x.Float32s()
		}
		op.out = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))
	}
	return op.out, nil
}

func (op *reshapeOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	g, err := G.ApplyOp(&reshapeOp{base: newBase(), from: op.to, to: op.from}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}
