package optimizers

import (
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/internal/kernels"
)

// An Optimizer updates parameters in place from their gradients. It keeps
// its state (moving averages, velocities) per parameter, in the order of the
// params slice, which must not change between calls.
//
// A train.Trainer passes every trainable parameter (graph.Params.Trainable),
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
	// wd is the decoupled weight decay (WeightDecay); clip says how the
	// gradients are clipped (ClipNorm, GlobalClipNorm, ClipValue), by
	// clipAt; err is an option's mistake, returned by Update.
	wd     float64
	clip   clipping
	clipAt float64
	err    error
	// scratch holds one parameter's clipped gradient.
	scratch []float64
	state   [][]float64
	step    int
}

// clipping is how an optimiser clips the gradients before a step.
type clipping uint8

const (
	clipNone clipping = iota
	clipNorm
	clipGlobalNorm
	clipValue
)

// An Option configures a built-in optimiser: weight decay and
// gradient clipping, as the arguments of the same names of Keras's
// optimisers. Each option adds itself to the optimiser's name (String), so
// that a checkpoint records it. A mistake (a negative value, two kinds of
// clipping) is an error of the first Update.
type Option func(*optimizer)

// WeightDecay decays every weight by lr·wd·w at every step, before and
// apart from the gradient's update (decoupled weight decay, Loshchilov
// and Hutter, as Keras applies its weight_decay argument), lr being the
// step's learning rate: w ← w − lr·wd·w, then the optimiser's rule. wd
// must not be negative; 0 turns the decay off. Only trainable parameters
// decay (a BatchNormalization's running statistics never do), biases and
// BatchNormalization's gamma and beta included, as in Keras by default.
func WeightDecay(wd float64) Option {
	return func(o *optimizer) {
		if !(wd >= 0) || math.IsInf(wd, 1) {
			o.fail(errors.Errorf("weight decay %v must be a finite value of 0 or more", wd))
		}
		o.wd = wd
	}
}

// ClipNorm rescales each parameter's gradient g, as one tensor, to an L2
// norm of at most c: g ← g·c/max(‖g‖, c), as Keras's clipnorm does. c must
// be positive. Only one of ClipNorm, GlobalClipNorm and ClipValue may be
// given.
func ClipNorm(c float64) Option { return clipOption(clipNorm, "clipnorm", c) }

// GlobalClipNorm rescales all the gradients together, so that their joint
// L2 norm (of every value of every parameter) is at most c:
// g ← g·c/max(‖(g₁, g₂, …)‖, c), as Keras's global_clipnorm does. c must be
// positive.
func GlobalClipNorm(c float64) Option {
	return clipOption(clipGlobalNorm, "global_clipnorm", c)
}

// ClipValue clips every gradient value into [−v, v], as Keras's clipvalue
// does. v must be positive.
func ClipValue(v float64) Option { return clipOption(clipValue, "clipvalue", v) }

// clipOption returns the option that clips by c in the way k.
func clipOption(k clipping, name string, c float64) Option {
	return func(o *optimizer) {
		if !(c > 0) || math.IsInf(c, 1) {
			o.fail(errors.Errorf("%s %v must be positive and finite", name, c))
		}
		if o.clip != clipNone && o.clip != k {
			o.fail(errors.New("only one of clipnorm, global_clipnorm and clipvalue may be set"))
		}
		o.clip, o.clipAt = k, c
	}
}

// fail records the first mistake of an option.
func (o *optimizer) fail(err error) {
	if o.err == nil {
		o.err = err
	}
}

// newOptimizer configures o by opts and names it base(args, and the
// options' arguments); the weight decay is named when it is not 0 or
// showWD is set.
func newOptimizer(o *optimizer, base string, args []string, opts []Option, showWD bool) *optimizer {
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	if o.wd != 0 || showWD {
		args = append(args, fmt.Sprintf("weight_decay=%g", o.wd))
	}
	switch o.clip {
	case clipNorm:
		args = append(args, fmt.Sprintf("clipnorm=%g", o.clipAt))
	case clipGlobalNorm:
		args = append(args, fmt.Sprintf("global_clipnorm=%g", o.clipAt))
	case clipValue:
		args = append(args, fmt.Sprintf("clipvalue=%g", o.clipAt))
	}
	o.name = base + "(" + strings.Join(args, ", ") + ")"
	return o
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
	if o.err != nil {
		return errors.Wrap(o.err, o.name)
	}
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
		if p.Value.Size() != grads[i].Size() {
			return errors.Errorf("%s: parameter %q has %d values, its gradient %d", o.name, p.Name, p.Value.Size(), grads[i].Size())
		}
		if len(o.state[i]) != p.Value.Size()*o.nslots {
			return errors.Errorf("%s: parameter %q has %d values, its state %d (want %d a value)", o.name, p.Name, p.Value.Size(), len(o.state[i]), o.nslots)
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
	scale := 1.0
	if o.clip == clipGlobalNorm {
		var sq float64
		for _, g := range grads {
			if g != nil { // nil: frozen
				sq += sumSquares(g)
			}
		}
		scale = o.clipAt / math.Max(math.Sqrt(sq), o.clipAt)
	}
	for i, p := range params {
		if grads[i] == nil {
			continue
		}
		s := o.state[i]
		if o.clip == clipNorm {
			scale = o.clipAt / math.Max(math.Sqrt(sumSquares(grads[i])), o.clipAt)
		}
		switch p.Value.Dtype() {
		case tensor.Float32:
			w := p.Value.Float32s()
			o.decay(w)
			if o.clip == clipNone {
				updateValues(o, w, grads[i].Float32s(), s, adamRate)
			} else {
				updateValues(o, w, o.clipped(grads[i].Float32s(), scale), s, adamRate)
			}
		case tensor.Float64:
			w := p.Value.Float64s()
			o.decay(w)
			if o.clip == clipNone {
				updateValues(o, w, grads[i].Float64s(), s, adamRate)
			} else {
				updateValues(o, w, o.clipped(grads[i].Float64s(), scale), s, adamRate)
			}
		}
	}
	return nil
}

// decay applies the weight decay to w in place: w ← w − lr·wd·w, rounded
// to the weights' type as Keras's assignment is.
func (o *optimizer) decay(w any) {
	if o.wd == 0 {
		return
	}
	switch w := w.(type) {
	case []float32:
		decayValues(w, o.lr*o.wd)
	case []float64:
		decayValues(w, o.lr*o.wd)
	}
}

func decayValues[T float32 | float64](w []T, k float64) {
	for j, v := range w {
		w[j] = T(float64(v) - k*float64(v))
	}
}

// sumSquares returns Σ g² over a gradient's values, in float64, in order.
func sumSquares(g *tensor.Dense) float64 {
	var s float64
	switch g.Dtype() {
	case tensor.Float32:
		for _, v := range g.Float32s() {
			s += float64(v) * float64(v)
		}
	case tensor.Float64:
		for _, v := range g.Float64s() {
			s += v * v
		}
	}
	return s
}

// clipped returns the gradient g clipped as o says, in float64, in o's
// scratch buffer: scaled by scale (ClipNorm, GlobalClipNorm) or clamped
// (ClipValue).
func (o *optimizer) clipped(g any, scale float64) []float64 {
	var n int
	switch g := g.(type) {
	case []float32:
		n = len(g)
	case []float64:
		n = len(g)
	}
	if cap(o.scratch) < n {
		o.scratch = make([]float64, n)
	}
	out := o.scratch[:n]
	switch g := g.(type) {
	case []float32:
		clipInto(out, g, o.clip, scale, o.clipAt)
	case []float64:
		clipInto(out, g, o.clip, scale, o.clipAt)
	}
	return out
}

func clipInto[T float32 | float64](out []float64, g []T, k clipping, scale, at float64) {
	for j, v := range g {
		x := float64(v)
		if k == clipValue {
			out[j] = math.Max(-at, math.Min(at, x))
		} else {
			out[j] = x * scale
		}
	}
}

// updateValues applies o's rule to the values w with gradients g and state
// s, split across goroutines when there are many: each value's update
// reads and writes only its own weight and slots, so the split never
// changes the result.
func updateValues[T, U float32 | float64](o *optimizer, w []T, g []U, s []float64, adamRate float64) {
	if len(w) < parallelValues {
		applyRange(o, 0, len(w), w, g, s, adamRate)
		return
	}
	kernels.ParallelFor(len(w), func(lo, hi int) { applyRange(o, lo, hi, w, g, s, adamRate) })
}

// applyRange applies o's rule to values [lo, hi). Every expression is
// evaluated in float64 in the same order as the formulas in the
// constructors' doc comments, so results do not depend on the split.
func applyRange[T, U float32 | float64](o *optimizer, lo, hi int, w []T, g []U, s []float64, adamRate float64) {
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
	// SetState restores a state returned by State for the parameters
	// params, in the order Update takes them. It reports a state that
	// does not fit them.
	SetState(params []*graph.Param, step int, slots [][]float64) error
}

func (o *optimizer) State() (step int, slots [][]float64) { return o.step, o.state }

func (o *optimizer) SetState(params []*graph.Param, step int, slots [][]float64) error {
	if step < 0 {
		return errors.Errorf("%s: negative step %d", o.name, step)
	}
	if slots != nil && len(slots) != len(params) {
		return errors.Errorf("%s: state of %d parameters for %d", o.name, len(slots), len(params))
	}
	for i, sl := range slots {
		if len(sl) == 0 {
			slots[i] = nil // no state yet: made at the parameter's first gradient
			continue
		}
		if want := params[i].Value.Size() * o.nslots; len(sl) != want {
			return errors.Errorf("%s: optimizer state for %q has %d values, want %d", o.name, params[i].Name, len(sl), want)
		}
	}
	o.step, o.state = step, slots
	return nil
}

// RMSprop divides the gradient by a moving root mean square of recent
// gradients, with Keras's defaults rho 0.9 and epsilon 1e-7:
//
//	v ← ρ·v + (1−ρ)·g²
//	w ← w − lr·g / (√v + ε)
//
// Options add weight decay or gradient clipping (WeightDecay, ClipNorm,
// GlobalClipNorm, ClipValue), as for every built-in optimiser.
func RMSprop(lr float64, opts ...Option) Optimizer {
	return RMSpropWith(lr, 0.9, 1e-7, opts...)
}

// RMSpropWith is RMSprop with explicit rho and epsilon.
func RMSpropWith(lr, rho, eps float64, opts ...Option) Optimizer {
	return newOptimizer(&optimizer{kind: kindRMSprop, lr: lr, nslots: 1, rho: rho, eps: eps}, "RMSprop",
		[]string{fmt.Sprintf("lr=%g", lr), fmt.Sprintf("rho=%g", rho), fmt.Sprintf("epsilon=%g", eps)}, opts, false)
}

// SGD is plain gradient descent, w ← w − lr·g (Keras's default lr is 0.01).
func SGD(lr float64, opts ...Option) Optimizer {
	return newOptimizer(&optimizer{kind: kindSGD, lr: lr}, "SGD", []string{fmt.Sprintf("lr=%g", lr)}, opts, false)
}

// Momentum is SGD with momentum, as Keras computes it:
//
//	v ← μ·v − lr·g
//	w ← w + v             (classical)
//	w ← w + μ·v − lr·g    (Nesterov)
func Momentum(lr, momentum float64, nesterov bool, opts ...Option) Optimizer {
	return newOptimizer(&optimizer{kind: kindMomentum, lr: lr, nslots: 1, mu: momentum, nesterov: nesterov}, "SGD",
		[]string{fmt.Sprintf("lr=%g", lr), fmt.Sprintf("momentum=%g", momentum), fmt.Sprintf("nesterov=%v", nesterov)}, opts, false)
}

// Adagrad scales each step by the root of the sum of all past squared
// gradients, with Keras's defaults: accumulator starting at 0.1, epsilon
// 1e-7.
//
//	a ← a + g²
//	w ← w − lr·g / (√a + ε)
func Adagrad(lr float64, opts ...Option) Optimizer {
	return newOptimizer(&optimizer{kind: kindAdagrad, lr: lr, nslots: 1}, "Adagrad", []string{fmt.Sprintf("lr=%g", lr)}, opts, false)
}

// Adam keeps moving averages of the gradient and its square, with Keras's
// defaults beta1 0.9, beta2 0.999 and epsilon 1e-7:
//
//	m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//	w ← w − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
func Adam(lr float64, opts ...Option) Optimizer {
	return newOptimizer(&optimizer{kind: kindAdam, lr: lr, nslots: 2}, "Adam", []string{fmt.Sprintf("lr=%g", lr)}, opts, false)
}

// DefaultAdamWDecay is AdamW's default weight decay, Keras's.
const DefaultAdamWDecay = 0.004

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter), with
// Keras's defaults: weight decay 0.004 (WeightDecay changes it), beta1
// 0.9, beta2 0.999, epsilon 1e-7. Each step first decays the weights,
// then takes Adam's step with the gradient, which the decay does not
// enter:
//
//	w ← w − lr·wd·w
//	m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//	w ← w − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
func AdamW(lr float64, opts ...Option) Optimizer {
	return newOptimizer(&optimizer{kind: kindAdam, lr: lr, nslots: 2, wd: DefaultAdamWDecay}, "AdamW", []string{fmt.Sprintf("lr=%g", lr)}, opts, true)
}

// Adam's decay rates (Keras's defaults).
const adamB1, adamB2 = 0.9, 0.999

// ByName returns the optimiser named sgd, momentum, nesterov,
// adagrad, rmsprop, adam or adamw with learning rate lr (momentum 0.9 for
// the momentum variants) and the options opts.
func ByName(name string, lr float64, opts ...Option) (Optimizer, error) {
	switch name {
	case "sgd":
		return SGD(lr, opts...), nil
	case "momentum":
		return Momentum(lr, 0.9, false, opts...), nil
	case "nesterov":
		return Momentum(lr, 0.9, true, opts...), nil
	case "adagrad":
		return Adagrad(lr, opts...), nil
	case "rmsprop":
		return RMSprop(lr, opts...), nil
	case "adam":
		return Adam(lr, opts...), nil
	case "adamw":
		return AdamW(lr, opts...), nil
	}
	return nil, errors.Errorf("unknown optimizer %q (want sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw)", name)
}
