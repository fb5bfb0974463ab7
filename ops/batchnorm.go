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

// BatchNormOpts configures BatchNorm.
type BatchNormOpts struct {
	// Training normalises by the batch's own statistics and updates the
	// running ones; otherwise the running statistics normalise.
	Training bool
	// Momentum is the weight of the old running statistics in each update
	// (Keras's default is 0.99).
	Momentum float64
	// Epsilon is added to the variance before its square root (Keras's
	// default is 1e-3).
	Epsilon float64
}

// BatchNorm normalises x per channel (axis 1: the channels of [N, C, H, W],
// the features of [N, F]) and scales and shifts the result by gamma and
// beta, each of one value per channel:
//
//	y = gamma · (x − μ) / √(σ² + ε) + beta
//
// In training, μ and σ² are the batch's mean and (biased) variance over
// every axis but the channels, and each run updates the running statistics
// mean and variance in place: r ← momentum·r + (1−momentum)·s, with the
// unbiased batch variance for variance, as PyTorch and TensorFlow's fused
// kernel do. In inference μ and σ² are the running statistics, so a
// prediction does not depend on the rest of its batch. Gradients flow to
// x, gamma and beta, never to the running statistics.
func BatchNorm(x, gamma, beta, mean, variance *G.Node, o BatchNormOpts) (*G.Node, error) {
	s := x.Shape()
	if len(s) < 2 {
		return nil, errors.Errorf("batchnorm: input shape %v has no channel axis", s)
	}
	for i, p := range []*G.Node{gamma, beta, mean, variance} {
		if ps := p.Shape(); len(ps) != 1 || ps[0] != s[1] {
			return nil, errors.Errorf("batchnorm: parameter %d has shape %v, want (%d) for input %v", i+1, ps, s[1], s)
		}
	}
	if !(o.Momentum >= 0 && o.Momentum < 1) || !(o.Epsilon > 0) {
		return nil, errors.Errorf("batchnorm: momentum %v must be in [0, 1) and epsilon %v positive", o.Momentum, o.Epsilon)
	}
	return G.ApplyOp(&bnOp{base: newBase(), o: o, dims: len(s)}, x, gamma, beta, mean, variance)
}

// bnOp is a batch normalisation. A training op keeps the batch's mean and
// inverse standard deviation of its last run for its gradient ops.
type bnOp struct {
	base
	o      BatchNormOpts
	dims   int
	mean   []float64
	invstd []float64
}

func (op *bnOp) Arity() int { return 5 }
func (op *bnOp) Type() hm.Type {
	return hm.NewFnType(tt(op.dims), tt(1), tt(1), tt(1), tt(1), tt(op.dims))
}
func (op *bnOp) String() string {
	return fmt.Sprintf("BatchNorm(training=%v, momentum=%g, epsilon=%g)", op.o.Training, op.o.Momentum, op.o.Epsilon)
}

func (op *bnOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 5, ds)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

// layout returns the batch size, the channels and the values per channel
// and example of a tensor of shape s.
func layout(s tensor.Shape) (n, c, inner int) {
	inner = 1
	for _, d := range s[2:] {
		inner *= d
	}
	return s[0], s[1], inner
}

func (op *bnOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 5, vs)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	n, c, inner := layout(x.Shape())
	y := op.output(x.Dtype(), x.Shape()...)
	if len(op.mean) != c {
		op.mean, op.invstd = make([]float64, c), make([]float64, c)
	}
	if x.Dtype() == tensor.Float32 {
		bnForward(op, n, c, inner, f32(x), f32(ts[1]), f32(ts[2]), f32(ts[3]), f32(ts[4]), f32(y))
	} else {
		bnForward(op, n, c, inner, f64(x), f64(ts[1]), f64(ts[2]), f64(ts[3]), f64(ts[4]), f64(y))
	}
	return y, nil
}

// bnForward normalises x into y; in training it also updates the running
// statistics rm and rv and keeps the batch's mean and inverse deviation.
func bnForward[T float](op *bnOp, n, c, inner int, x, gamma, beta, rm, rv, y []T) {
	if kernels.Workers(c) == 1 {
		// No closure, so nothing to allocate on one goroutine.
		bnForwardChannels(op, n, c, inner, 0, c, x, gamma, beta, rm, rv, y)
		return
	}
	kernels.ParallelFor(c, func(lo, hi int) { bnForwardChannels(op, n, c, inner, lo, hi, x, gamma, beta, rm, rv, y) })
}

// bnForwardChannels is bnForward for the channels [lo, hi): each channel
// is computed alone, so the result does not depend on how they are split.
func bnForwardChannels[T float](op *bnOp, n, c, inner, lo, hi int, x, gamma, beta, rm, rv, y []T) {
	m := float64(n * inner)
	for ch := lo; ch < hi; ch++ {
		var mean, v float64
		if op.o.Training {
			mean = chanSum64(x, n, c, inner, ch) / m
			v = chanSqDev64(x, n, c, inner, ch, mean) / m
			unbiased := v
			if m > 1 {
				unbiased = v * m / (m - 1)
			}
			mo := op.o.Momentum
			rm[ch] = T(mo*float64(rm[ch]) + (1-mo)*mean)
			rv[ch] = T(mo*float64(rv[ch]) + (1-mo)*unbiased)
		} else {
			mean, v = float64(rm[ch]), float64(rv[ch])
		}
		inv := 1 / math.Sqrt(v+op.o.Epsilon)
		op.mean[ch], op.invstd[ch] = mean, inv
		// y = gamma·(x − μ)·invstd + beta = a·x + b, in the tensor's type.
		a := float64(gamma[ch]) * inv
		at, bt := T(a), T(float64(beta[ch])-mean*a)
		x32, is32 := any(x).([]float32)
		y32, _ := any(y).([]float32)
		for i := 0; i < n; i++ {
			o := (i*c + ch) * inner
			if is32 {
				kernels.ScaleShift(x32[o:o+inner], y32[o:o+inner], float32(at), float32(bt))
				continue
			}
			ys := y[o : o+inner]
			for j, xv := range x[o : o+inner] {
				ys[j] = T(at*xv) + bt // the conversion forbids fusing, as in ScaleShift
			}
		}
	}
}

func (op *bnOp) DiffWRT(int) []bool { return []bool{true, true, true, false, false} }

// SymDiff builds the gradients with respect to x, gamma and beta, from
// the batch statistics of the forward run. The gradient of x takes those
// of gamma and beta as inputs, since it needs their sums. An inference op's
// gradient treats its statistics as constants.
func (op *bnOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	grads := make(G.Nodes, 5)
	var err error
	if grads[1], err = G.ApplyOp(&bnGradOp{base: newBase(), fwd: op, which: bnDGamma}, in[0], in[1], grad); err != nil {
		return nil, err
	}
	if grads[2], err = G.ApplyOp(&bnGradOp{base: newBase(), fwd: op, which: bnDBeta}, in[0], in[1], grad); err != nil {
		return nil, err
	}
	if grads[0], err = G.ApplyOp(&bnGradOp{base: newBase(), fwd: op, which: bnDX}, in[0], in[1], grad, grads[1], grads[2]); err != nil {
		return nil, err
	}
	return grads, nil
}

// bnGrad says which gradient a bnGradOp computes.
type bnGrad int

const (
	bnDX bnGrad = iota
	bnDGamma
	bnDBeta
)

// bnGradOp is a gradient of a batch normalisation; its inputs are x,
// gamma and dy, and for the gradient of x also those of gamma and beta.
type bnGradOp struct {
	base
	fwd   *bnOp
	which bnGrad
}

func (op *bnGradOp) Arity() int {
	if op.which == bnDX {
		return 5
	}
	return 3
}
func (op *bnGradOp) Type() hm.Type {
	if op.which == bnDX {
		return hm.NewFnType(tt(op.fwd.dims), tt(1), tt(op.fwd.dims), tt(1), tt(1), tt(op.fwd.dims))
	}
	return hm.NewFnType(tt(op.fwd.dims), tt(1), tt(op.fwd.dims), tt(1))
}
func (op *bnGradOp) String() string       { return fmt.Sprintf("Grad%d(%v)", op.which, op.fwd) }
func (op *bnGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *bnGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: no second derivative", op)
}

func (op *bnGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.Arity(), ds)
	if err != nil {
		return nil, err
	}
	if op.which == bnDX {
		return ss[0].Clone(), nil
	}
	return ss[1].Clone(), nil
}

func (op *bnGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, op.Arity(), vs)
	if err != nil {
		return nil, err
	}
	x, gamma, dy := ts[0], ts[1], ts[2]
	n, c, inner := layout(x.Shape())
	shape := gamma.Shape()
	if op.which == bnDX {
		shape = x.Shape()
	}
	out := op.output(x.Dtype(), shape...)
	kernels.ParallelFor(c, func(lo, hi int) {
		if x.Dtype() == tensor.Float32 {
			bnBackward(op, n, c, inner, lo, hi, f32(x), f32(gamma), f32(dy), sums32(ts), f32(out))
		} else {
			bnBackward(op, n, c, inner, lo, hi, f64(x), f64(gamma), f64(dy), sums64(ts), f64(out))
		}
	})
	return out, nil
}

// sums32 and sums64 return the gradients of gamma and beta that a gradient
// of x has among its inputs, or nil.
func sums32(ts []*tensor.Dense) [2][]float32 {
	if len(ts) < 5 {
		return [2][]float32{}
	}
	return [2][]float32{f32(ts[3]), f32(ts[4])}
}

func sums64(ts []*tensor.Dense) [2][]float64 {
	if len(ts) < 5 {
		return [2][]float64{}
	}
	return [2][]float64{f64(ts[3]), f64(ts[4])}
}

// bnBackward computes op's gradient for the channels [lo, hi) into out:
//
//	dbeta  = Σ dy
//	dgamma = Σ dy · x̂
//	dx     = gamma · invstd / m · (m·dy − dbeta − x̂·dgamma)   (training)
//	dx     = gamma · invstd · dy                              (inference)
//
// with x̂ = (x − μ)·invstd and m the values per channel; the gradient of x
// reads dgamma and dbeta from sums.
func bnBackward[T float](op *bnGradOp, n, c, inner, lo, hi int, x, gamma, dy []T, sums [2][]T, out []T) {
	f := op.fwd
	m := float64(n * inner)
	for ch := lo; ch < hi; ch++ {
		mean, inv := f.mean[ch], f.invstd[ch]
		switch op.which {
		case bnDBeta:
			out[ch] = T(chanSum64(dy, n, c, inner, ch))
		case bnDGamma:
			out[ch] = T(chanDotDev64(dy, x, n, c, inner, ch, mean) * inv)
		case bnDX:
			g := float64(gamma[ch]) * inv
			sdyx, sdy := float64(sums[0][ch]), float64(sums[1][ch])
			for i := 0; i < n; i++ {
				o := (i*c + ch) * inner
				if !f.o.Training {
					for j, d := range dy[o : o+inner] {
						out[o+j] = T(g * float64(d))
					}
					continue
				}
				// dx = g·dy + bx·x + c, the formula above expanded.
				bx := -g * inv * sdyx / m
				at, bt, ct := T(g), T(bx), T(-g*sdy/m-bx*mean)
				xs, ds := x[o:o+inner], out[o:o+inner]
				if d32, ok := any(ds).([]float32); ok {
					kernels.LinComb(d32, any(dy[o:o+inner]).([]float32), any(xs).([]float32), float32(at), float32(bt), float32(ct))
					continue
				}
				for j, d := range dy[o : o+inner] {
					ds[j] = at*d + bt*xs[j] + ct
				}
			}
		}
	}
}

// chanSum64 returns the sum of channel ch of x ([n, c, inner]): the
// sum64 of every image's plane, added in order of the images (with the
// four-plane assembly of kernels.ChannelSum64 for float32, same bits).
func chanSum64[T float](x []T, n, c, inner, ch int) float64 {
	if x32, ok := any(x).([]float32); ok {
		return kernels.ChannelSum64(x32[ch*inner:], n, c*inner, inner)
	}
	var s float64
	for i := 0; i < n; i++ {
		s += sum64(x[(i*c+ch)*inner : (i*c+ch+1)*inner])
	}
	return s
}

// chanSqDev64 is chanSum64 of sqDev64.
func chanSqDev64[T float](x []T, n, c, inner, ch int, mean float64) float64 {
	if x32, ok := any(x).([]float32); ok {
		return kernels.ChannelSqDev64(x32[ch*inner:], n, c*inner, inner, mean)
	}
	var s float64
	for i := 0; i < n; i++ {
		s += sqDev64(x[(i*c+ch)*inner:(i*c+ch+1)*inner], mean)
	}
	return s
}

// chanDotDev64 is chanSum64 of dotDev64(a, x).
func chanDotDev64[T float](a, x []T, n, c, inner, ch int, mean float64) float64 {
	if a32, ok := any(a).([]float32); ok {
		return kernels.ChannelDotDev64(a32[ch*inner:], any(x).([]float32)[ch*inner:], n, c*inner, inner, mean)
	}
	var s float64
	for i := 0; i < n; i++ {
		o := (i*c + ch) * inner
		s += dotDev64(a[o:o+inner], x[o:o+inner], mean)
	}
	return s
}

// sum64 returns the sum of x in float64, in four interleaved partial sums
// (of the values at j mod 4) added as (s0+s1)+(s2+s3), with the values
// past a multiple of four in s0: an order fixed by len(x) alone, and four
// additions in flight instead of one.
func sum64[T float](x []T) float64 {
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(x); j += 4 {
		s0 += float64(x[j])
		s1 += float64(x[j+1])
		s2 += float64(x[j+2])
		s3 += float64(x[j+3])
	}
	for ; j < len(x); j++ {
		s0 += float64(x[j])
	}
	return (s0 + s1) + (s2 + s3)
}

// sqDev64 returns Σ (x[j] − mean)² in float64, in sum64's order.
func sqDev64[T float](x []T, mean float64) float64 {
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(x); j += 4 {
		d0, d1, d2, d3 := float64(x[j])-mean, float64(x[j+1])-mean, float64(x[j+2])-mean, float64(x[j+3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; j < len(x); j++ {
		d := float64(x[j]) - mean
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// dotDev64 returns Σ a[j]·(x[j] − mean) in float64, in sum64's order.
func dotDev64[T float](a, x []T, mean float64) float64 {
	x = x[:len(a)]
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(a); j += 4 {
		s0 += float64(a[j]) * (float64(x[j]) - mean)
		s1 += float64(a[j+1]) * (float64(x[j+1]) - mean)
		s2 += float64(a[j+2]) * (float64(x[j+2]) - mean)
		s3 += float64(a[j+3]) * (float64(x[j+3]) - mean)
	}
	for ; j < len(a); j++ {
		s0 += float64(a[j]) * (float64(x[j]) - mean)
	}
	return (s0 + s1) + (s2 + s3)
}
