package train

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
)

// An Optimizer updates parameters in place from their gradients. It keeps
// its state (moving averages, velocities) per parameter, in the order of the
// params slice, which must not change between calls.
type Optimizer interface {
	// Update applies one step.
	Update(params []*graph.Param, grads []*tensor.Dense) error
	// String describes the optimiser and its hyper-parameters.
	String() string
}

// rule is one optimiser's update for a single value: w is the weight, g its
// gradient, lr the learning rate and s the optimiser's state slots for it;
// t is the 1-based step.
type rule func(w, g, lr float64, s []float64, t int) float64

// optimizer applies a rule to every value of every parameter, keeping
// nslots state values per parameter value.
type optimizer struct {
	name   string
	lr     float64
	nslots int
	rule   rule
	state  [][]float64
	step   int
}

// String names the optimiser with the hyper-parameters it was made with
// (its initial learning rate, whatever a schedule sets later).
func (o *optimizer) String() string { return o.name }

// LearningRate returns the learning rate of the next step.
func (o *optimizer) LearningRate() float64 { return o.lr }

// SetLearningRate sets the learning rate of the next steps.
func (o *optimizer) SetLearningRate(lr float64) { o.lr = lr }

// An LRSetter is an optimiser whose learning rate can be read and changed,
// as schedules and ReduceLROnPlateau do. The built-in optimisers are.
type LRSetter interface {
	LearningRate() float64
	SetLearningRate(lr float64)
}

func (o *optimizer) Update(params []*graph.Param, grads []*tensor.Dense) error {
	if len(params) != len(grads) {
		return errors.Errorf("%s: %d parameters but %d gradients", o.name, len(params), len(grads))
	}
	if o.state == nil {
		o.state = make([][]float64, len(params))
		for i, p := range params {
			o.state[i] = make([]float64, p.Value.Size()*o.nslots)
		}
	}
	if len(o.state) != len(params) {
		return errors.Errorf("%s: the parameter list changed between steps", o.name)
	}
	o.step++
	for i, p := range params {
		if p.Value.Size() != grads[i].Size() || len(o.state[i]) != p.Value.Size()*o.nslots {
			return errors.Errorf("%s: parameter %q has %d values, its gradient %d", o.name, p.Name, p.Value.Size(), grads[i].Size())
		}
		switch p.Value.Dtype() {
		case tensor.Float32:
			w, g := p.Value.Float32s(), grads[i].Float32s()
			for j := range w {
				w[j] = float32(o.rule(float64(w[j]), float64(g[j]), o.lr, o.state[i][j*o.nslots:(j+1)*o.nslots], o.step))
			}
		case tensor.Float64:
			w, g := p.Value.Float64s(), grads[i].Float64s()
			for j := range w {
				w[j] = o.rule(w[j], g[j], o.lr, o.state[i][j*o.nslots:(j+1)*o.nslots], o.step)
			}
		default:
			return errors.Errorf("%s: parameter %q has dtype %v", o.name, p.Name, p.Value.Dtype())
		}
	}
	return nil
}

// A Stateful optimiser exposes its state so that a checkpoint can save and
// restore it. The built-in optimisers all are.
type Stateful interface {
	// State returns the step count and the state values of each parameter
	// (nil before the first step).
	State() (step int, slots [][]float64)
	// SetState restores a state returned by State.
	SetState(step int, slots [][]float64) error
}

func (o *optimizer) State() (step int, slots [][]float64) { return o.step, o.state }

func (o *optimizer) SetState(step int, slots [][]float64) error {
	if step < 0 {
		return errors.Errorf("%s: negative step %d", o.name, step)
	}
	o.step, o.state = step, slots
	return nil
}

// RMSprop divides the gradient by a moving root mean square of recent
// gradients, with Keras's defaults rho 0.9 and epsilon 1e-7:
//
//	v ← ρ·v + (1−ρ)·g²
//	w ← w − lr·g / (√v + ε)
func RMSprop(lr float64) Optimizer { return RMSpropWith(lr, 0.9, 1e-7) }

// RMSpropWith is RMSprop with explicit rho and epsilon.
func RMSpropWith(lr, rho, eps float64) Optimizer {
	return &optimizer{name: fmt.Sprintf("RMSprop(lr=%g, rho=%g, epsilon=%g)", lr, rho, eps), lr: lr, nslots: 1,
		rule: func(w, g, lr float64, s []float64, _ int) float64 {
			s[0] = rho*s[0] + (1-rho)*g*g
			return w - lr*g/(math.Sqrt(s[0])+eps)
		}}
}

// SGD is plain gradient descent, w ← w − lr·g (Keras's default lr is 0.01).
func SGD(lr float64) Optimizer {
	return &optimizer{name: fmt.Sprintf("SGD(lr=%g)", lr), lr: lr, nslots: 0,
		rule: func(w, g, lr float64, _ []float64, _ int) float64 { return w - lr*g }}
}

// Momentum is SGD with momentum, as Keras computes it:
//
//	v ← μ·v − lr·g
//	w ← w + v             (classical)
//	w ← w + μ·v − lr·g    (Nesterov)
func Momentum(lr, momentum float64, nesterov bool) Optimizer {
	return &optimizer{name: fmt.Sprintf("SGD(lr=%g, momentum=%g, nesterov=%v)", lr, momentum, nesterov), lr: lr, nslots: 1,
		rule: func(w, g, lr float64, s []float64, _ int) float64 {
			s[0] = momentum*s[0] - lr*g
			if nesterov {
				return w + momentum*s[0] - lr*g
			}
			return w + s[0]
		}}
}

// Adagrad scales each step by the root of the sum of all past squared
// gradients, with Keras's defaults: accumulator starting at 0.1, epsilon
// 1e-7.
//
//	a ← a + g²
//	w ← w − lr·g / (√a + ε)
func Adagrad(lr float64) Optimizer {
	const initial, eps = 0.1, 1e-7
	return &optimizer{name: fmt.Sprintf("Adagrad(lr=%g)", lr), lr: lr, nslots: 1,
		rule: func(w, g, lr float64, s []float64, t int) float64 {
			if t == 1 && s[0] == 0 {
				s[0] = initial
			}
			s[0] += g * g
			return w - lr*g/(math.Sqrt(s[0])+eps)
		}}
}

// Adam keeps moving averages of the gradient and its square, with Keras's
// defaults beta1 0.9, beta2 0.999 and epsilon 1e-7:
//
//	m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//	w ← w − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
func Adam(lr float64) Optimizer {
	const b1, b2, eps = 0.9, 0.999, 1e-7
	return &optimizer{name: fmt.Sprintf("Adam(lr=%g)", lr), lr: lr, nslots: 2,
		rule: func(w, g, lr float64, s []float64, t int) float64 {
			s[0] = b1*s[0] + (1-b1)*g
			s[1] = b2*s[1] + (1-b2)*g*g
			a := lr * math.Sqrt(1-math.Pow(b2, float64(t))) / (1 - math.Pow(b1, float64(t)))
			return w - a*s[0]/(math.Sqrt(s[1])+eps)
		}}
}

// OptimizerByName returns the optimiser named sgd, momentum, nesterov,
// adagrad, rmsprop or adam with learning rate lr (momentum 0.9 for the
// momentum variants).
func OptimizerByName(name string, lr float64) (Optimizer, error) {
	switch name {
	case "sgd":
		return SGD(lr), nil
	case "momentum":
		return Momentum(lr, 0.9, false), nil
	case "nesterov":
		return Momentum(lr, 0.9, true), nil
	case "adagrad":
		return Adagrad(lr), nil
	case "rmsprop":
		return RMSprop(lr), nil
	case "adam":
		return Adam(lr), nil
	}
	return nil, errors.Errorf("unknown optimizer %q (want sgd, momentum, nesterov, adagrad, rmsprop or adam)", name)
}
