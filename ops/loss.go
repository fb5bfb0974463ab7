package ops

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LossKind names a loss that reduces a batch of predictions and targets to
// one scalar, averaged over the batch.
type LossKind int

// The losses.
const (
	// SoftmaxCrossEntropy is categorical cross-entropy on logits: the mean
	// over rows of −Σ t·log softmax(x), with log softmax computed as
	// x − max − log Σ exp(x − max) so that no logit overflows.
	SoftmaxCrossEntropy LossKind = iota
	// MeanSquaredError is the mean over all elements of (x − t)².
	MeanSquaredError
	// MeanAbsoluteError is the mean over all elements of |x − t|.
	MeanAbsoluteError
)

func (k LossKind) String() string {
	switch k {
	case SoftmaxCrossEntropy:
		return "softmax_cross_entropy"
	case MeanSquaredError:
		return "mse"
	case MeanAbsoluteError:
		return "mae"
	}
	return fmt.Sprintf("LossKind(%d)", int(k))
}

// lossOp computes a scalar loss of (x, t), or with grad set its gradient
// with respect to x (inputs x, t and the scalar upstream gradient).
type lossOp struct {
	base
	kind LossKind
	grad bool
	dims int
}

// Loss reduces the predictions x and the targets t, of the same shape, to
// the scalar loss of the given kind. For SoftmaxCrossEntropy x holds logits
// [N,K] and t one-hot (or any probability) rows.
func Loss(kind LossKind, x, t *G.Node) (*G.Node, error) {
	if !x.Shape().Eq(t.Shape()) {
		return nil, errors.Errorf("%v loss: predictions %v and targets %v differ in shape", kind, x.Shape(), t.Shape())
	}
	if kind == SoftmaxCrossEntropy && x.Dims() != 2 {
		return nil, errors.Errorf("%v loss: want logits [N,K], got %v", kind, x.Shape())
	}
	if kind < SoftmaxCrossEntropy || kind > MeanAbsoluteError {
		return nil, errors.Errorf("unknown loss %v", kind)
	}
	return G.ApplyOp(&lossOp{base: newBase(), kind: kind, dims: x.Dims()}, x, t)
}

func (op *lossOp) Arity() int {
	if op.grad {
		return 3
	}
	return 2
}
func (op *lossOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	if op.grad {
		return hm.NewFnType(tt(op.dims), tt(op.dims), a, tt(op.dims))
	}
	return hm.NewFnType(tt(op.dims), tt(op.dims), a)
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
	if !op.grad {
		var l float64
		if dt == tensor.Float32 {
			l = lossValue(op.kind, rows, f32(x), f32(t))
		} else {
			l = lossValue(op.kind, rows, f64(x), f64(t))
		}
		if dt == tensor.Float32 {
			return G.NewF32(float32(l)), nil
		}
		return G.NewF64(l), nil
	}
	g, err := scalarOf(vs[2])
	if err != nil {
		return nil, errors.Wrapf(err, "%v: upstream gradient", op)
	}
	dx := op.output(dt, x.Shape()...)
	if dt == tensor.Float32 {
		lossGrad(op.kind, rows, g, f32(x), f32(t), f32(dx))
	} else {
		lossGrad(op.kind, rows, g, f64(x), f64(t), f64(dx))
	}
	return dx, nil
}

func (op *lossOp) DiffWRT(n int) []bool {
	if op.grad {
		return make([]bool, n)
	}
	return []bool{true, false}
}

func (op *lossOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, errors.Errorf("%v: second derivatives are not supported", op)
	}
	g, err := G.ApplyOp(&lossOp{base: newBase(), kind: op.kind, grad: true, dims: op.dims}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g, nil}, nil
}

// lossValue returns the loss, accumulated in float64.
func lossValue[T float](kind LossKind, rows int, x, t []T) float64 {
	var sum float64
	switch kind {
	case SoftmaxCrossEntropy:
		k := len(x) / rows
		for r := 0; r < rows; r++ {
			xs, ts := x[r*k:(r+1)*k], t[r*k:(r+1)*k]
			m, lse := logSumExp(xs)
			for i, tv := range ts {
				if tv != 0 {
					sum -= float64(tv) * (float64(xs[i]) - m - lse)
				}
			}
		}
		return sum / float64(rows)
	case MeanSquaredError:
		for i, v := range x {
			d := float64(v - t[i])
			sum += d * d
		}
	case MeanAbsoluteError:
		for i, v := range x {
			sum += math.Abs(float64(v - t[i]))
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

// lossGrad writes g times the gradient of the loss with respect to x.
func lossGrad[T float](kind LossKind, rows int, g float64, x, t, dx []T) {
	switch kind {
	case SoftmaxCrossEntropy:
		k := len(x) / rows
		scale := g / float64(rows)
		for r := 0; r < rows; r++ {
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
	case MeanSquaredError:
		scale := 2 * g / float64(len(x))
		for i, v := range x {
			dx[i] = T(scale * float64(v-t[i]))
		}
	case MeanAbsoluteError:
		scale := g / float64(len(x))
		for i, v := range x {
			switch d := v - t[i]; {
			case d > 0:
				dx[i] = T(scale)
			case d < 0:
				dx[i] = T(-scale)
			default:
				dx[i] = 0
			}
		}
	}
}
