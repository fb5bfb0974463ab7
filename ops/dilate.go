package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// dilateOp spreads the taps of a kernel w [F,C,KH,KW] dh rows and dw
// columns apart, zeros between them, giving [F,C,(KH−1)·dh+1,(KW−1)·dw+1]
// (undo false); with undo true it gathers the taps of such a kernel back,
// which is the gradient of spreading them.
type dilateOp struct {
	base
	f, c, kh, kw int // the undilated kernel
	dh, dw       int
	undo         bool
}

// dilateKernel is a dilated convolution's kernel as a plain convolution's:
// a convolution with it is the dilated convolution with w. Conv2D uses it
// for dilation rates above 1; the cost is that of a convolution with the
// larger kernel.
func dilateKernel(w *G.Node, dh, dw int) (*G.Node, error) {
	s := w.Shape()
	if len(s) != 4 {
		return nil, errors.Errorf("dilate: want a kernel [F,C,KH,KW], got %v", s)
	}
	return G.ApplyOp(&dilateOp{base: newBase(), f: s[0], c: s[1], kh: s[2], kw: s[3], dh: dh, dw: dw}, w)
}

func (op *dilateOp) big() (int, int) { return (op.kh-1)*op.dh + 1, (op.kw-1)*op.dw + 1 }

func (op *dilateOp) Arity() int    { return 1 }
func (op *dilateOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *dilateOp) String() string {
	return fmt.Sprintf("DilateKernel(%dx%d by %dx%d, undo=%v)", op.kh, op.kw, op.dh, op.dw, op.undo)
}
func (op *dilateOp) DiffWRT(int) []bool { return []bool{!op.undo} }

func (op *dilateOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if _, err := shapes(op, 1, ds); err != nil {
		return nil, err
	}
	if op.undo {
		return tensor.Shape{op.f, op.c, op.kh, op.kw}, nil
	}
	bh, bw := op.big()
	return tensor.Shape{op.f, op.c, bh, bw}, nil
}

func (op *dilateOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 1, vs)
	if err != nil {
		return nil, err
	}
	bh, bw := op.big()
	var out *tensor.Dense
	if op.undo {
		out = op.output(ts[0].Dtype(), op.f, op.c, op.kh, op.kw)
	} else {
		out = op.output(ts[0].Dtype(), op.f, op.c, bh, bw)
	}
	if ts[0].Dtype() == tensor.Float32 {
		dilate(op, f32(ts[0]), f32(out))
	} else {
		dilate(op, f64(ts[0]), f64(out))
	}
	return out, nil
}

func dilate[T float](op *dilateOp, in, out []T) {
	bh, bw := op.big()
	if !op.undo {
		clear(out)
	}
	for p := range op.f * op.c {
		for i := range op.kh {
			for j := range op.kw {
				small, big := (p*op.kh+i)*op.kw+j, (p*bh+i*op.dh)*bw+j*op.dw
				if op.undo {
					out[small] = in[big]
				} else {
					out[big] = in[small]
				}
			}
		}
	}
}

func (op *dilateOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.undo {
		return nil, errors.Errorf("%v: second derivatives are not supported", op)
	}
	u := *op
	u.base, u.undo = newBase(), true
	g, err := G.ApplyOp(&u, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}
