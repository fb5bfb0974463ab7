package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/kernels"
)

// OutSize returns the output length of a convolution or pooling window of
// size k moved with stride s over an input of length in, and the zero
// padding to put before the input. With same false ('valid' padding) the
// window stays inside the input: out = floor((in-k)/s)+1. With same true,
// out = ceil(in/s) and the padding is split as Keras and TensorFlow split
// it, the odd cell going after the input. It returns an error when the
// window does not fit.
func OutSize(in, k, s int, same bool) (out, padBefore int, err error) {
	switch {
	case in <= 0 || k <= 0 || s <= 0:
		return 0, 0, errors.Errorf("input %d, window %d and stride %d must all be positive", in, k, s)
	case same:
		out = (in + s - 1) / s
		total := max((out-1)*s+k-in, 0)
		return out, total / 2, nil
	case k > in:
		return 0, 0, errors.Errorf("window %d is larger than input %d with 'valid' padding", k, in)
	default:
		return (in-k)/s + 1, 0, nil
	}
}

// ConvOpts says how a convolution or pooling window moves: its stride and
// whether the input is zero-padded so that out = ceil(in/stride) ('same').
// DilationH and DilationW space a convolution's kernel taps apart (0 or 1:
// adjacent taps); pooling ignores them.
type ConvOpts struct {
	StrideH, StrideW     int
	Same                 bool
	DilationH, DilationW int
}

func (o ConvOpts) strides() (int, int) {
	sh, sw := o.StrideH, o.StrideW
	if sh == 0 {
		sh = 1
	}
	if sw == 0 {
		sw = sh
	}
	return sh, sw
}

// convOp is y = conv(x, w) + b, with x [N,C,H,W], w [F,C,KH,KW] and
// optionally b [F]. The batch size N is read at run time.
type convOp struct {
	base
	optBias
	s      kernels.ConvShape // N is filled in per call
	needDX bool
}

// Conv2D convolves x [N,C,H,W] with the filters w [F,C,KH,KW] and adds the
// bias b [F] unless b is nil, giving [N,F,OH,OW]. With dilation rates above 1 (o) the taps
// are that far apart and the output size is that of the dilated extent
// (KH−1)·DilationH+1, as in Keras; such a convolution runs as a plain one
// with the kernel spread out, zeros between the taps. If needInputGrad is
// false the gradient with respect to x is never built (the first layer of
// a network has no use for it).
func Conv2D(x, w, b *G.Node, o ConvOpts, needInputGrad bool) (*G.Node, error) {
	if x == nil || w == nil {
		return nil, errors.New("conv2d: the input and the kernel must be given")
	}
	if dh, dw := o.dilations(); dh > 1 || dw > 1 {
		wd, err := dilateKernel(w, dh, dw)
		if err != nil {
			return nil, errors.Wrapf(err, "conv2d: input %v", x.Shape())
		}
		o.DilationH, o.DilationW = 1, 1
		return Conv2D(x, wd, b, o, needInputGrad)
	}
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 4 || len(ws) != 4 {
		return nil, errors.Errorf("conv2d: want input [N,C,H,W] and kernel [F,C,KH,KW]; got %v and %v", xs, ws)
	}
	if xs[1] != ws[1] {
		return nil, errors.Errorf("conv2d: input has %d channels but the kernel %v expects %d", xs[1], ws, ws[1])
	}
	if b != nil {
		if bs := b.Shape(); len(bs) != 1 || bs[0] != ws[0] {
			return nil, errors.Errorf("conv2d: bias %v does not match %d filters", bs, ws[0])
		}
	}
	sh, sw := o.strides()
	oh, padT, err := OutSize(xs[2], ws[2], sh, o.Same)
	if err != nil {
		return nil, errors.Wrapf(err, "conv2d: kernel %dx%d over input %dx%d (height)", ws[2], ws[3], xs[2], xs[3])
	}
	ow, padL, err := OutSize(xs[3], ws[3], sw, o.Same)
	if err != nil {
		return nil, errors.Wrapf(err, "conv2d: kernel %dx%d over input %dx%d (width)", ws[2], ws[3], xs[2], xs[3])
	}
	op := &convOp{base: newBase(), optBias: optBias{b != nil}, needDX: needInputGrad, s: kernels.ConvShape{
		N: xs[0], C: xs[1], H: xs[2], W: xs[3], F: ws[0], KH: ws[2], KW: ws[3],
		SH: sh, SW: sw, PadT: padT, PadL: padL, OH: oh, OW: ow,
	}}
	return applyBiased(op, x, w, b)
}

func (op *convOp) shape(n int) kernels.ConvShape { s := op.s; s.N = n; return s }

func (op *convOp) String() string { return fmt.Sprintf("Conv2D%+v", op.s) }

func (op *convOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.Arity(), ds)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{ss[0][0], op.s.F, op.s.OH, op.s.OW}, nil
}

func (op *convOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, op.Arity(), vs)
	if err != nil {
		return nil, err
	}
	x, w := ts[0], ts[1]
	s := op.shape(x.Shape()[0])
	if err := s.Validate(); err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	y := op.output(x.Dtype(), s.N, s.F, s.OH, s.OW)
	if x.Dtype() == tensor.Float32 {
		var b []float32
		if op.hasBias {
			b = f32(ts[2])
		}
		kernels.Conv2DForward(s, f32(x), f32(w), b, f32(y))
	} else {
		var b []float64
		if op.hasBias {
			b = f64(ts[2])
		}
		kernels.NaiveConvForward(s, f64(x), f64(w), b, f64(y))
	}
	return y, nil
}

func (op *convOp) DiffWRT(n int) []bool {
	d := []bool{op.needDX, true, true}
	return d[:n]
}

// SymDiff builds the data, filter and (with a bias) bias gradients. When the output
// feeds a max pool only, so that grad is the pool's gradient op, and the
// kernels say it pays (kernels.PooledFilterGradPays), the filter (and
// bias) gradient is computed from the pooled gradient and the pool's
// argmax, and the pool's full-size gradient is only computed if the
// data gradient needs it (see poolGradOp).
func (op *convOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	grads := make(G.Nodes, op.Arity())
	var err error
	pool, _ := grad.Op().(*poolGradOp)
	if pool != nil && pool.pool.isMax && kernels.PooledFilterGradPays(op.s) {
		pool.lazy = true
	} else {
		pool = nil
	}
	if op.needDX {
		if grads[0], err = G.ApplyOp(&convGradOp{base: newBase(), conv: op, data: true, pool: pool}, in[1], grad); err != nil {
			return nil, err
		}
	}
	filter := &convGradOp{base: newBase(), conv: op, pool: pool}
	if grads[1], err = G.ApplyOp(filter, in[0], grad); err != nil {
		return nil, err
	}
	if op.hasBias {
		if grads[2], err = G.ApplyOp(&convBiasGradOp{base: newBase(), filter: filter}, grads[1], grad); err != nil {
			return nil, err
		}
	}
	return grads, nil
}

// convGradOp is the gradient of a convolution with respect to its input
// (data: inputs w and dy) or to its filters (inputs x and dy). The filter
// gradient also computes the bias gradient, in the same pass over dy, and
// keeps it for convBiasGradOp. If pool is not nil, dy is the output of
// that (lazy) max-pool gradient: the data gradient has it materialized
// first, the filter gradient reads the pooled gradient instead.
type convGradOp struct {
	base
	conv *convOp
	data bool
	pool *poolGradOp
	db   *tensor.Dense // filter gradient: the bias gradient of the last run
}

func (op *convGradOp) Arity() int    { return 2 }
func (op *convGradOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4), tt(4)) }
func (op *convGradOp) String() string {
	if op.data {
		return fmt.Sprintf("Conv2DDataGrad%+v", op.conv.s)
	}
	return fmt.Sprintf("Conv2DFilterGrad%+v", op.conv.s)
}

func (op *convGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 2, ds)
	if err != nil {
		return nil, err
	}
	s := op.conv.s
	if op.data {
		return tensor.Shape{ss[1][0], s.C, s.H, s.W}, nil
	}
	return tensor.Shape{s.F, s.C, s.KH, s.KW}, nil
}

func (op *convGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 2, vs)
	if err != nil {
		return nil, err
	}
	dy := ts[1]
	s := op.conv.shape(dy.Shape()[0])
	dt := dy.Dtype()
	if op.pool != nil && (op.data || dt != tensor.Float32) {
		op.pool.materialize()
	}
	if op.data {
		w := ts[0]
		dx := op.output(dt, s.N, s.C, s.H, s.W)
		if dt == tensor.Float32 {
			kernels.Conv2DBackwardData(s, f32(w), f32(dy), f32(dx))
		} else {
			kernels.NaiveConvBackward(s, nil, f64(w), f64(dy), f64(dx), nil, nil)
		}
		return dx, nil
	}
	x := ts[0]
	dw := op.output(dt, s.F, s.C, s.KH, s.KW)
	if op.db == nil || op.db.Dtype() != dt {
		op.db = tensor.New(tensor.Of(dt), tensor.WithShape(s.F))
	}
	switch {
	case dt == tensor.Float32 && op.pool != nil:
		pg := op.pool
		ps := pg.pool.shape(s.N)
		kernels.Conv2DBackwardFilterPooled(s, ps, f32(x), f32(pg.dy), pg.pool.argmax, f32(dw), f32(op.db))
	case dt == tensor.Float32:
		kernels.Conv2DBackwardFilter(s, f32(x), f32(dy), f32(dw), f32(op.db))
	default:
		kernels.NaiveConvBackward(s, f64(x), nil, f64(dy), nil, f64(dw), f64(op.db))
	}
	return dw, nil
}

// convBiasGradOp is the bias gradient of a convolution: the sums of dy
// over all but the channel axis, which the filter-gradient op computes in
// its pass over dy. Its inputs are that op's output (so that it runs
// after it) and dy.
type convBiasGradOp struct {
	base
	filter *convGradOp
}

func (op *convBiasGradOp) Arity() int           { return 2 }
func (op *convBiasGradOp) Type() hm.Type        { return hm.NewFnType(tt(4), tt(4), tt(1)) }
func (op *convBiasGradOp) String() string       { return fmt.Sprintf("Conv2DBiasGrad%+v", op.filter.conv.s) }
func (op *convBiasGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *convBiasGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: second derivatives are not supported", op)
}

func (op *convBiasGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if _, err := shapes(op, 2, ds); err != nil {
		return nil, err
	}
	return tensor.Shape{op.filter.conv.s.F}, nil
}

func (op *convBiasGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 2, vs)
	if err != nil {
		return nil, err
	}
	db := op.filter.db
	if db == nil || db.Dtype() != ts[1].Dtype() {
		return nil, errors.Errorf("%v: the filter gradient has not run", op)
	}
	return op.outputCopy(db), nil
}
