package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/kernels"
)

// TransposeOutSize returns the output length of a transposed convolution
// of an input of length in with a window k and stride s, and the padding
// of the convolution it is the transpose of, as Keras computes them:
// 'same' out = in·s; 'valid' out = in·s + max(k−s, 0), which is
// (in−1)·s + k when k ≥ s.
func TransposeOutSize(in, k, s int, same bool) (out, padBefore int, err error) {
	if in <= 0 || k <= 0 || s <= 0 {
		return 0, 0, errors.Errorf("input %d, window %d and stride %d must all be positive", in, k, s)
	}
	if same {
		return in * s, max(k-s, 0) / 2, nil
	}
	return in*s + max(k-s, 0), 0, nil
}

// convTransposeOp is y = convᵀ(x, w) (+ b): the gradient of a convolution
// with respect to its input, applied to x. x is [N,Cin,H,W], w
// [Cin,F,KH,KW] and b [F] or absent. s is the convolution it is the
// transpose of: from y's size (s.H, s.W) to x's (s.OH, s.OW), with s.C = F
// and s.F = Cin.
type convTransposeOp struct {
	base
	s kernels.ConvShape // N is filled in per call
	optBias
	needDX bool
}

// Conv2DTranspose is the transposed convolution ("deconvolution") of x
// [N,Cin,H,W] with w [Cin,F,KH,KW] (ONNX's ConvTranspose layout), plus the
// bias b [F] unless b is nil, giving [N,F,OH,OW] with Keras's output size
// (TransposeOutSize). It is the gradient of Conv2D with respect to its
// input and runs on that kernel. o sets strides, padding and dilation: with
// dilation rates above 1 it is the transpose of the dilated convolution,
// its window the dilated extent (KH−1)·DilationH+1, and runs as a plain
// one with the kernel spread out, zeros between the taps. If needInputGrad is false the gradient with respect to x
// is never built.
func Conv2DTranspose(x, w, b *G.Node, o ConvOpts, needInputGrad bool) (*G.Node, error) {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 4 || len(ws) != 4 {
		return nil, errors.Errorf("conv2d transpose: want input [N,C,H,W] and kernel [C,F,KH,KW]; got %v and %v", xs, ws)
	}
	if xs[1] != ws[0] {
		return nil, errors.Errorf("conv2d transpose: input has %d channels but the kernel %v expects %d", xs[1], ws, ws[0])
	}
	if b != nil && (len(b.Shape()) != 1 || b.Shape()[0] != ws[1]) {
		return nil, errors.Errorf("conv2d transpose: bias %v does not match %d filters", b.Shape(), ws[1])
	}
	if dh, dw := o.dilations(); dh > 1 || dw > 1 {
		// The transpose of a dilated convolution is that of the plain one
		// with the kernel spread out, zeros between the taps.
		wd, err := dilateKernel(w, dh, dw)
		if err != nil {
			return nil, errors.Wrapf(err, "conv2d transpose: input %v", xs)
		}
		o.DilationH, o.DilationW = 1, 1
		return Conv2DTranspose(x, wd, b, o, needInputGrad)
	}
	sh, sw := o.strides()
	oh, padT, err := TransposeOutSize(xs[2], ws[2], sh, o.Same)
	if err != nil {
		return nil, errors.Wrapf(err, "conv2d transpose: kernel %dx%d over input %dx%d (height)", ws[2], ws[3], xs[2], xs[3])
	}
	ow, padL, err := TransposeOutSize(xs[3], ws[3], sw, o.Same)
	if err != nil {
		return nil, errors.Wrapf(err, "conv2d transpose: kernel %dx%d over input %dx%d (width)", ws[2], ws[3], xs[2], xs[3])
	}
	op := &convTransposeOp{base: newBase(), optBias: optBias{b != nil}, needDX: needInputGrad, s: kernels.ConvShape{
		N: xs[0], C: ws[1], H: oh, W: ow, F: ws[0], KH: ws[2], KW: ws[3],
		SH: sh, SW: sw, PadT: padT, PadL: padL, OH: xs[2], OW: xs[3],
	}}
	if err := op.s.Validate(); err != nil {
		return nil, errors.Wrapf(err, "conv2d transpose: input %v, kernel %v", xs, ws)
	}
	return applyBiased(op, x, w, b)
}

func (op *convTransposeOp) shape(n int) kernels.ConvShape { s := op.s; s.N = n; return s }

func (op *convTransposeOp) String() string { return fmt.Sprintf("Conv2DTranspose%+v", op.s) }

func (op *convTransposeOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.Arity(), ds)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{ss[0][0], op.s.C, op.s.H, op.s.W}, nil
}

func (op *convTransposeOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, op.Arity(), vs)
	if err != nil {
		return nil, err
	}
	x, w := ts[0], ts[1]
	s := op.shape(x.Shape()[0])
	y := op.output(x.Dtype(), s.N, s.C, s.H, s.W)
	if x.Dtype() == tensor.Float32 {
		kernels.Conv2DBackwardData(s, f32(w), f32(x), f32(y))
		if op.hasBias {
			addBias(s, f32(ts[2]), f32(y))
		}
	} else {
		kernels.NaiveConvBackward(s, nil, f64(w), f64(x), f64(y), nil, nil)
		if op.hasBias {
			addBias(s, f64(ts[2]), f64(y))
		}
	}
	return y, nil
}

// addBias adds b[c] to every value of channel c of y [N,C,H,W].
func addBias[T float](s kernels.ConvShape, b, y []T) {
	hw := s.H * s.W
	kernels.ParallelFor(s.N*s.C, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			v := b[p%s.C]
			for i := range y[p*hw : (p+1)*hw] {
				y[p*hw+i] += v
			}
		}
	})
}

func (op *convTransposeOp) DiffWRT(n int) []bool {
	d := []bool{op.needDX, true, true}
	return d[:n]
}

// SymDiff builds the gradients: a convolution of dy for x, a filter
// gradient with the roles of input and output swapped for w, and the sums
// of dy for b (computed with the filter gradient).
func (op *convTransposeOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	filter := &convTransposeGradOp{base: newBase(), fwd: op}
	return splitSymDiff(in, grad, op.Arity(), op.needDX, op.hasBias,
		&convTransposeGradOp{base: newBase(), fwd: op, data: true}, filter, &filter.db, "Conv2DTransposeBiasGrad")
}

// convTransposeGradOp is the gradient of a transposed convolution with
// respect to its input (data: inputs w and dy) or its kernel (inputs x
// and dy; it also sums dy into db, the bias gradient).
type convTransposeGradOp struct {
	base
	fwd  *convTransposeOp
	data bool
	db   *tensor.Dense
	junk *tensor.Dense // the filter kernel's unused bias gradient
}

func (op *convTransposeGradOp) Arity() int    { return 2 }
func (op *convTransposeGradOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4), tt(4)) }
func (op *convTransposeGradOp) String() string {
	if op.data {
		return fmt.Sprintf("Conv2DTransposeDataGrad%+v", op.fwd.s)
	}
	return fmt.Sprintf("Conv2DTransposeFilterGrad%+v", op.fwd.s)
}
func (op *convTransposeGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *convTransposeGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: second derivatives are not supported", op)
}

func (op *convTransposeGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 2, ds)
	if err != nil {
		return nil, err
	}
	s := op.fwd.s
	if op.data {
		return tensor.Shape{ss[1][0], s.F, s.OH, s.OW}, nil
	}
	return tensor.Shape{s.F, s.C, s.KH, s.KW}, nil
}

func (op *convTransposeGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 2, vs)
	if err != nil {
		return nil, err
	}
	dy := ts[1]
	s := op.fwd.shape(dy.Shape()[0])
	dt := dy.Dtype()
	if op.data {
		w := ts[0]
		dx := op.output(dt, s.N, s.F, s.OH, s.OW)
		if dt == tensor.Float32 {
			kernels.Conv2DForward(s, f32(dy), f32(w), nil, f32(dx))
		} else {
			kernels.NaiveConvForward(s, f64(dy), f64(w), nil, f64(dx))
		}
		return dx, nil
	}
	x := ts[0]
	dw := op.output(dt, s.F, s.C, s.KH, s.KW)
	if op.db == nil || op.db.Dtype() != dt {
		op.db = tensor.New(tensor.Of(dt), tensor.WithShape(s.C))
		op.junk = tensor.New(tensor.Of(dt), tensor.WithShape(s.F))
	}
	if dt == tensor.Float32 {
		kernels.Conv2DBackwardFilter(s, f32(dy), f32(x), f32(dw), f32(op.junk))
		sumChannels(s.N, s.C, s.H*s.W, f32(dy), f32(op.db))
	} else {
		kernels.NaiveConvBackward(s, f64(dy), nil, f64(x), nil, f64(dw), nil)
		sumChannels(s.N, s.C, s.H*s.W, f64(dy), f64(op.db))
	}
	return dw, nil
}
