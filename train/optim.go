package train

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/internal/kernels"
)

// An Optimizer updates parameters in place from their gradients. It keeps
// its state (moving averages, velocities) per parameter, in the order of the
// params slice, which must not change between calls.
//
// A Trainer passes every trainable parameter (graph.Params.Trainable),
// frozen ones included, and a nil gradient for each frozen one
// (model.Model.SetTrainable): an optimiser must leave such a parameter,
// and its state, as they are. The built-in optimisers create a
// parameter's state at its first gradient.
type Optimizer interface {
	// Update applies one step.
	Update(params []*graph.Param, grads []*tensor.Dense) error
	// String describes the optimiser and its hyper-parameters.
	String() string
}

// kind names an optimiser's update rule.
type kind uint8

const (
	kindSGD kind = iota
	kindMomentum
	kindAdagrad
	kindRMSprop
	kindAdam
)

// optimizer applies one update rule to every value of every parameter,
// keeping nslots state values per parameter value, interleaved (value j's
// slots are state[i][j*nslots:(j+1)*nslots]).
type optimizer struct {
	name   string
	kind   kind
	lr     float64
	nslots int
	// rho and eps are RMSprop's; mu and nesterov are Momentum's.
	rho, eps, mu float64
	nesterov     bool
	state        [][]float64
	step         int
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

// parallelValues is the size from which a parameter's update is split
// across goroutines; smaller ones are not worth the start-up.
const parallelValues = 1 << 15

func (o *optimizer) Update(params []*graph.Param, grads []*tensor.Dense) error {
	if len(params) != len(grads) {
		return errors.Errorf("%s: %d parameters but %d gradients", o.name, len(params), len(grads))
	}
	if o.state == nil {
		o.state = make([][]float64, len(params))
	}
	if len(o.state) != len(params) {
		return errors.Errorf("%s: the parameter list changed between steps", o.name)
	}
	for i, p := range params {
		if grads[i] == nil {
			continue // frozen: no update, no state
		}
		if o.state[i] == nil {
			o.state[i] = make([]float64, p.Value.Size()*o.nslots)
			if o.kind == kindAdagrad {
				// Keras starts the accumulators at 0.1, also those of
				// a parameter unfrozen after the first step.
				for j := range o.state[i] {
					o.state[i][j] = 0.1
				}
			}
		}
		if p.Value.Size() != grads[i].Size() || len(o.state[i]) != p.Value.Size()*o.nslots {
			return errors.Errorf("%s: parameter %q has %d values, its gradient %d", o.name, p.Name, p.Value.Size(), grads[i].Size())
		}
		if dt := p.Value.Dtype(); (dt != tensor.Float32 && dt != tensor.Float64) || grads[i].Dtype() != dt {
			return errors.Errorf("%s: parameter %q has dtype %v, its gradient %v", o.name, p.Name, dt, grads[i].Dtype())
		}
	}
	o.step++
	// Adam's bias correction depends on the step only: once per step, not
	// once per value.
	var adamRate float64
	if o.kind == kindAdam {
		adamRate = o.lr * math.Sqrt(1-math.Pow(adamB2, float64(o.step))) / (1 - math.Pow(adamB1, float64(o.step)))
	}
	for i, p := range params {
		if grads[i] == nil {
			continue
		}
		s := o.state[i]
		switch p.Value.Dtype() {
		case tensor.Float32:
			updateValues(o, p.Value.Float32s(), grads[i].Float32s(), s, adamRate)
		case tensor.Float64:
			updateValues(o, p.Value.Float64s(), grads[i].Float64s(), s, adamRate)
		}
	}
	return nil
}

// updateValues applies o's rule to the values w with gradients g and state
// s, split across goroutines when there are many: each value's update
// reads and writes only its own weight and slots, so the split never
// changes the result.
func updateValues[T float32 | float64](o *optimizer, w, g []T, s []float64, adamRate float64) {
	if len(w) < parallelValues {
		applyRange(o, 0, len(w), w, g, s, adamRate)
		return
	}
	kernels.ParallelFor(len(w), func(lo, hi int) { applyRange(o, lo, hi, w, g, s, adamRate) })
}

// applyRange applies o's rule to values [lo, hi). Every expression is
// evaluated in float64 in the same order as the formulas in the
// constructors' doc comments, so results do not depend on the split.
func applyRange[T float32 | float64](o *optimizer, lo, hi int, w, g []T, s []float64, adamRate float64) {
	lr, t := o.lr, o.step
	switch o.kind {
	case kindSGD:
		for j := lo; j < hi; j++ {
			w[j] = T(float64(w[j]) - lr*float64(g[j]))
		}
	case kindMomentum:
		mu := o.mu
		for j := lo; j < hi; j++ {
			gj := float64(g[j])
			s[j] = mu*s[j] - lr*gj
			if o.nesterov {
				w[j] = T(float64(w[j]) + mu*s[j] - lr*gj)
			} else {
				w[j] = T(float64(w[j]) + s[j])
			}
		}
	case kindAdagrad:
		const initial, eps = 0.1, 1e-7
		for j := lo; j < hi; j++ {
			gj := float64(g[j])
			if t == 1 && s[j] == 0 {
				s[j] = initial
			}
			s[j] += gj * gj
			w[j] = T(float64(w[j]) - lr*gj/(math.Sqrt(s[j])+eps))
		}
	case kindRMSprop:
		rho, eps := o.rho, o.eps
		for j := lo; j < hi; j++ {
			gj := float64(g[j])
			s[j] = rho*s[j] + (1-rho)*gj*gj
			w[j] = T(float64(w[j]) - lr*gj/(math.Sqrt(s[j])+eps))
		}
	case kindAdam:
		const eps = 1e-7
		for j := lo; j < hi; j++ {
			gj := float64(g[j])
			m, v := &s[2*j], &s[2*j+1]
			*m = adamB1**m + (1-adamB1)*gj
			*v = adamB2**v + (1-adamB2)*gj*gj
			w[j] = T(float64(w[j]) - adamRate**m/(math.Sqrt(*v)+eps))
		}
	}
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
	return &optimizer{name: fmt.Sprintf("RMSprop(lr=%g, rho=%g, epsilon=%g)", lr, rho, eps), kind: kindRMSprop, lr: lr, nslots: 1,
		rho: rho, eps: eps}
}

// SGD is plain gradient descent, w ← w − lr·g (Keras's default lr is 0.01).
func SGD(lr float64) Optimizer {
	return &optimizer{name: fmt.Sprintf("SGD(lr=%g)", lr), kind: kindSGD, lr: lr}
}

// Momentum is SGD with momentum, as Keras computes it:
//
//	v ← μ·v − lr·g
//	w ← w + v             (classical)
//	w ← w + μ·v − lr·g    (Nesterov)
func Momentum(lr, momentum float64, nesterov bool) Optimizer {
	return &optimizer{name: fmt.Sprintf("SGD(lr=%g, momentum=%g, nesterov=%v)", lr, momentum, nesterov), kind: kindMomentum, lr: lr, nslots: 1,
		mu: momentum, nesterov: nesterov}
}

// Adagrad scales each step by the root of the sum of all past squared
// gradients, with Keras's defaults: accumulator starting at 0.1, epsilon
// 1e-7.
//
//	a ← a + g²
//	w ← w − lr·g / (√a + ε)
func Adagrad(lr float64) Optimizer {
	return &optimizer{name: fmt.Sprintf("Adagrad(lr=%g)", lr), kind: kindAdagrad, lr: lr, nslots: 1}
}

// Adam keeps moving averages of the gradient and its square, with Keras's
// defaults beta1 0.9, beta2 0.999 and epsilon 1e-7:
//
//	m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//	w ← w − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
func Adam(lr float64) Optimizer {
	return &optimizer{name: fmt.Sprintf("Adam(lr=%g)", lr), kind: kindAdam, lr: lr, nslots: 2}
}

// Adam's decay rates (Keras's defaults).
const adamB1, adamB2 = 0.9, 0.999

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
