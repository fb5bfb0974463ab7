package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/kernels"
)

// lnLayout splits each example of a layer normalisation into groups (the
// positions along the axes not normalised) and features (the positions
// along the normalised axes): element e of an example is feature feat[e]
// of group grp[e].
type lnLayout struct {
	shape     tensor.Shape // the example's shape
	axes      []int        // normalised axes of the input (1 = the first example axis)
	grp, feat []int32
	groups    int // per example
	features  int
}

func newLNLayout(example tensor.Shape, axes []int) lnLayout {
	l := lnLayout{shape: example.Clone(), axes: axes, groups: 1, features: 1}
	norm := make([]bool, len(example))
	for _, a := range axes {
		norm[a-1] = true
	}
	for i, d := range example {
		if norm[i] {
			l.features *= d
		} else {
			l.groups *= d
		}
	}
	size := example.TotalSize()
	l.grp, l.feat = make([]int32, size), make([]int32, size)
	idx := make([]int, len(example))
	for e := range size {
		g, f := 0, 0
		for i, d := range example {
			if norm[i] {
				f = f*d + idx[i]
			} else {
				g = g*d + idx[i]
			}
		}
		l.grp[e], l.feat[e] = int32(g), int32(f)
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < example[i] {
				break
			}
			idx[i] = 0
		}
	}
	return l
}

// layerNormOp is y = (x − mean)/sqrt(var + eps)·gamma + beta, the mean and
// variance taken over the normalised axes of each example.
type layerNormOp struct {
	base
	l   lnLayout
	eps float64
}

// LayerNorm normalises x [N, ...] over the given axes (1 is the first axis
// after the batch axis; each in [1, rank), distinct) of each example, and
// scales and shifts it by gamma and beta, whose shape is x's sizes along
// those axes, in order. This is Keras's LayerNormalization; the mean and
// variance are those of each example alone, in training and inference
// alike.
func LayerNorm(x, gamma, beta *G.Node, axes []int, eps float64) (*G.Node, error) {
	s := x.Shape()
	if len(s) < 2 {
		return nil, errors.Errorf("layernorm: input %v has no example axes", s)
	}
	axes = slices.Clone(axes)
	slices.Sort(axes)
	var want tensor.Shape
	for i, a := range axes {
		if a < 1 || a >= len(s) || (i > 0 && axes[i-1] == a) {
			return nil, errors.Errorf("layernorm: axes %v of input %v must be distinct and in [1, %d)", axes, s, len(s))
		}
		want = append(want, s[a])
	}
	if len(axes) == 0 {
		return nil, errors.Errorf("layernorm: no axis to normalise input %v over", s)
	}
	if !gamma.Shape().Eq(want) || !beta.Shape().Eq(want) {
		return nil, errors.Errorf("layernorm: gamma %v and beta %v must have shape %v for input %v over axes %v", gamma.Shape(), beta.Shape(), want, s, axes)
	}
	if !(eps > 0) {
		return nil, errors.Errorf("layernorm: epsilon %v must be positive", eps)
	}
	return G.ApplyOp(&layerNormOp{base: newBase(), l: newLNLayout(s[1:], axes), eps: eps}, x, gamma, beta)
}

func (op *layerNormOp) Arity() int { return 3 }
func (op *layerNormOp) Type() hm.Type {
	r, k := len(op.l.shape)+1, len(op.l.axes)
	return hm.NewFnType(tt(r), tt(k), tt(k), tt(r))
}
func (op *layerNormOp) String() string {
	return fmt.Sprintf("LayerNorm(%v over %v, eps=%g)", op.l.shape, op.l.axes, op.eps)
}
func (op *layerNormOp) DiffWRT(int) []bool { return []bool{true, true, true} }

func (op *layerNormOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 3, ds)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

// check returns the batch size of x, or an error if x does not fit.
func (l *lnLayout) check(op fmt.Stringer, x *tensor.Dense) (int, error) {
	s := x.Shape()
	if len(s) != len(l.shape)+1 || !s[1:].Eq(l.shape) {
		return 0, errors.Errorf("%v: input %v does not fit", op, s)
	}
	return s[0], nil
}

func (op *layerNormOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 3, vs)
	if err != nil {
		return nil, err
	}
	n, err := op.l.check(op, ts[0])
	if err != nil {
		return nil, err
	}
	y := op.output(ts[0].Dtype(), ts[0].Shape()...)
	if y.Dtype() == tensor.Float32 {
		lnForward(&op.l, n, op.eps, f32(ts[0]), f32(ts[1]), f32(ts[2]), f32(y))
	} else {
		lnForward(&op.l, n, op.eps, f64(ts[0]), f64(ts[1]), f64(ts[2]), f64(y))
	}
	return y, nil
}

// lnStats sets mean and rstd (1/sqrt(var+eps)) of each group of the example
// x, accumulating in float64.
func lnStats[T float](l *lnLayout, eps float64, x []T, mean, rstd []float64) {
	clear(mean)
	clear(rstd)
	for e, v := range x {
		mean[l.grp[e]] += float64(v)
	}
	inv := 1 / float64(l.features)
	for g := range mean {
		mean[g] *= inv
	}
	for e, v := range x {
		d := float64(v) - mean[l.grp[e]]
		rstd[l.grp[e]] += d * d
	}
	for g := range rstd {
		rstd[g] = 1 / math.Sqrt(rstd[g]*inv+eps)
	}
}

func lnForward[T float](l *lnLayout, n int, eps float64, x, gamma, beta, y []T) {
	size := len(l.grp)
	kernels.ParallelFor(n, func(lo, hi int) {
		mean, rstd := make([]float64, l.groups), make([]float64, l.groups)
		for i := lo; i < hi; i++ {
			xe, ye := x[i*size:(i+1)*size], y[i*size:(i+1)*size]
			lnStats(l, eps, xe, mean, rstd)
			for e, v := range xe {
				g, f := l.grp[e], l.feat[e]
				ye[e] = T((float64(v)-mean[g])*rstd[g]*float64(gamma[f]) + float64(beta[f]))
			}
		}
	})
}

// SymDiff builds the gradients: one op computes the input gradient and,
// in the same pass, those of gamma and beta, which two small ops hand on.
func (op *layerNormOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	g := &layerNormGradOp{base: newBase(), fwd: op}
	dx, err := G.ApplyOp(g, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	grads := G.Nodes{dx, nil, nil}
	for i := range 2 {
		if grads[1+i], err = G.ApplyOp(&layerNormParamGradOp{base: newBase(), grad: g, beta: i == 1}, dx); err != nil {
			return nil, err
		}
	}
	return grads, nil
}

// layerNormGradOp computes dx from x, gamma and dy, and keeps dgamma and
// dbeta for layerNormParamGradOp.
type layerNormGradOp struct {
	base
	fwd           *layerNormOp
	dgamma, dbeta *tensor.Dense
}

func (op *layerNormGradOp) Arity() int { return 3 }
func (op *layerNormGradOp) Type() hm.Type {
	r, k := len(op.fwd.l.shape)+1, len(op.fwd.l.axes)
	return hm.NewFnType(tt(r), tt(k), tt(r), tt(r))
}
func (op *layerNormGradOp) String() string       { return fmt.Sprintf("%vGrad", op.fwd) }
func (op *layerNormGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *layerNormGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: second derivatives are not supported", op)
}

func (op *layerNormGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 3, ds)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

func (op *layerNormGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 3, vs)
	if err != nil {
		return nil, err
	}
	l := &op.fwd.l
	n, err := l.check(op, ts[0])
	if err != nil {
		return nil, err
	}
	dt := ts[0].Dtype()
	dx := op.output(dt, ts[0].Shape()...)
	if op.dgamma == nil || op.dgamma.Dtype() != dt {
		gs := ts[1].Shape().Clone()
		op.dgamma = tensor.New(tensor.Of(dt), tensor.WithShape(gs...))
		op.dbeta = tensor.New(tensor.Of(dt), tensor.WithShape(gs...))
	}
	if dt == tensor.Float32 {
		lnBackward(l, n, op.fwd.eps, f32(ts[0]), f32(ts[1]), f32(ts[2]), f32(dx), f32(op.dgamma), f32(op.dbeta))
	} else {
		lnBackward(l, n, op.fwd.eps, f64(ts[0]), f64(ts[1]), f64(ts[2]), f64(dx), f64(op.dgamma), f64(op.dbeta))
	}
	return dx, nil
}

// lnBackward: with x̂ = (x − mean)·rstd and g = dy·gamma,
// dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), dgamma = Σ dy·x̂, dbeta = Σ dy.
// The sums over examples are added in example order.
func lnBackward[T float](l *lnLayout, n int, eps float64, x, gamma, dy, dx, dgamma, dbeta []T) {
	size, nf := len(l.grp), l.features
	part := make([]float64, 2*n*nf) // per example: dgamma, dbeta
	kernels.ParallelFor(n, func(lo, hi int) {
		mean, rstd := make([]float64, l.groups), make([]float64, l.groups)
		mg, mgx := make([]float64, l.groups), make([]float64, l.groups)
		for i := lo; i < hi; i++ {
			xe, de, dxe := x[i*size:(i+1)*size], dy[i*size:(i+1)*size], dx[i*size:(i+1)*size]
			pg, pb := part[2*i*nf:(2*i+1)*nf], part[(2*i+1)*nf:(2*i+2)*nf]
			lnStats(l, eps, xe, mean, rstd)
			clear(mg)
			clear(mgx)
			for e, v := range xe {
				g, f := l.grp[e], l.feat[e]
				xh := (float64(v) - mean[g]) * rstd[g]
				d := float64(de[e])
				gd := d * float64(gamma[f])
				mg[g] += gd
				mgx[g] += gd * xh
				pg[f] += d * xh
				pb[f] += d
			}
			inv := 1 / float64(nf)
			for e, v := range xe {
				g, f := l.grp[e], l.feat[e]
				xh := (float64(v) - mean[g]) * rstd[g]
				gd := float64(de[e]) * float64(gamma[f])
				dxe[e] = T(rstd[g] * (gd - mg[g]*inv - xh*mgx[g]*inv))
			}
		}
	})
	for f := range nf {
		var sg, sb float64
		for i := range n {
			sg += part[2*i*nf+f]
			sb += part[(2*i+1)*nf+f]
		}
		dgamma[f], dbeta[f] = T(sg), T(sb)
	}
}

// layerNormParamGradOp hands on the gamma (or beta) gradient that its
// input's op computed.
type layerNormParamGradOp struct {
	base
	grad *layerNormGradOp
	beta bool
}

func (op *layerNormParamGradOp) Arity() int { return 1 }
func (op *layerNormParamGradOp) Type() hm.Type {
	return hm.NewFnType(tt(len(op.grad.fwd.l.shape)+1), tt(len(op.grad.fwd.l.axes)))
}
func (op *layerNormParamGradOp) String() string {
	return fmt.Sprintf("%v.param(beta=%v)", op.grad, op.beta)
}
func (op *layerNormParamGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *layerNormParamGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: second derivatives are not supported", op)
}

func (op *layerNormParamGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if _, err := shapes(op, 1, ds); err != nil {
		return nil, err
	}
	var s tensor.Shape
	for _, a := range op.grad.fwd.l.axes {
		s = append(s, op.grad.fwd.l.shape[a-1])
	}
	return s, nil
}

func (op *layerNormParamGradOp) Do(vs ...G.Value) (G.Value, error) {
	src := op.grad.dgamma
	if op.beta {
		src = op.grad.dbeta
	}
	if src == nil {
		return nil, errors.Errorf("%v: the gradient has not run", op)
	}
	return op.outputCopy(src), nil
}
