package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/kernels"
)

// poolOp is max or average pooling over x [N,C,H,W]. A max-pool records the
// position of each maximum (argmax) during the forward pass; its gradient op
// routes the incoming gradient through those positions.
//
// A max-pool with relu set pools ReLU(x): it computes max(maxpool(x), 0),
// which is the same thing since max commutes with ReLU, and sets the
// argmax of windows whose output is not positive to -1, so that they pass
// no gradient, which is the ReLU's gradient. The ReLU then touches only
// the pooled outputs.
type poolOp struct {
	base
	s      kernels.PoolShape // N is filled in per call
	isMax  bool
	relu   bool
	argmax []int32
}

// MaxPool2D takes the maximum of each kh×kw window of x [N,C,H,W].
//
// If x is the output of Activate(v, ReLU), the pool is applied to v with
// the ReLU fused into it (see poolOp): the result and all gradients are
// the same, but the full-size ReLU and its gradient are no longer part of
// the path from v to the loss (the ReLU node itself stays in the graph for
// any other consumers).
func MaxPool2D(x *G.Node, kh, kw int, o ConvOpts) (*G.Node, error) {
	return pool(x, kh, kw, o, true)
}

// reluInput returns v if n is Activate(v, ReLU), else nil.
func reluInput(n *G.Node) *G.Node {
	if op, ok := n.Op().(*actOp); !ok || op.act != ReLU || op.grad {
		return nil
	}
	children := n.Graph().From(n.ID())
	if children == nil || children.Len() != 1 || !children.Next() {
		return nil
	}
	v, _ := children.Node().(*G.Node)
	return v
}

// AvgPool2D averages each kh×kw window of x [N,C,H,W]. With 'same' padding
// the padded cells are left out of the average, as in Keras.
func AvgPool2D(x *G.Node, kh, kw int, o ConvOpts) (*G.Node, error) {
	return pool(x, kh, kw, o, false)
}

func pool(x *G.Node, kh, kw int, o ConvOpts, isMax bool) (*G.Node, error) {
	xs := x.Shape()
	if len(xs) != 4 {
		return nil, errors.Errorf("pool2d: want input [N,C,H,W], got %v", xs)
	}
	sh, sw := o.strides()
	oh, padT, err := OutSize(xs[2], kh, sh, o.Same)
	if err != nil {
		return nil, errors.Wrapf(err, "pool2d: pool %dx%d over input %dx%d (height)", kh, kw, xs[2], xs[3])
	}
	ow, padL, err := OutSize(xs[3], kw, sw, o.Same)
	if err != nil {
		return nil, errors.Wrapf(err, "pool2d: pool %dx%d over input %dx%d (width)", kh, kw, xs[2], xs[3])
	}
	op := &poolOp{base: newBase(), isMax: isMax, s: kernels.PoolShape{
		N: xs[0], C: xs[1], H: xs[2], W: xs[3], KH: kh, KW: kw,
		SH: sh, SW: sw, PadT: padT, PadL: padL, OH: oh, OW: ow,
	}}
	if isMax {
		if v := reluInput(x); v != nil {
			x, op.relu = v, true
		}
	}
	return G.ApplyOp(op, x)
}

func (op *poolOp) shape(n int) kernels.PoolShape { s := op.s; s.N = n; return s }

func (op *poolOp) Arity() int    { return 1 }
func (op *poolOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *poolOp) String() string {
	if op.relu {
		return fmt.Sprintf("MaxPool2D(ReLU)%+v", op.s)
	}
	if op.isMax {
		return fmt.Sprintf("MaxPool2D%+v", op.s)
	}
	return fmt.Sprintf("AvgPool2D%+v", op.s)
}

func (op *poolOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 1, ds)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{ss[0][0], op.s.C, op.s.OH, op.s.OW}, nil
}

func (op *poolOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 1, vs)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	s := op.shape(x.Shape()[0])
	y := op.output(x.Dtype(), s.N, s.C, s.OH, s.OW)
	if op.isMax {
		if n := y.Size(); cap(op.argmax) < n {
			op.argmax = make([]int32, n)
		} else {
			op.argmax = op.argmax[:n]
		}
	}
	switch {
	case x.Dtype() == tensor.Float64 && !op.isMax:
		kernels.NaiveAvgPool(s, f64(x), f64(y))
	case x.Dtype() == tensor.Float64:
		kernels.NaiveMaxPool(s, f64(x), f64(y), op.argmax)
		if op.relu {
			for i, v := range f64(y) {
				if !(v > 0) {
					f64(y)[i], op.argmax[i] = max(v, 0), -1
				}
			}
		}
	case op.relu:
		kernels.MaxPool2DReLUForward(s, f32(x), f32(y), op.argmax)
	case op.isMax:
		kernels.MaxPool2DForward(s, f32(x), f32(y), op.argmax)
	default:
		kernels.AvgPool2DForward(s, f32(x), f32(y))
	}
	return y, nil
}

func (op *poolOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff feeds the forward output to the gradient op as well as dy: the
// gradient reads the argmax that the forward pass left behind, and the extra
// edge guarantees the forward pass has run first.
func (op *poolOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	g, err := G.ApplyOp(&poolGradOp{base: newBase(), pool: op}, out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

// poolGradOp is the gradient of a pooling op: inputs y (for ordering) and dy.
//
// A lazy poolGradOp (set by the convolution whose output the pool reads,
// when it is the only user of this gradient) only records dy when it runs;
// its output is computed when that convolution calls materialize, which it
// skips when the gradient with respect to its input is not wanted (it
// takes its filter gradient from dy and the argmax directly).
type poolGradOp struct {
	base
	pool    *poolOp
	lazy    bool
	dy      *tensor.Dense // the output gradient of the last run
	pending bool          // the last run's input gradient is not computed yet
}

func (op *poolGradOp) Arity() int     { return 2 }
func (op *poolGradOp) Type() hm.Type  { return hm.NewFnType(tt(4), tt(4), tt(4)) }
func (op *poolGradOp) String() string { return fmt.Sprintf("Grad(%v)", op.pool) }

func (op *poolGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 2, ds)
	if err != nil {
		return nil, err
	}
	s := op.pool.s
	return tensor.Shape{ss[1][0], s.C, s.H, s.W}, nil
}

// ShareOutput declines for a lazy gradient, which keeps its input to
// compute its output when a later op asks (materialize); an eager one
// shares.
func (op *poolGradOp) ShareOutput(alloc func(tensor.Dtype, ...int) *tensor.Dense) bool {
	if op.lazy {
		return false
	}
	return op.base.ShareOutput(alloc)
}

func (op *poolGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 2, vs)
	if err != nil {
		return nil, err
	}
	dy := ts[1]
	s := op.pool.shape(dy.Shape()[0])
	dx := op.output(dy.Dtype(), s.N, s.C, s.H, s.W)
	if op.pool.isMax && len(op.pool.argmax) != dy.Size() {
		return nil, errors.Errorf("%v: the forward pass has not run for this batch size", op)
	}
	op.dy, op.pending = dy, true
	if !op.lazy {
		op.materialize()
	}
	return dx, nil
}

// materialize computes the input gradient of the last run into the output
// buffer, unless that has been done already.
func (op *poolGradOp) materialize() {
	if !op.pending {
		return
	}
	op.pending = false
	dy, dx := op.dy, op.out
	s := op.pool.shape(dy.Shape()[0])
	switch {
	case op.pool.isMax && dy.Dtype() == tensor.Float32:
		kernels.MaxPool2DBackward(s, f32(dy), op.pool.argmax, f32(dx))
	case op.pool.isMax:
		d, g := f64(dx), f64(dy)
		clear(d)
		for i, j := range op.pool.argmax {
			if j >= 0 {
				d[j] += g[i]
			}
		}
	case dy.Dtype() == tensor.Float32:
		kernels.AvgPool2DBackward(s, f32(dy), f32(dx))
	default:
		kernels.NaiveAvgPoolBackward(s, f64(dy), f64(dx))
	}
}
