package train

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// Loss names a loss function. Every loss is a mean over the batch.
type Loss int

// The losses.
const (
	// CategoricalCrossEntropy is −Σ t·log p for a model that ends in softmax.
	// It is computed from the softmax's logits with a stable log-softmax.
	CategoricalCrossEntropy Loss = iota
	// CategoricalCrossEntropyFromLogits is the same for a model whose output
	// is the logits themselves (no final softmax), as in PyTorch.
	CategoricalCrossEntropyFromLogits
	// MSE is the mean squared error (L2), for regression.
	MSE
	// MAE is the mean absolute error (L1), for regression.
	MAE
)

func (l Loss) String() string {
	switch l {
	case CategoricalCrossEntropy:
		return "categorical_crossentropy"
	case CategoricalCrossEntropyFromLogits:
		return "categorical_crossentropy(from_logits)"
	case MSE:
		return "mse"
	case MAE:
		return "mae"
	}
	return "unknown loss"
}

// LossByName returns the loss with the Keras name categorical_crossentropy,
// mse (or mean_squared_error) or mae (or mean_absolute_error).
func LossByName(name string) (Loss, error) {
	switch name {
	case "categorical_crossentropy":
		return CategoricalCrossEntropy, nil
	case "mse", "mean_squared_error":
		return MSE, nil
	case "mae", "mean_absolute_error":
		return MAE, nil
	}
	return 0, errors.Errorf("unknown loss %q", name)
}

// node emits the loss of the model outputs out against the targets t.
func (l Loss) node(out layers.Outputs, t *G.Node) (*G.Node, error) {
	switch l {
	case CategoricalCrossEntropy:
		if out.Logits == nil {
			return nil, errors.New("categorical cross-entropy needs a model that ends in softmax; use CategoricalCrossEntropyFromLogits for a model that outputs logits")
		}
		return ops.Loss(ops.SoftmaxCrossEntropy, out.Logits, t)
	case CategoricalCrossEntropyFromLogits:
		return ops.Loss(ops.SoftmaxCrossEntropy, out.Output, t)
	case MSE:
		return ops.Loss(ops.MeanSquaredError, out.Output, t)
	case MAE:
		return ops.Loss(ops.MeanAbsoluteError, out.Output, t)
	}
	return nil, errors.Errorf("unknown loss %d", int(l))
}

// Accuracy returns the fraction of rows of the k-wide matrix pred whose
// largest entry is at the class in labels.
func Accuracy(pred []float32, labels []uint8, k int) float64 {
	if len(labels) == 0 {
		return 0
	}
	return float64(Correct(pred, labels, k)) / float64(len(labels))
}

// Correct counts the rows of pred whose argmax equals the label.
func Correct(pred []float32, labels []uint8, k int) int {
	n := 0
	for i, l := range labels {
		if Argmax(pred[i*k:(i+1)*k]) == int(l) {
			n++
		}
	}
	return n
}

// Argmax returns the index of the largest value (the first, on ties).
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
