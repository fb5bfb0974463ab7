package train

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/model"
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

// classifies reports whether the loss is a classification loss, whose
// targets are classes and whose metric is accuracy.
func (l Loss) classifies() bool {
	return l == CategoricalCrossEntropy || l == CategoricalCrossEntropyFromLogits
}

// node emits the loss of the model output out (whose softmax's input is
// logits, or nil) against the targets t, weighing each example by w if w
// is not nil.
func (l Loss) node(out, logits, t, w *G.Node) (*G.Node, error) {
	x, kind := out, ops.SoftmaxCrossEntropy
	switch l {
	case CategoricalCrossEntropy:
		if logits == nil {
			return nil, errors.New("categorical cross-entropy needs a model that ends in softmax; use CategoricalCrossEntropyFromLogits for a model that outputs logits")
		}
		x = logits
	case CategoricalCrossEntropyFromLogits:
	case MSE:
		kind = ops.MeanSquaredError
	case MAE:
		kind = ops.MeanAbsoluteError
	default:
		return nil, errors.Errorf("unknown loss %d", int(l))
	}
	if w != nil {
		return ops.WeightedLoss(kind, x, t, w)
	}
	return ops.Loss(kind, x, t)
}

// Accuracy returns the fraction of rows of the k-wide matrix pred whose
// largest entry is at the class in labels.
func Accuracy(pred []float32, labels []int, k int) float64 {
	if len(labels) == 0 {
		return 0
	}
	return float64(Correct(pred, labels, k)) / float64(len(labels))
}

// Correct counts the rows of pred whose argmax equals the label.
func Correct(pred []float32, labels []int, k int) int {
	n := 0
	for i, l := range labels {
		if Argmax(pred[i*k:(i+1)*k]) == l {
			n++
		}
	}
	return n
}

// Argmax returns the index of the largest value (the first, on ties). It
// is model.Argmax, kept here for the code that predates package model.
func Argmax(v []float32) int { return model.Argmax(v) }
