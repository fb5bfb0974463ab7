package metrics

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
)

// A Metric measures one metric of one output over an epoch, batch by batch,
// as a Keras metric object does: the trainer calls Reset at the start of
// every epoch and of every evaluation, Update after every batch, and
// records Result under Name (with the output's name in front for a model
// of several outputs, and "val_" in front on the validation set). A
// custom metric is a type of one's own with these methods.
//
// A Metric keeps state, so give each output its own. Its state is not part
// of a checkpoint: after a run resumed part-way through an epoch, the
// epoch's Metrics cover the batches since the resumption (loss and
// accuracy always cover the whole epoch).
type Metric interface {
	// Name returns the metric's name, such as "mae".
	Name() Name
	// Reset forgets every batch.
	Reset()
	// Update adds a batch. It returns an error for a batch it cannot
	// measure (targets that are not classes, sizes that do not agree).
	Update(b Batch) error
	// Result returns the metric over the batches since Reset.
	Result() float64
}

// Batch is one batch of one output, on the host.
type Batch struct {
	// N is the number of examples and K the number of the output's values
	// per example.
	N, K int
	// Pred holds the output, N×K values, example after example.
	Pred []float32
	// Target holds the targets, N×K values: for integer labels, their
	// one-hot rows.
	Target []float32
	// Labels holds each example's class when the targets are class
	// indices (Keras's sparse targets), and is nil otherwise.
	Labels []int
}

// check reports a batch whose slices disagree with N and K.
func (b Batch) check() error {
	switch {
	case b.N < 0 || b.K <= 0:
		return errors.Errorf("batch of %d examples of %d values", b.N, b.K)
	case len(b.Pred) != b.N*b.K:
		return errors.Errorf("%d predictions for %d examples of %d values", len(b.Pred), b.N, b.K)
	case len(b.Target) != b.N*b.K:
		return errors.Errorf("%d targets for %d examples of %d values", len(b.Target), b.N, b.K)
	case b.Labels != nil && len(b.Labels) != b.N:
		return errors.Errorf("%d labels for %d examples", len(b.Labels), b.N)
	}
	return nil
}

// classes returns the number of classes of b: K, or 2 for an output of
// one value (a binary classifier, whose classes are value < 0.5 and
// value ≥ 0.5).
func (b Batch) classes() int { return max(b.K, 2) }

// TrueClass returns the class of example i: its label, or the largest of
// its targets, or for an output of one value 1 when the target is 0.5 or
// more and 0 otherwise.
func (b Batch) TrueClass(i int) int {
	if b.Labels != nil {
		return b.Labels[i]
	}
	return classOf(b.Target[i*b.K : (i+1)*b.K])
}

// PredClass returns the predicted class of example i: the largest of its
// values, or for an output of one value 1 when it is 0.5 or more and 0
// otherwise.
func (b Batch) PredClass(i int) int { return classOf(b.Pred[i*b.K : (i+1)*b.K]) }

func classOf(row []float32) int {
	if len(row) == 1 {
		if row[0] >= 0.5 {
			return 1
		}
		return 0
	}
	return argmax(row)
}

// argmax returns the index of the largest value (the first, on ties).
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// checkClasses reports a label outside the output's classes.
func (b Batch) checkClasses() error {
	k := b.classes()
	for i, l := range b.Labels {
		if l < 0 || l >= k {
			return errors.Errorf("example %d: label %d is not one of the %d classes", i, l, k)
		}
	}
	return nil
}

// mean is a running mean of counts.
type mean struct{ sum, n float64 }

func (m *mean) Reset() { *m = mean{} }
func (m *mean) Result() float64 {
	if m.n == 0 {
		return 0
	}
	return m.sum / m.n
}

// NewAccuracy returns a Metric of the fraction of examples whose predicted
// class (the largest value; for an output of one value, whether it is 0.5
// or more) is their class (label, or largest target). Its name is "acc".
func NewAccuracy() Metric { return &accuracy{} }

type accuracy struct{ mean }

func (*accuracy) Name() Name { return Acc }
func (a *accuracy) Update(b Batch) error {
	if err := b.check(); err != nil {
		return errors.Wrap(err, "acc")
	}
	for i := 0; i < b.N; i++ {
		if b.PredClass(i) == b.TrueClass(i) {
			a.sum++
		}
	}
	a.n += float64(b.N)
	return nil
}

// NewTopKAccuracy returns a Metric of the fraction of examples whose class
// is among the k largest predicted values (ties counted in the example's
// favour), named "top<k>_acc". k must be 1 or more.
func NewTopKAccuracy(k int) Metric { return &topK{k: k} }

type topK struct {
	mean
	k int
}

func (m *topK) Name() Name { return Name(fmt.Sprintf("top%d_acc", m.k)) }
func (m *topK) Update(b Batch) error {
	if err := b.check(); err != nil {
		return errors.Wrap(err, string(m.Name()))
	}
	if m.k < 1 {
		return errors.Errorf("top-k accuracy: k is %d; want 1 or more", m.k)
	}
	if err := b.checkClasses(); err != nil {
		return errors.Wrap(err, string(m.Name()))
	}
	for i := 0; i < b.N; i++ {
		row, c := b.Pred[i*b.K:(i+1)*b.K], b.TrueClass(i)
		if c >= len(row) {
			return errors.Errorf("%s: example %d: class %d of an output of %d values", m.Name(), i, c, len(row))
		}
		above := 0
		for _, v := range row {
			if v > row[c] {
				above++
			}
		}
		if above < m.k {
			m.sum++
		}
	}
	m.n += float64(b.N)
	return nil
}

// NewMeanAbsoluteError returns a Metric of the mean of |pred − target| over
// every value, named "mae".
func NewMeanAbsoluteError() Metric { return &errMeter{name: "mae", f: math.Abs} }

// NewMeanSquaredError returns a Metric of the mean of (pred − target)² over
// every value, named "mse".
func NewMeanSquaredError() Metric {
	return &errMeter{name: "mse", f: func(d float64) float64 { return d * d }}
}

type errMeter struct {
	mean
	name Name
	f    func(float64) float64
}

func (m *errMeter) Name() Name { return m.name }
func (m *errMeter) Update(b Batch) error {
	if err := b.check(); err != nil {
		return errors.Wrap(err, string(m.name))
	}
	for i, p := range b.Pred {
		m.sum += m.f(float64(p) - float64(b.Target[i]))
	}
	m.n += float64(len(b.Pred))
	return nil
}

// ConfusionMatrix is a Metric that counts examples by true and predicted
// class. Its Result is the accuracy, the fraction on the diagonal; its
// name is "confusion_acc".
type ConfusionMatrix struct {
	k      int
	counts []int // counts[true*k+pred]
}

// NewConfusionMatrix returns an empty confusion matrix; it learns the
// number of classes from the first batch.
func NewConfusionMatrix() *ConfusionMatrix { return &ConfusionMatrix{} }

// Name returns "confusion_acc".
func (c *ConfusionMatrix) Name() Name { return "confusion_acc" }

// Reset forgets every count.
func (c *ConfusionMatrix) Reset() { c.k, c.counts = 0, nil }

// Update counts the batch's examples.
func (c *ConfusionMatrix) Update(b Batch) error {
	if err := b.check(); err != nil {
		return errors.Wrap(err, "confusion matrix")
	}
	if err := b.checkClasses(); err != nil {
		return errors.Wrap(err, "confusion matrix")
	}
	k := b.classes()
	if c.counts == nil {
		c.k, c.counts = k, make([]int, k*k)
	}
	if k != c.k {
		return errors.Errorf("confusion matrix: a batch of %d classes after batches of %d", k, c.k)
	}
	for i := 0; i < b.N; i++ {
		c.counts[b.TrueClass(i)*k+b.PredClass(i)]++
	}
	return nil
}

// Counts returns a copy of the matrix: Counts()[t][p] examples of class t
// were predicted as p.
func (c *ConfusionMatrix) Counts() [][]int {
	out := make([][]int, c.k)
	for t := range out {
		out[t] = append([]int(nil), c.counts[t*c.k:(t+1)*c.k]...)
	}
	return out
}

// Result returns the fraction of examples on the diagonal (0 for none).
func (c *ConfusionMatrix) Result() float64 {
	var diag, all int
	for t := 0; t < c.k; t++ {
		for p := 0; p < c.k; p++ {
			all += c.counts[t*c.k+p]
			if t == p {
				diag += c.counts[t*c.k+p]
			}
		}
	}
	if all == 0 {
		return 0
	}
	return float64(diag) / float64(all)
}

// PerClass returns each class's precision, recall and F1 score. A class
// that no example is predicted as has precision 0, one that no example
// belongs to has recall 0, and F1 is 0 where precision and recall are.
func (c *ConfusionMatrix) PerClass() (precision, recall, f1 []float64) {
	precision, recall, f1 = make([]float64, c.k), make([]float64, c.k), make([]float64, c.k)
	for j := 0; j < c.k; j++ {
		var tp, predicted, actual int
		for i := 0; i < c.k; i++ {
			predicted += c.counts[i*c.k+j]
			actual += c.counts[j*c.k+i]
		}
		tp = c.counts[j*c.k+j]
		if predicted > 0 {
			precision[j] = float64(tp) / float64(predicted)
		}
		if actual > 0 {
			recall[j] = float64(tp) / float64(actual)
		}
		if s := precision[j] + recall[j]; s > 0 {
			f1[j] = 2 * precision[j] * recall[j] / s
		}
	}
	return precision, recall, f1
}

// present reports whether class j has an example or a prediction.
func (c *ConfusionMatrix) present(j int) bool {
	for i := 0; i < c.k; i++ {
		if c.counts[i*c.k+j] > 0 || c.counts[j*c.k+i] > 0 {
			return true
		}
	}
	return false
}

// scoreKind picks precision, recall or F1.
type scoreKind int

const (
	scorePrecision scoreKind = iota
	scoreRecall
	scoreF1
)

// score is a Metric of a precision, recall or F1: of class 1 for an
// output of one value (binary), macro-averaged otherwise.
type score struct {
	ConfusionMatrix
	kind   scoreKind
	binary bool
}

// NewPrecision returns a Metric of the precision, named "precision": for a
// binary classifier (an output of one value), that of class 1; otherwise
// the macro average, the unweighted mean over the classes that have an
// example or a prediction of each class's precision (ConfusionMatrix's
// PerClass gives them one by one).
func NewPrecision() Metric { return &score{kind: scorePrecision} }

// NewRecall returns a Metric of the recall, named "recall", binary or
// macro-averaged as NewPrecision's precision.
func NewRecall() Metric { return &score{kind: scoreRecall} }

// NewF1 returns a Metric of the F1 score, named "f1", binary or the macro
// average of each class's F1, as NewPrecision's precision.
func NewF1() Metric { return &score{kind: scoreF1} }

func (s *score) Name() Name {
	return [...]Name{"precision", "recall", "f1"}[s.kind]
}

// Reset forgets every batch.
func (s *score) Reset() { s.ConfusionMatrix.Reset(); s.binary = false }

// Update counts the batch's examples.
func (s *score) Update(b Batch) error {
	if err := s.ConfusionMatrix.Update(b); err != nil {
		return errors.Wrap(err, string(s.Name()))
	}
	s.binary = b.K == 1
	return nil
}

// Result returns the score (0 before any batch).
func (s *score) Result() float64 {
	if s.k == 0 {
		return 0
	}
	p, r, f := s.PerClass()
	v := [...][]float64{p, r, f}[s.kind]
	if s.binary {
		return v[1]
	}
	var sum float64
	n := 0
	for j, x := range v {
		if s.present(j) {
			sum += x
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
