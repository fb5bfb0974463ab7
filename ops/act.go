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

// Activation names an activation function. It is the project's one
// activation type: layers.Activation takes one, and a model file stores
// its name (String).
type Activation int

// The activations. Each element-wise one's derivative but GELU's can be
// computed from its output alone, which is what the gradient op uses;
// GELU's gradient op reads the input. LeakyReLU and ELU take a parameter
// alpha (ActivateAlpha; Activate uses DefaultLeakySlope and
// DefaultELUAlpha).
const (
	// Linear is no activation: the identity.
	Linear Activation = iota
	// ReLU is max(x, 0).
	ReLU
	// Sigmoid is 1/(1+e⁻ˣ).
	Sigmoid
	// Tanh is tanh(x).
	Tanh
	// Softmax normalises each row of a matrix [N, K] into probabilities;
	// it is the one activation that is not element-wise.
	Softmax
	// LeakyReLU is x for x > 0 and alpha·x otherwise (alpha > 0).
	LeakyReLU
	// ELU is x for x > 0 and alpha·(eˣ − 1) otherwise (alpha > 0).
	ELU
	// GELU is x·Φ(x), Φ the standard normal distribution function (the
	// exact form, not the tanh approximation).
	GELU
)

// The parameters Activate gives LeakyReLU and ELU: Keras's defaults for
// its "leaky_relu" and "elu" activations.
const (
	DefaultLeakySlope = 0.2
	DefaultELUAlpha   = 1.0
)

// String returns Keras's name of the activation, such as "relu".
func (a Activation) String() string {
	switch a {
	case Linear:
		return "linear"
	case ReLU:
		return "relu"
	case Sigmoid:
		return "sigmoid"
	case Tanh:
		return "tanh"
	case Softmax:
		return "softmax"
	case LeakyReLU:
		return "leaky_relu"
	case ELU:
		return "elu"
	case GELU:
		return "gelu"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// ParseActivation returns the activation with the Keras name s: linear,
// relu, sigmoid, tanh, softmax, leaky_relu, elu or gelu.
func ParseActivation(s string) (Activation, error) {
	for a := Linear; a <= GELU; a++ {
		if a.String() == s {
			return a, nil
		}
	}
	return 0, errors.Errorf("unknown activation %q (want linear, relu, sigmoid, tanh, softmax, leaky_relu, elu or gelu)", s)
}

func activate[T float](a Activation, alpha float64, x, y []T) {
	switch a {
	case LeakyReLU:
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = T(alpha * float64(v))
			}
		}
	case ELU:
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = T(alpha * math.Expm1(float64(v)))
			}
		}
	case GELU:
		for i, v := range x {
			f := float64(v)
			y[i] = T(0.5 * f * (1 + math.Erf(f/math.Sqrt2)))
		}
	case ReLU:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	case Sigmoid:
		for i, v := range x {
			y[i] = T(1 / (1 + math.Exp(-float64(v))))
		}
	case Tanh:
		for i, v := range x {
			y[i] = T(math.Tanh(float64(v)))
		}
	default:
		copy(y, x)
	}
}

// activateGrad computes the gradient dx from dy and y, the activation's
// output (its input x for GELU).
func activateGrad[T float](a Activation, alpha float64, y, dy, dx []T) {
	switch a {
	case LeakyReLU:
		for i, v := range y {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = T(alpha * float64(dy[i]))
			}
		}
	case ELU:
		for i, v := range y {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = T((float64(v) + alpha) * float64(dy[i]))
			}
		}
	case GELU:
		for i, v := range y {
			f := float64(v)
			d := 0.5*(1+math.Erf(f/math.Sqrt2)) + f*math.Exp(-f*f/2)/math.Sqrt(2*math.Pi)
			dx[i] = T(d * float64(dy[i]))
		}
	case ReLU:
		for i, v := range y {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = 0
			}
		}
	case Sigmoid:
		for i, v := range y {
			dx[i] = dy[i] * v * (1 - v)
		}
	case Tanh:
		for i, v := range y {
			dx[i] = dy[i] * (1 - v*v)
		}
	default:
		copy(dx, dy)
	}
}

// actOp applies an element-wise activation (grad false) or its gradient
// (grad true, inputs y and dy).
type actOp struct {
	base
	act   Activation
	alpha float64
	grad  bool
	dims  int
}

// Activate applies the activation a to x, LeakyReLU and ELU with their
// default parameter. Linear returns x itself; Softmax wants a matrix
// [N, K].
func Activate(x *G.Node, a Activation) (*G.Node, error) {
	switch a {
	case Linear:
		return x, nil
	case ReLU, Sigmoid, Tanh, GELU:
		return G.ApplyOp(&actOp{base: newBase(), act: a, dims: x.Dims()}, x)
	case Softmax:
		return softmax(x)
	case LeakyReLU:
		return ActivateAlpha(x, a, DefaultLeakySlope)
	case ELU:
		return ActivateAlpha(x, a, DefaultELUAlpha)
	}
	return nil, errors.Errorf("unknown activation %v", a)
}

// ActivateAlpha applies LeakyReLU or ELU with the parameter alpha, which
// must be positive.
func ActivateAlpha(x *G.Node, a Activation, alpha float64) (*G.Node, error) {
	if a != LeakyReLU && a != ELU {
		return nil, errors.Errorf("activation %v takes no parameter", a)
	}
	if !(alpha > 0) || math.IsInf(alpha, 0) {
		return nil, errors.Errorf("%v: alpha %v must be positive", a, alpha)
	}
	return G.ApplyOp(&actOp{base: newBase(), act: a, alpha: alpha, dims: x.Dims()}, x)
}

func (op *actOp) Arity() int {
	if op.grad {
		return 2
	}
	return 1
}
func (op *actOp) Type() hm.Type {
	if op.grad {
		return hm.NewFnType(tt(op.dims), tt(op.dims), tt(op.dims))
	}
	return hm.NewFnType(tt(op.dims), tt(op.dims))
}
func (op *actOp) String() string {
	if op.grad {
		return fmt.Sprintf("Grad(%v)", op.act)
	}
	return op.act.String()
}

func (op *actOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.Arity(), ds)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

func (op *actOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, op.Arity(), vs)
	if err != nil {
		return nil, err
	}
	in := ts[0]
	out := op.output(in.Dtype(), in.Shape()...)
	switch {
	case op.grad && in.Dtype() == tensor.Float32 && op.act == ReLU:
		kernels.ReLUBackward(f32(in), f32(ts[1]), f32(out))
	case op.grad && in.Dtype() == tensor.Float32:
		activateGrad(op.act, op.alpha, f32(in), f32(ts[1]), f32(out))
	case op.grad:
		activateGrad(op.act, op.alpha, f64(in), f64(ts[1]), f64(out))
	case in.Dtype() == tensor.Float32 && op.act == ReLU:
		kernels.ReLUForward(f32(in), f32(out))
	case in.Dtype() == tensor.Float32:
		activate(op.act, op.alpha, f32(in), f32(out))
	default:
		activate(op.act, op.alpha, f64(in), f64(out))
	}
	return out, nil
}

func (op *actOp) DiffWRT(n int) []bool {
	if op.grad {
		return make([]bool, n)
	}
	return []bool{true}
}

func (op *actOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, errors.Errorf("%v: second derivatives are not supported", op)
	}
	from := out // the derivative is a function of the output...
	if op.act == GELU {
		from = in[0] // ...but GELU's, of the input
	}
	g, err := G.ApplyOp(&actOp{base: newBase(), act: op.act, alpha: op.alpha, grad: true, dims: op.dims}, from, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

// softmaxOp is the softmax over the last axis of a matrix [N,K] (grad false),
// or its gradient (grad true, inputs y and dy).
type softmaxOp struct {
	base
	grad   bool
	logits *G.Node // the input of a forward softmax
}

// softmax normalises each row of the matrix x [N,K] into probabilities,
// subtracting the row's maximum first so that large logits do not overflow.
func softmax(x *G.Node) (*G.Node, error) {
	if x.Dims() != 2 {
		return nil, errors.Errorf("softmax: want a matrix [N,K], got shape %v", x.Shape())
	}
	return G.ApplyOp(&softmaxOp{base: newBase(), logits: x}, x)
}

// SoftmaxLogits reports whether n is the output of the Softmax activation and, if so,
// returns the logits it normalises. A loss on probabilities uses it to work
// on the logits instead, which is exact and numerically stable.
func SoftmaxLogits(n *G.Node) (*G.Node, bool) {
	if op, ok := n.Op().(*softmaxOp); ok && !op.grad {
		return op.logits, true
	}
	return nil, false
}

func (op *softmaxOp) Arity() int {
	if op.grad {
		return 2
	}
	return 1
}
func (op *softmaxOp) Type() hm.Type {
	if op.grad {
		return hm.NewFnType(tt(2), tt(2), tt(2))
	}
	return hm.NewFnType(tt(2), tt(2))
}
func (op *softmaxOp) String() string {
	if op.grad {
		return "Grad(softmax)"
	}
	return "softmax"
}

func (op *softmaxOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, op.Arity(), ds)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

func (op *softmaxOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, op.Arity(), vs)
	if err != nil {
		return nil, err
	}
	in := ts[0]
	k := in.Shape()[1]
	out := op.output(in.Dtype(), in.Shape()...)
	switch {
	case op.grad && in.Dtype() == tensor.Float32:
		softmaxGrad(k, f32(in), f32(ts[1]), f32(out))
	case op.grad:
		softmaxGrad(k, f64(in), f64(ts[1]), f64(out))
	case in.Dtype() == tensor.Float32:
		softmaxRows(k, f32(in), f32(out))
	default:
		softmaxRows(k, f64(in), f64(out))
	}
	return out, nil
}

func (op *softmaxOp) DiffWRT(n int) []bool {
	if op.grad {
		return make([]bool, n)
	}
	return []bool{true}
}

func (op *softmaxOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, errors.Errorf("%v: second derivatives are not supported", op)
	}
	g, err := G.ApplyOp(&softmaxOp{base: newBase(), grad: true}, out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

// softmaxRows writes the softmax of each k-wide row of x into y.
func softmaxRows[T float](k int, x, y []T) {
	for r := 0; r+k <= len(x); r += k {
		row, out := x[r:r+k], y[r:r+k]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var sum float64
		for i, v := range row {
			e := math.Exp(float64(v - m))
			out[i] = T(e)
			sum += e
		}
		for i := range out {
			out[i] = T(float64(out[i]) / sum)
		}
	}
}

// softmaxGrad computes dx = y ⊙ (dy − <dy, y>) row by row.
func softmaxGrad[T float](k int, y, dy, dx []T) {
	for r := 0; r+k <= len(y); r += k {
		var dot T
		for i := r; i < r+k; i++ {
			dot += dy[i] * y[i]
		}
		for i := r; i < r+k; i++ {
			dx[i] = y[i] * (dy[i] - dot)
		}
	}
}
