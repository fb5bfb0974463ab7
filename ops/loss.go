package ops

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lossKind names a loss that reduces a batch of predictions and targets to
// one scalar, averaged over the batch.
type lossKind int

// The losses, of the exported functions of the same names.
const (
	softmaxCrossEntropy lossKind = iota
	meanSquaredError
	meanAbsoluteError
	binaryCrossEntropy
	binaryCrossEntropyFromLogits
	huber
)

// clipEps is how far BinaryCrossEntropy keeps probabilities from 0 and 1
// (Keras's epsilon).
const clipEps = 1e-7

func (k lossKind) String() string {
	switch k {
	case softmaxCrossEntropy:
		return "softmax_cross_entropy"
	case meanSquaredError:
		return "mse"
	case meanAbsoluteError:
		return "mae"
	case binaryCrossEntropy:
		return "binary_crossentropy"
	case binaryCrossEntropyFromLogits:
		return "binary_crossentropy(from_logits)"
	case huber:
		return "huber"
	}
	return fmt.Sprintf("lossKind(%d)", int(k))
}

// lossOp computes a scalar loss of (x, t), or with grad set its gradient
// with respect to x (inputs x, t and the scalar upstream gradient).
type lossOp struct {
	base
	kind     lossKind
	grad     bool
	weighted bool // a third input holds one weight per row
	dims     int
	delta    float64 // Huber's δ
}

// The losses reduce the predictions x and the targets t, of the same shape,
// to a scalar: the mean over the batch of each example's loss. Each takes
// w, one weight per row of x, or nil: Σ wᵢ·lossᵢ over the batch divided by
// the batch size, as Keras weighs samples (weights of 1 give the unweighted
// loss). They are the kernels of package train/losses' built-in losses.

// SoftmaxCrossEntropy is categorical cross-entropy on logits: the mean over
// rows of −Σ t·log softmax(x), for logits x [N,K] and rows t of one-hot (or
// any) probabilities, with log softmax computed as x − max − log Σ exp(x −
// max) so that no logit overflows.
func SoftmaxCrossEntropy(x, t, w *G.Node) (*G.Node, error) {
	return newLoss(softmaxCrossEntropy, x, t, w, 1)
}

// MeanSquaredError is the mean over all elements of (x − t)².
func MeanSquaredError(x, t, w *G.Node) (*G.Node, error) {
	return newLoss(meanSquaredError, x, t, w, 1)
}

// MeanAbsoluteError is the mean over all elements of |x − t|.
func MeanAbsoluteError(x, t, w *G.Node) (*G.Node, error) {
	return newLoss(meanAbsoluteError, x, t, w, 1)
}

// BinaryCrossEntropy is the mean over all elements of
// −(t·log p + (1−t)·log(1−p)) for probabilities x = p (a sigmoid's output),
// clipped to [1e-7, 1−1e-7] as Keras clips them.
func BinaryCrossEntropy(x, t, w *G.Node) (*G.Node, error) {
	return newLoss(binaryCrossEntropy, x, t, w, 1)
}

// BinaryCrossEntropyFromLogits is BinaryCrossEntropy of sigmoid(x),
// computed from the logits x as max(x,0) − x·t + log(1 + exp(−|x|)) so that
// nothing overflows.
func BinaryCrossEntropyFromLogits(x, t, w *G.Node) (*G.Node, error) {
	return newLoss(binaryCrossEntropyFromLogits, x, t, w, 1)
}

// Huber is the mean over all elements of ½d² where |d| ≤ delta and
// delta·(|d| − ½delta) elsewhere, d = x − t, for a finite delta above 0
// (Keras's default is 1).
func Huber(x, t, w *G.Node, delta float64) (*G.Node, error) {
	if !(delta > 0) || math.IsInf(delta, 1) {
		return nil, errors.Errorf("%v loss: delta %v must be a finite value above 0", huber, delta)
	}
	return newLoss(huber, x, t, w, delta)
}

// newLoss emits the loss op of kind, weighted by w unless it is nil.
func newLoss(kind lossKind, x, t, w *G.Node, delta float64) (*G.Node, error) {
	if !x.Shape().Eq(t.Shape()) {
		return nil, errors.Errorf("%v loss: predictions %v and targets %v differ in shape", kind, x.Shape(), t.Shape())
	}
	if kind == softmaxCrossEntropy && x.Dims() != 2 {
		return nil, errors.Errorf("%v loss: want logits [N,K], got %v", kind, x.Shape())
	}
	op := &lossOp{base: newBase(), kind: kind, dims: x.Dims(), delta: delta}
	if w == nil {
		return G.ApplyOp(op, x, t)
	}
	if ws := w.Shape(); len(ws) != 1 || ws[0] != x.Shape()[0] {
		return nil, errors.Errorf("%v loss: weights of shape %v for %d examples", kind, ws, x.Shape()[0])
	}
	op.weighted = true
	return G.ApplyOp(op, x, t, w)
}

func (op *lossOp) Arity() int {
	n := 2
	if op.weighted {
		n++
	}
	if op.grad {
		n++
	}
	return n
}
func (op *lossOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := []hm.Type{tt(op.dims), tt(op.dims)}
	if op.weighted {
		ts = append(ts, tt(1))
	}
	if op.grad {
		return hm.NewFnType(append(ts, a, tt(op.dims))...)
	}
	return hm.NewFnType(append(ts, a)...)
}
func (op *lossOp) String() string {
	if op.grad {
		return fmt.Sprintf("Grad(%v)", op.kind)
	}
	return op.kind.String()
}

func (op *lossOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.Arity(), ds)
	if err != nil {
		return nil, err
	}
	if op.grad {
		return ss[0].Clone(), nil
	}
	return tensor.ScalarShape(), nil
}

func (op *lossOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 2, vs[:min(len(vs), 2)])
	if err != nil {
		return nil, err
	}
	if len(vs) != op.Arity() {
		return nil, errors.Errorf("%v: expected %d inputs, got %d", op, op.Arity(), len(vs))
	}
	x, t := ts[0], ts[1]
	if !x.Shape().Eq(t.Shape()) {
		return nil, errors.Errorf("%v: predictions %v and targets %v differ in shape", op, x.Shape(), t.Shape())
	}
	rows := x.Shape()[0]
	dt := x.Dtype()
	var w []float64 // the rows' weights, or nil
	if op.weighted {
		wt, ok := vs[2].(*tensor.Dense)
		if !ok || wt.Size() != rows || wt.Dtype() != dt {
			return nil, errors.Errorf("%v: weights %v for %d rows of %v", op, vs[2], rows, dt)
		}
		w = make([]float64, rows)
		for i := range w {
			if dt == tensor.Float32 {
				w[i] = float64(f32(wt)[i])
			} else {
				w[i] = f64(wt)[i]
			}
		}
	}
	if !op.grad {
		var l float64
		if dt == tensor.Float32 {
			l = lossValue(op.kind, rows, f32(x), f32(t), w, op.delta)
		} else {
			l = lossValue(op.kind, rows, f64(x), f64(t), w, op.delta)
		}
		if dt == tensor.Float32 {
			return G.NewF32(float32(l)), nil
		}
		return G.NewF64(l), nil
	}
	g, err := scalarOf(vs[len(vs)-1])
	if err != nil {
		return nil, errors.Wrapf(err, "%v: upstream gradient", op)
	}
	dx := op.output(dt, x.Shape()...)
	if dt == tensor.Float32 {
		lossGrad(op.kind, rows, g, f32(x), f32(t), f32(dx), w, op.delta)
	} else {
		lossGrad(op.kind, rows, g, f64(x), f64(t), f64(dx), w, op.delta)
	}
	return dx, nil
}

func (op *lossOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	if !op.grad {
		d[0] = true
	}
	return d
}

func (op *lossOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, errors.Errorf("%v: second derivatives are not supported", op)
	}
	g, err := G.ApplyOp(&lossOp{base: newBase(), kind: op.kind, grad: true, weighted: op.weighted, dims: op.dims, delta: op.delta}, append(append(G.Nodes{}, in...), grad)...)
	if err != nil {
		return nil, err
	}
	grads := make(G.Nodes, len(in))
	grads[0] = g
	return grads, nil
}

// rowWeight returns the weight of row r: w[r], or 1 without weights.
func rowWeight(w []float64, r int) float64 {
	if w == nil {
		return 1
	}
	return w[r]
}

// lossValue returns the loss, accumulated in float64; w, if not nil,
// weighs each row; delta is Huber's δ.
func lossValue[T float](kind lossKind, rows int, x, t []T, w []float64, delta float64) float64 {
	var sum float64
	k := len(x) / rows
	switch kind {
	case softmaxCrossEntropy:
		for r := 0; r < rows; r++ {
			xs, ts := x[r*k:(r+1)*k], t[r*k:(r+1)*k]
			m, lse := logSumExp(xs)
			var row float64
			for i, tv := range ts {
				if tv != 0 {
					row -= float64(tv) * (float64(xs[i]) - m - lse)
				}
			}
			if w == nil {
				sum += row
			} else {
				sum += w[r] * row
			}
		}
		return sum / float64(rows)
	case meanSquaredError:
		for i, v := range x {
			d := float64(v - t[i])
			sum += rowWeight(w, i/k) * d * d
		}
	case meanAbsoluteError:
		for i, v := range x {
			sum += rowWeight(w, i/k) * math.Abs(float64(v-t[i]))
		}
	case binaryCrossEntropy:
		for i, v := range x {
			p, tv := min(max(float64(v), clipEps), 1-clipEps), float64(t[i])
			sum -= rowWeight(w, i/k) * (tv*math.Log(p) + (1-tv)*math.Log(1-p))
		}
	case binaryCrossEntropyFromLogits:
		for i, v := range x {
			z, tv := float64(v), float64(t[i])
			sum += rowWeight(w, i/k) * (max(z, 0) - z*tv + math.Log1p(math.Exp(-math.Abs(z))))
		}
	case huber:
		for i, v := range x {
			d := math.Abs(float64(v) - float64(t[i]))
			l := 0.5 * d * d
			if d > delta {
				l = delta * (d - 0.5*delta)
			}
			sum += rowWeight(w, i/k) * l
		}
	}
	return sum / float64(len(x))
}

// logSumExp returns the row maximum m and log Σ exp(x − m).
func logSumExp[T float](xs []T) (m, lse float64) {
	m = math.Inf(-1)
	for _, v := range xs {
		m = max(m, float64(v))
	}
	var s float64
	for _, v := range xs {
		s += math.Exp(float64(v) - m)
	}
	return m, math.Log(s)
}

// lossGrad writes g times the gradient of the loss with respect to x; w,
// if not nil, weighs each row; delta is Huber's δ.
func lossGrad[T float](kind lossKind, rows int, g float64, x, t, dx []T, w []float64, delta float64) {
	k := len(x) / rows
	switch kind {
	case softmaxCrossEntropy:
		for r := 0; r < rows; r++ {
			scale := g / float64(rows) * rowWeight(w, r)
			xs, ts := x[r*k:(r+1)*k], t[r*k:(r+1)*k]
			m, lse := logSumExp(xs)
			var tsum float64
			for _, tv := range ts {
				tsum += float64(tv)
			}
			for i, v := range xs {
				p := math.Exp(float64(v) - m - lse)
				dx[r*k+i] = T(scale * (tsum*p - float64(ts[i])))
			}
		}
	case meanSquaredError:
		scale := 2 * g / float64(len(x))
		for i, v := range x {
			dx[i] = T(scale * rowWeight(w, i/k) * float64(v-t[i]))
		}
	case meanAbsoluteError:
		for i, v := range x {
			scale := g / float64(len(x)) * rowWeight(w, i/k)
			switch d := v - t[i]; {
			case d > 0:
				dx[i] = T(scale)
			case d < 0:
				dx[i] = T(-scale)
			default:
				dx[i] = 0
			}
		}
	case binaryCrossEntropy:
		for i, v := range x {
			scale := g / float64(len(x)) * rowWeight(w, i/k)
			p, tv := float64(v), float64(t[i])
			if p < clipEps || p > 1-clipEps {
				dx[i] = 0 // clipped: the loss does not change with p there
				continue
			}
			dx[i] = T(scale * (p - tv) / (p * (1 - p)))
		}
	case binaryCrossEntropyFromLogits:
		for i, v := range x {
			scale := g / float64(len(x)) * rowWeight(w, i/k)
			dx[i] = T(scale * (sigmoid(float64(v)) - float64(t[i])))
		}
	case huber:
		for i, v := range x {
			scale := g / float64(len(x)) * rowWeight(w, i/k)
			d := float64(v) - float64(t[i])
			dx[i] = T(scale * max(-delta, min(delta, d)))
		}
	}
}

// sigmoid is 1/(1+exp(−z)), computed without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
