package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/kernels"
)

func (o ConvOpts) dilations() (int, int) {
	return max(o.DilationH, 1), max(o.DilationW, 1)
}

// depthwiseOp is y = depthwise(x, w) (+ b), with x [N,C,H,W], w
// [C·M,1,KH,KW] and b [C·M] or absent. The batch size is read at run time.
type depthwiseOp struct {
	base
	s kernels.DepthwiseShape // N is filled in per call
	optBias
	needDX bool
}

// DepthwiseConv2D convolves each channel of x [N,C,H,W] with M filters of
// its own, w [C·M,1,KH,KW], and adds the bias b [C·M] unless b is nil,
// giving [N,C·M,OH,OW]; output channel c·M+m comes from input channel c.
// o sets the strides, dilations and padding; the output size is Keras's
// (see OutSize) for the dilated kernel's extent (KH−1)·DH+1. If
// needInputGrad is false the gradient with respect to x is never built.
func DepthwiseConv2D(x, w, b *G.Node, o ConvOpts, needInputGrad bool) (*G.Node, error) {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 4 || len(ws) != 4 || ws[1] != 1 {
		return nil, errors.Errorf("depthwise conv2d: want input [N,C,H,W] and kernel [C*M,1,KH,KW]; got %v and %v", xs, ws)
	}
	if ws[0]%xs[1] != 0 {
		return nil, errors.Errorf("depthwise conv2d: kernel %v: %d filters are not a multiple of the input's %d channels", ws, ws[0], xs[1])
	}
	if b != nil && (len(b.Shape()) != 1 || b.Shape()[0] != ws[0]) {
		return nil, errors.Errorf("depthwise conv2d: bias %v does not match %d filters", b.Shape(), ws[0])
	}
	sh, sw := o.strides()
	dh, dw := o.dilations()
	oh, padT, err := OutSize(xs[2], (ws[2]-1)*dh+1, sh, o.Same)
	if err != nil {
		return nil, errors.Wrapf(err, "depthwise conv2d: kernel %dx%d dilated %dx%d over input %dx%d (height)", ws[2], ws[3], dh, dw, xs[2], xs[3])
	}
	ow, padL, err := OutSize(xs[3], (ws[3]-1)*dw+1, sw, o.Same)
	if err != nil {
		return nil, errors.Wrapf(err, "depthwise conv2d: kernel %dx%d dilated %dx%d over input %dx%d (width)", ws[2], ws[3], dh, dw, xs[2], xs[3])
	}
	op := &depthwiseOp{base: newBase(), optBias: optBias{b != nil}, needDX: needInputGrad, s: kernels.DepthwiseShape{
		N: xs[0], C: xs[1], H: xs[2], W: xs[3], M: ws[0] / xs[1], KH: ws[2], KW: ws[3],
		SH: sh, SW: sw, DH: dh, DW: dw, PadT: padT, PadL: padL, OH: oh, OW: ow,
	}}
	return applyBiased(op, x, w, b)
}

func (op *depthwiseOp) shape(n int) kernels.DepthwiseShape { s := op.s; s.N = n; return s }

func (op *depthwiseOp) String() string { return fmt.Sprintf("DepthwiseConv2D%+v", op.s) }

func (op *depthwiseOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.Arity(), ds)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{ss[0][0], op.s.C * op.s.M, op.s.OH, op.s.OW}, nil
}

func (op *depthwiseOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, op.Arity(), vs)
	if err != nil {
		return nil, err
	}
	x, w := ts[0], ts[1]
	s := op.shape(x.Shape()[0])
	if err := s.Validate(); err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	y := op.output(x.Dtype(), s.N, s.C*s.M, s.OH, s.OW)
	if x.Dtype() == tensor.Float32 {
		var b []float32
		if op.hasBias {
			b = f32(ts[2])
		}
		kernels.DepthwiseForward(s, f32(x), f32(w), b, f32(y))
	} else {
		var b []float64
		if op.hasBias {
			b = f64(ts[2])
		}
		kernels.DepthwiseForward(s, f64(x), f64(w), b, f64(y))
	}
	return y, nil
}

func (op *depthwiseOp) DiffWRT(n int) []bool {
	d := []bool{op.needDX, true, true}
	return d[:n]
}

// SymDiff builds the data, filter and (with a bias) bias gradients; the
// filter gradient computes the bias gradient in the same pass.
func (op *depthwiseOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	filter := &depthwiseGradOp{base: newBase(), fwd: op}
	return splitSymDiff(in, grad, op.Arity(), op.needDX, op.hasBias,
		&depthwiseGradOp{base: newBase(), fwd: op, data: true}, filter, &filter.db, "DepthwiseConv2DBiasGrad")
}

// splitSymDiff builds the gradients of an op of inputs x, w and, with
// hasBias, b, whose gradients are two ops: data, of inputs w and dy, for
// x (only when needDX), and filter, of inputs x and dy, for w, which
// computes the bias gradient in the same pass into *db, handed on by a
// stashOp named what.
func splitSymDiff(in G.Nodes, grad *G.Node, arity int, needDX, hasBias bool, data, filter G.Op, db **tensor.Dense, what string) (G.Nodes, error) {
	grads := make(G.Nodes, arity)
	var err error
	if needDX {
		if grads[0], err = G.ApplyOp(data, in[1], grad); err != nil {
			return nil, err
		}
	}
	if grads[1], err = G.ApplyOp(filter, in[0], grad); err != nil {
		return nil, err
	}
	if hasBias {
		stash := &stashOp{base: newBase(), src: db, what: what, size: in[2].Shape().TotalSize()}
		if grads[2], err = G.ApplyOp(stash, grads[1]); err != nil {
			return nil, err
		}
	}
	return grads, nil
}

// depthwiseGradOp is the gradient of a depthwise convolution with respect
// to its input (data: inputs w and dy) or to its filters (inputs x and
// dy), which also computes the bias gradient and keeps it in db.
type depthwiseGradOp struct {
	base
	fwd  *depthwiseOp
	data bool
	db   *tensor.Dense
}

func (op *depthwiseGradOp) Arity() int    { return 2 }
func (op *depthwiseGradOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4), tt(4)) }
func (op *depthwiseGradOp) String() string {
	if op.data {
		return fmt.Sprintf("DepthwiseConv2DDataGrad%+v", op.fwd.s)
	}
	return fmt.Sprintf("DepthwiseConv2DFilterGrad%+v", op.fwd.s)
}
func (op *depthwiseGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *depthwiseGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: second derivatives are not supported", op)
}

func (op *depthwiseGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 2, ds)
	if err != nil {
		return nil, err
	}
	s := op.fwd.s
	if op.data {
		return tensor.Shape{ss[1][0], s.C, s.H, s.W}, nil
	}
	return tensor.Shape{s.C * s.M, 1, s.KH, s.KW}, nil
}

func (op *depthwiseGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 2, vs)
	if err != nil {
		return nil, err
	}
	dy := ts[1]
	s := op.fwd.shape(dy.Shape()[0])
	if err := s.Validate(); err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	dt := dy.Dtype()
	if op.data {
		dx := op.output(dt, s.N, s.C, s.H, s.W)
		if dt == tensor.Float32 {
			kernels.DepthwiseBackwardData(s, f32(ts[0]), f32(dy), f32(dx))
		} else {
			kernels.DepthwiseBackwardData(s, f64(ts[0]), f64(dy), f64(dx))
		}
		return dx, nil
	}
	dw := op.output(dt, s.C*s.M, 1, s.KH, s.KW)
	if op.db == nil || op.db.Dtype() != dt {
		op.db = tensor.New(tensor.Of(dt), tensor.WithShape(s.C*s.M))
	}
	if dt == tensor.Float32 {
		kernels.DepthwiseBackwardFilter(s, f32(ts[0]), f32(dy), f32(dw), f32(op.db))
	} else {
		kernels.DepthwiseBackwardFilter(s, f64(ts[0]), f64(dy), f64(dw), f64(op.db))
	}
	return dw, nil
}

// optBias is the arity and type of an op of inputs x [4-D], w [4-D] and,
// with hasBias, a bias b [1-D], giving a 4-D output.
type optBias struct{ hasBias bool }

func (o optBias) Arity() int {
	if o.hasBias {
		return 3
	}
	return 2
}

func (o optBias) Type() hm.Type {
	if o.hasBias {
		return hm.NewFnType(tt(4), tt(4), tt(1), tt(4))
	}
	return hm.NewFnType(tt(4), tt(4), tt(4))
}

// applyBiased applies op to x, w and b, or to x and w alone when b is
// nil.
func applyBiased(op G.Op, x, w, b *G.Node) (*G.Node, error) {
	if b == nil {
		return G.ApplyOp(op, x, w)
	}
	return G.ApplyOp(op, x, w, b)
}

// stashOp hands on a tensor that the op of its input computed alongside
// its output (a bias gradient); its input orders it after that op.
type stashOp struct {
	base
	src  **tensor.Dense
	what string
	size int // the bias's length
}

func (op *stashOp) Arity() int           { return 1 }
func (op *stashOp) Type() hm.Type        { return hm.NewFnType(tt(4), tt(1)) }
func (op *stashOp) String() string       { return fmt.Sprintf("%s#%d", op.what, op.id) }
func (op *stashOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *stashOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: second derivatives are not supported", op)
}

func (op *stashOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if _, err := shapes(op, 1, ds); err != nil {
		return nil, err
	}
	return tensor.Shape{op.size}, nil
}

func (op *stashOp) Do(vs ...G.Value) (G.Value, error) {
	src := *op.src
	if src == nil {
		return nil, errors.Errorf("%v: the gradient has not run", op)
	}
	return op.outputCopy(src), nil
}
