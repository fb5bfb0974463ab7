package ops

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/kernels"
)

// Reshape views x [N, ...] as [N, shape...] without copying; shape must
// hold as many values per example as x does (no -1: the caller resolves
// it).
func Reshape(x *G.Node, shape ...int) (*G.Node, error) {
	s := x.Shape()
	if len(s) < 2 || len(shape) == 0 {
		return nil, errors.Errorf("reshape: input %v to %v: want an input [N, ...] and a target shape", s, shape)
	}
	to := tensor.Shape(append([]int(nil), shape...))
	for _, d := range to {
		if d <= 0 {
			return nil, errors.Errorf("reshape: input %v to %v: sizes must be positive", s, shape)
		}
	}
	if to.TotalSize() != s[1:].TotalSize() {
		return nil, errors.Errorf("reshape: input %v has %d values per example, target %v has %d", s, s[1:].TotalSize(), shape, to.TotalSize())
	}
	return G.ApplyOp(&reshapeOp{base: newBase(), from: s[1:].Clone(), to: to}, x)
}

// padOp pads (or, where a side is negative, crops) the two spatial axes of
// x [N,C,H,W] with zeros: y[n,c,i,j] = x[n,c,i-top,j-left], zero where
// that lies outside x. Its gradient is the same op with every side
// negated.
type padOp struct {
	base
	top, bottom, left, right int
	c, h, w                  int // input per example
}

// Pad2D pads x [N,C,H,W] with top and bottom rows and left and right
// columns of zeros, giving [N,C,H+top+bottom,W+left+right]. A negative
// side crops that many rows or columns instead (Cropping2D). The output
// must keep at least one row and one column.
func Pad2D(x *G.Node, top, bottom, left, right int) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 {
		return nil, errors.Errorf("pad2d: want input [N,C,H,W], got %v", s)
	}
	op := &padOp{base: newBase(), top: top, bottom: bottom, left: left, right: right, c: s[1], h: s[2], w: s[3]}
	if oh, ow := op.outHW(); oh <= 0 || ow <= 0 {
		return nil, errors.Errorf("pad2d: padding (%d,%d),(%d,%d) of input %v leaves %dx%d", top, bottom, left, right, s, oh, ow)
	}
	return G.ApplyOp(op, x)
}

func (op *padOp) outHW() (int, int) {
	return op.h + op.top + op.bottom, op.w + op.left + op.right
}

func (op *padOp) Arity() int    { return 1 }
func (op *padOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *padOp) String() string {
	return fmt.Sprintf("Pad2D(%d,%d,%d,%d)", op.top, op.bottom, op.left, op.right)
}
func (op *padOp) DiffWRT(int) []bool { return []bool{true} }

func (op *padOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 1, ds)
	if err != nil {
		return nil, err
	}
	oh, ow := op.outHW()
	return tensor.Shape{ss[0][0], op.c, oh, ow}, nil
}

func (op *padOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 1, vs)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	xs := x.Shape()
	if len(xs) != 4 || xs[1] != op.c || xs[2] != op.h || xs[3] != op.w {
		return nil, errors.Errorf("%v: input %v, want [N,%d,%d,%d]", op, xs, op.c, op.h, op.w)
	}
	oh, ow := op.outHW()
	y := op.output(x.Dtype(), xs[0], op.c, oh, ow)
	if x.Dtype() == tensor.Float32 {
		pad2D(op, xs[0]*op.c, f32(x), f32(y))
	} else {
		pad2D(op, xs[0]*op.c, f64(x), f64(y))
	}
	return y, nil
}

func pad2D[T float](op *padOp, planes int, x, y []T) {
	oh, ow := op.outHW()
	j0, j1 := max(op.left, 0), min(ow, op.w+op.left) // output columns read from x
	kernels.ParallelFor(planes, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src, dst := x[p*op.h*op.w:(p+1)*op.h*op.w], y[p*oh*ow:(p+1)*oh*ow]
			for i := range oh {
				row := dst[i*ow : (i+1)*ow]
				si := i - op.top
				if si < 0 || si >= op.h || j0 >= j1 {
					clear(row)
					continue
				}
				clear(row[:j0])
				copy(row[j0:j1], src[si*op.w+j0-op.left:])
				clear(row[j1:])
			}
		}
	})
}

func (op *padOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	oh, ow := op.outHW()
	g, err := G.ApplyOp(&padOp{base: newBase(), top: -op.top, bottom: -op.bottom, left: -op.left, right: -op.right, c: op.c, h: oh, w: ow}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

// resampleAxis maps each output index of one axis to two input indices and
// their weights: out[i] = w0[i]·in[i0[i]] + w1[i]·in[i1[i]].
type resampleAxis struct {
	i0, i1 []int
	w0, w1 []float64
}

// newResampleAxis returns the map of upsampling an axis of length in by
// the factor s: nearest (each input repeated s times) or bilinear with
// half-pixel centres, as TensorFlow's resize (and so Keras's UpSampling2D)
// computes it: source coordinate (i+0.5)/s − 0.5, clamped to [0, in−1].
func newResampleAxis(in, s int, bilinear bool) resampleAxis {
	out := in * s
	a := resampleAxis{make([]int, out), make([]int, out), make([]float64, out), make([]float64, out)}
	for i := range out {
		if !bilinear {
			a.i0[i], a.i1[i], a.w0[i] = i/s, i/s, 1
			continue
		}
		src := max((float64(i)+0.5)/float64(s)-0.5, 0)
		lo := int(math.Floor(src))
		lo = min(lo, in-1)
		hi := min(lo+1, in-1)
		f := src - float64(lo)
		a.i0[i], a.i1[i], a.w0[i], a.w1[i] = lo, hi, 1-f, f
	}
	return a
}

// upsampleOp enlarges the spatial axes of x [N,C,H,W] by integer factors
// (grad false), or is that operation's gradient (grad true: its input is
// the output gradient, its output the input gradient).
type upsampleOp struct {
	base
	sh, sw   int
	bilinear bool
	c, h, w  int // the upsampled op's input per example
	rows     resampleAxis
	cols     resampleAxis
	grad     bool
}

// UpSample2D enlarges x [N,C,H,W] to [N,C,H·sh,W·sw]: each value repeated
// sh×sw times (nearest), or, with bilinear, interpolated with half-pixel
// centres as Keras's UpSampling2D(interpolation="bilinear") does.
func UpSample2D(x *G.Node, sh, sw int, bilinear bool) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 {
		return nil, errors.Errorf("upsample2d: want input [N,C,H,W], got %v", s)
	}
	if sh <= 0 || sw <= 0 {
		return nil, errors.Errorf("upsample2d: factors %dx%d of input %v must be positive", sh, sw, s)
	}
	return G.ApplyOp(&upsampleOp{base: newBase(), sh: sh, sw: sw, bilinear: bilinear, c: s[1], h: s[2], w: s[3],
		rows: newResampleAxis(s[2], sh, bilinear), cols: newResampleAxis(s[3], sw, bilinear)}, x)
}

func (op *upsampleOp) Arity() int    { return 1 }
func (op *upsampleOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *upsampleOp) String() string {
	name := "UpSample2D"
	if op.grad {
		name += "Grad"
	}
	return fmt.Sprintf("%s(%dx%d,bilinear=%v)", name, op.sh, op.sw, op.bilinear)
}
func (op *upsampleOp) DiffWRT(int) []bool { return []bool{!op.grad} }

func (op *upsampleOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 1, ds)
	if err != nil {
		return nil, err
	}
	if op.grad {
		return tensor.Shape{ss[0][0], op.c, op.h, op.w}, nil
	}
	return tensor.Shape{ss[0][0], op.c, op.h * op.sh, op.w * op.sw}, nil
}

func (op *upsampleOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 1, vs)
	if err != nil {
		return nil, err
	}
	in := ts[0]
	n := in.Shape()[0]
	oh, ow := op.h*op.sh, op.w*op.sw
	var out *tensor.Dense
	if op.grad {
		out = op.output(in.Dtype(), n, op.c, op.h, op.w)
	} else {
		out = op.output(in.Dtype(), n, op.c, oh, ow)
	}
	want := n * op.c * op.h * op.w
	if op.grad {
		want = n * op.c * oh * ow
	}
	if in.Shape().TotalSize() != want {
		return nil, errors.Errorf("%v: input %v does not fit", op, in.Shape())
	}
	if in.Dtype() == tensor.Float32 {
		upsample(op, n*op.c, f32(in), f32(out))
	} else {
		upsample(op, n*op.c, f64(in), f64(out))
	}
	return out, nil
}

// upsample runs the op (or its gradient) over planes planes.
func upsample[T float](op *upsampleOp, planes int, in, out []T) {
	oh, ow := op.h*op.sh, op.w*op.sw
	r, c := op.rows, op.cols
	kernels.ParallelFor(planes, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			if op.grad {
				dx := out[p*op.h*op.w : (p+1)*op.h*op.w]
				dy := in[p*oh*ow : (p+1)*oh*ow]
				clear(dx)
				for i := range oh {
					for j := range ow {
						g := float64(dy[i*ow+j])
						dx[r.i0[i]*op.w+c.i0[j]] += T(r.w0[i] * c.w0[j] * g)
						if op.bilinear {
							dx[r.i0[i]*op.w+c.i1[j]] += T(r.w0[i] * c.w1[j] * g)
							dx[r.i1[i]*op.w+c.i0[j]] += T(r.w1[i] * c.w0[j] * g)
							dx[r.i1[i]*op.w+c.i1[j]] += T(r.w1[i] * c.w1[j] * g)
						}
					}
				}
				continue
			}
			x, y := in[p*op.h*op.w:(p+1)*op.h*op.w], out[p*oh*ow:(p+1)*oh*ow]
			for i := range oh {
				row0, row1 := x[r.i0[i]*op.w:], x[r.i1[i]*op.w:]
				for j := range ow {
					if !op.bilinear {
						y[i*ow+j] = row0[c.i0[j]]
						continue
					}
					top := c.w0[j]*float64(row0[c.i0[j]]) + c.w1[j]*float64(row0[c.i1[j]])
					bot := c.w0[j]*float64(row1[c.i0[j]]) + c.w1[j]*float64(row1[c.i1[j]])
					y[i*ow+j] = T(r.w0[i]*top + r.w1[i]*bot)
				}
			}
		}
	})
}

func (op *upsampleOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, errors.Errorf("%v: second derivatives are not supported", op)
	}
	g := *op
	g.base, g.grad = newBase(), true
	dx, err := G.ApplyOp(&g, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}
