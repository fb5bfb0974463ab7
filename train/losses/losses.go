package losses

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/ops"
)

// A Loss is the loss of one model output: train.Loss sets one for every
// output, train.Losses one per output. The built-in losses are the package's
// variables and constructors (CategoricalCrossEntropy, MSE, Huber, ...);
// any function of Gorgonia nodes is one as a Func, as Keras takes
// loss=fn.
//
// The built-in losses are comparable with ==; a Func is not (a func
// value in an interface panics when compared).
type Loss interface {
	// String returns the loss's name, as Keras spells it.
	String() string
	// Node emits the loss of a batch: the mean over its N examples of
	// each example's loss, times the example's weight when in.Weights is
	// not nil.
	Node(in Input) (*G.Node, error)
}

// Input is what a Loss sees of one output of a batch.
type Input struct {
	// Pred is the model's output, [N, ...].
	Pred *G.Node
	// Logits is the input of the output's final softmax, or nil if it
	// does not end in one (model.Outputs.Logits).
	Logits *G.Node
	// Target holds the targets, of Pred's shape: for integer labels, their
	// one-hot rows.
	Target *G.Node
	// Weights holds one weight per example, [N], or is nil when the batch
	// is not weighted.
	Weights *G.Node
}

// Func is a loss written with Gorgonia's operations (or package ops'):
// it returns the loss of each example of the batch, a vector of shape
// [N], of the predictions pred against the targets target (both of the
// output's shape, [N, ...]). The trainer weighs the examples (sample and
// class weights) and takes the mean over the batch, so the function never
// sees weights. Gradients come from Gorgonia's symbolic differentiation.
//
// A Func is a Loss; its name in messages is "loss_func" (Named
// gives it another).
type Func func(pred, target *G.Node) (*G.Node, error)

// String returns "loss_func".
func (f Func) String() string { return "loss_func" }

// Node calls f and reduces its per-example losses to the batch's weighted
// mean.
func (f Func) Node(in Input) (*G.Node, error) {
	return perExample("loss_func", f, in)
}

// Named is a Func with a name of one's own, for messages.
func Named(name string, f Func) Loss { return namedLoss{name: name, f: f} }

type namedLoss struct {
	name string
	f    Func
}

func (l namedLoss) String() string                 { return l.name }
func (l namedLoss) Node(in Input) (*G.Node, error) { return perExample(l.name, l.f, in) }

// perExample calls f and takes the (weighted) mean of its result.
func perExample(name string, f Func, in Input) (*G.Node, error) {
	if f == nil {
		return nil, errors.Errorf("loss %s: nil function", name)
	}
	// The function's operations may run in place on their inputs; the
	// trainer reads the output after the run, so they get a copy.
	pred, err := ops.Copy(in.Pred)
	if err != nil {
		return nil, errors.Wrapf(err, "loss %s", name)
	}
	l, err := f(pred, in.Target)
	if err != nil {
		return nil, errors.Wrapf(err, "loss %s", name)
	}
	if l == nil {
		return nil, errors.Errorf("loss %s: the function returned no node", name)
	}
	n := in.Pred.Shape()[0]
	if s := l.Shape(); len(s) != 1 || s[0] != n {
		return nil, errors.Errorf("loss %s: the function returned shape %v; want the loss of each of the %d examples, shape [%d]", name, s, n, n)
	}
	if l.Dtype() != in.Pred.Dtype() {
		return nil, errors.Errorf("loss %s: the function returned %v values for %v predictions", name, l.Dtype(), in.Pred.Dtype())
	}
	if in.Weights != nil {
		if l, err = G.HadamardProd(l, in.Weights); err != nil {
			return nil, errors.Wrapf(err, "loss %s: weighing the examples", name)
		}
	}
	m, err := G.Mean(l)
	return m, errors.Wrapf(err, "loss %s: the mean over the batch", name)
}

// kind names the op of package ops that computes a built-in loss.
type kind uint8

const (
	softmaxCE kind = iota
	binaryCE
	binaryCEFromLogits
	mse
	mae
	huber
)

// builtin is a loss of package ops.
type builtin struct {
	name      string
	kind      kind
	softmax   bool    // computed from the final softmax's logits
	classify  bool    // the targets are classes, the metric accuracy
	sparse    bool    // the targets are class indices
	smoothing float64 // label smoothing ε
	delta     float64 // Huber's δ
}

// The built-in losses. Each is the mean over the batch of each example's
// loss, and each example's loss is the mean over its values (the sum, for
// the categorical cross-entropies).
var (
	// CategoricalCrossEntropy is −Σ t·log p for a model that ends in softmax.
	// It is computed from the softmax's logits with a stable log-softmax.
	CategoricalCrossEntropy Loss = builtin{name: "categorical_crossentropy", kind: softmaxCE, softmax: true, classify: true}
	// CategoricalCrossEntropyFromLogits is the same for a model whose output
	// is the logits themselves (no final softmax), as in PyTorch.
	CategoricalCrossEntropyFromLogits Loss = builtin{name: "categorical_crossentropy(from_logits)", kind: softmaxCE, classify: true}
	// SparseCategoricalCrossEntropy is CategoricalCrossEntropy of targets
	// that are class indices (Keras's sparse_categorical_crossentropy):
	// the batch's Labels for a model of one output, or in Y one value per
	// example, the class, in the output's place.
	SparseCategoricalCrossEntropy Loss = builtin{name: "sparse_categorical_crossentropy", kind: softmaxCE, softmax: true, classify: true, sparse: true}
	// SparseCategoricalCrossEntropyFromLogits is the same for an output
	// that is the logits.
	SparseCategoricalCrossEntropyFromLogits Loss = builtin{name: "sparse_categorical_crossentropy(from_logits)", kind: softmaxCE, classify: true, sparse: true}
	// BinaryCrossEntropy is −(t·log p + (1−t)·log(1−p)) averaged over the
	// output's values, for probabilities p (a sigmoid's output) and
	// targets t in [0, 1]; p is clipped to [1e-7, 1−1e-7] as in Keras.
	BinaryCrossEntropy Loss = builtin{name: "binary_crossentropy", kind: binaryCE}
	// BinaryCrossEntropyFromLogits is the same for an output that is the
	// logits z (no final sigmoid), computed stably from z.
	BinaryCrossEntropyFromLogits Loss = builtin{name: "binary_crossentropy(from_logits)", kind: binaryCEFromLogits}
	// MSE is the mean squared error (L2), for regression.
	MSE Loss = builtin{name: "mse", kind: mse}
	// MAE is the mean absolute error (L1), for regression.
	MAE Loss = builtin{name: "mae", kind: mae}
	// MeanSquaredError is MSE.
	MeanSquaredError = MSE
	// MeanAbsoluteError is MAE.
	MeanAbsoluteError = MAE
)

// CategoricalCrossEntropySmoothed is CategoricalCrossEntropy with label
// smoothing (Keras's label_smoothing): the targets t of K classes become
// t·(1−eps) + eps/K, for eps in [0, 1).
func CategoricalCrossEntropySmoothed(eps float64) Loss {
	return builtin{name: "categorical_crossentropy", kind: softmaxCE, softmax: true, classify: true, smoothing: eps}
}

// Huber is the Huber loss with threshold delta (Keras's default is 1):
// ½d² where |d| ≤ delta and delta·(|d| − ½delta) elsewhere, d = pred −
// target, averaged over the output's values; quadratic near the target
// and linear far from it, so outliers weigh less than with MSE. delta
// must be a finite value above 0.
func Huber(delta float64) Loss {
	return builtin{name: "huber", kind: huber, delta: delta}
}

// String returns Keras's name of the loss.
func (l builtin) String() string { return l.name }

// check reports a loss whose parameters are out of range.
func (l builtin) check() error {
	if l.smoothing != 0 && !(l.smoothing > 0 && l.smoothing < 1) {
		return errors.Errorf("%s: label smoothing %v must be in [0, 1)", l.name, l.smoothing)
	}
	if l.kind == huber && (!(l.delta > 0) || math.IsInf(l.delta, 1)) {
		return errors.Errorf("huber: delta %v must be a finite value above 0", l.delta)
	}
	return nil
}

// Node emits the loss with package ops' fused kernels.
func (l builtin) Node(in Input) (*G.Node, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	x, t := in.Pred, in.Target
	if l.softmax {
		if in.Logits == nil {
			return nil, errors.Errorf("%s needs an output that ends in softmax; use the FromLogits loss for an output that is the logits", l.name)
		}
		x = in.Logits
	}
	if l.smoothing > 0 {
		var err error
		if t, err = smooth(t, l.smoothing); err != nil {
			return nil, errors.Wrapf(err, "%s: label smoothing", l.name)
		}
	}
	switch l.kind {
	case softmaxCE:
		return ops.SoftmaxCrossEntropy(x, t, in.Weights)
	case binaryCE:
		return ops.BinaryCrossEntropy(x, t, in.Weights)
	case binaryCEFromLogits:
		return ops.BinaryCrossEntropyFromLogits(x, t, in.Weights)
	case mse:
		return ops.MeanSquaredError(x, t, in.Weights)
	case mae:
		return ops.MeanAbsoluteError(x, t, in.Weights)
	}
	return ops.Huber(x, t, in.Weights, l.delta)
}

// smooth returns t·(1−eps) + eps/K for rows t of K classes.
func smooth(t *G.Node, eps float64) (*G.Node, error) {
	k := t.Shape()[t.Dims()-1]
	scale, shift := G.NewConstant(1-eps), G.NewConstant(eps/float64(k))
	if t.Dtype() == tensor.Float32 {
		scale, shift = G.NewConstant(float32(1-eps)), G.NewConstant(float32(eps/float64(k)))
	}
	s, err := G.Mul(t, scale)
	if err != nil {
		return nil, err
	}
	return G.Add(s, shift)
}

// ForClasses reports whether l's targets are classes, so that a trainer
// measures accuracy, and whether they are class indices (sparse) rather
// than one-hot rows. A loss of one's own is a loss of targets of its
// output's shape: both are false.
func ForClasses(l Loss) (classes, sparse bool) {
	if b, ok := l.(builtin); ok {
		return b.classify, b.sparse
	}
	return false, false
}

// Check reports a nil loss or a built-in one whose parameters are out of
// range.
func Check(l Loss) error {
	if l == nil {
		return errors.New("nil loss")
	}
	if f, ok := l.(Func); ok && f == nil {
		return errors.New("nil Func")
	}
	if b, ok := l.(builtin); ok {
		return b.check()
	}
	return nil
}
