package train

import (
	"math"
	"math/bits"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
)

// DefaultEvalBatch is the batch size Evaluate uses unless
// EvalBatch says otherwise.
const DefaultEvalBatch = 500

// Trainer fits a model with a loss and an optimiser. It is not safe for
// concurrent use, and the model must not predict while it trains.
type Trainer struct {
	model     *model.Model
	loss      losses.Loss        // Loss: the loss of every output
	losses    []losses.Loss      // the loss of each output
	lossW     []float64          // the weight of each output's loss
	meters    [][]metrics.Metric // each output's metrics
	outMeters []outMeters        // Metrics and OutputMetrics, in order
	outNames  []string           // the outputs' layer names
	optErr    error              // an option's error, reported by New
	opt       optimizers.Optimizer
	seed      uint64
	evalBatch int
	callbacks []Callback
	schedule  optimizers.Schedule
	aug       *data.Augmentation
	prog      Position
	hist      *History

	train  map[int]*step // compiled training graphs by batch size
	trainW map[int]*step // the same with a weight per example
	infer  map[int]*step // compiled inference graphs by batch size
	frozen string        // what was frozen when train, trainW and stats were compiled
	stats  map[int]*step // forward-only graphs of RecomputeBNStats

	preciseBN int         // batches of PreciseBN, or 0
	fitSet    data.Source // of the running Fit, for PreciseBN
	fitBatch  int

	classWeights []float64 // of the running Fit, or nil

	// Each output's Σ batch loss × batch size over the epoch's batches
	// since the epoch began or resumed, and the examples they hold.
	headSums []float64
	headSeen int
}

// step is one compiled graph.
type step struct {
	m      *graph.Machine
	xs     []*G.Node
	ys     []*G.Node // targets, one per output
	w      *G.Node   // the examples' weights, in a weighted graph
	wbuf   []float32
	outs   []*G.Node
	loss   *G.Node
	heads  []*G.Node   // each output's loss, for a model of several outputs
	preds  [][]float32 // each output's predictions, when measured
	tgts   [][]float32 // each output's targets
	labels [][]int     // each output's classes, where they are class indices
	onehot [][]float32
	lossV  []float64
	headV  []float64
	params []*graph.Param // the optimiser's list: every trainable parameter
	at     []int          // the index in params of each of the machine's gradients
	grads  []*tensor.Dense
}

// outMeters is the metrics asked for one output (by name; "" is the only
// output of a model of one).
type outMeters struct {
	output string
	meters []metrics.Metric
}

// An Option configures a Trainer, in the style of Gorgonia's SolverOpt.
type Option func(*Trainer)

// Loss sets the loss of every output (default
// CategoricalCrossEntropy). A losses.Func makes any function of Gorgonia
// nodes the loss.
func Loss(l losses.Loss) Option { return func(t *Trainer) { t.loss, t.losses = l, nil } }

// Losses sets one loss per output, in the order of the model's
// outputs, as Keras's loss list does: a classification head and a
// regression head can each have theirs. The loss that Fit minimises is
// the sum of each output's loss times its weight (LossWeights).
func Losses(ls ...losses.Loss) Option {
	return func(t *Trainer) { t.losses = append([]losses.Loss(nil), ls...) }
}

// LossWeights weighs each output's loss, one weight per output in output
// order, as Keras's loss_weights (default 1 each). Weights are finite and
// 0 or more.
func LossWeights(w ...float64) Option {
	return func(t *Trainer) { t.lossW = append([]float64(nil), w...) }
}

// Metrics adds metrics to a model of one output; History records each
// under its Name ("mae", "val_mae"). A classifier's accuracy is always
// recorded (Epoch.Acc), so needs no metric; for another loss (binary
// cross-entropy, say), NewAccuracy's result goes to Epoch.Acc and
// ValAcc, and Evaluate returns it.
func Metrics(ms ...metrics.Metric) Option {
	return func(t *Trainer) { t.outMeters = append(t.outMeters, outMeters{meters: ms}) }
}

// OutputMetrics sets the metrics of the output whose layer is named
// output (model.Model.OutputNames); History records each as
// output_name ("head_mae", "val_head_mae"). An output of a model of
// several outputs that is given none measures its accuracy if its loss
// is a classification loss, and nothing otherwise.
func OutputMetrics(output string, ms ...metrics.Metric) Option {
	return func(t *Trainer) {
		if output == "" {
			t.optErr = errors.New("train: OutputMetrics: empty output name")
		}
		t.outMeters = append(t.outMeters, outMeters{output: output, meters: ms})
	}
}

// Optimizer sets the optimiser (default RMSprop(1e-3), Keras's default).
func Optimizer(o optimizers.Optimizer) Option { return func(t *Trainer) { t.opt = o } }

// Seed seeds the shuffling of the training set (default 1). The same
// model seed and trainer seed give the same history.
func Seed(seed uint64) Option { return func(t *Trainer) { t.seed = seed } }

// EvalBatch sets the batch size of Evaluate.
func EvalBatch(n int) Option { return func(t *Trainer) { t.evalBatch = n } }

// Augmentation makes Fit change every training image as a describes,
// on the fly and keyed to the training step, so that a resumed run stays
// exact. Evaluate and prediction never see it.
func Augmentation(a *data.Augmentation) Option { return func(t *Trainer) { t.aug = a } }

// Callbacks adds callbacks to every Fit.
func Callbacks(cbs ...Callback) Option {
	return func(t *Trainer) { t.callbacks = append(t.callbacks, cbs...) }
}

// New returns a trainer for m. The loss of a model of several outputs is
// the sum of the loss of each; its targets Y hold, per example, the
// targets of each output one after the other.
func New(m *model.Model, opts ...Option) (*Trainer, error) {
	if m == nil {
		return nil, errors.New("train: nil model")
	}
	t := &Trainer{model: m, loss: losses.CategoricalCrossEntropy, opt: optimizers.RMSprop(1e-3), seed: 1,
		evalBatch: DefaultEvalBatch, train: map[int]*step{}, trainW: map[int]*step{}, infer: map[int]*step{}, hist: &History{}}
	for _, o := range opts {
		if o != nil {
			o(t)
		}
	}
	if t.optErr != nil {
		return nil, t.optErr
	}
	if err := t.setLosses(); err != nil {
		return nil, err
	}
	if err := t.setMeters(); err != nil {
		return nil, err
	}
	if t.opt == nil {
		return nil, errors.New("train: nil optimizer")
	}
	if t.evalBatch <= 0 {
		return nil, errors.Errorf("train: evaluation batch size %d must be positive", t.evalBatch)
	}
	if t.preciseBN < 0 {
		return nil, errors.Errorf("train: PreciseBN(%d) must not be negative", t.preciseBN)
	}
	for i, cb := range t.callbacks {
		if err := checkCallback(i, cb); err != nil {
			return nil, err
		}
	}
	if t.aug != nil {
		if err := t.aug.Check(); err != nil {
			return nil, errors.Wrap(err, "train")
		}
	}
	if _, ok := t.opt.(optimizers.LRSetter); t.schedule != nil && !ok {
		return nil, errors.Errorf("train: a schedule needs an optimizer whose learning rate can be set; %v's cannot", t.opt)
	}
	return t, nil
}

// Model returns the model being trained.
func (t *Trainer) Model() *model.Model { return t.model }

// Loss returns the loss of the trainer's first output (of its only one,
// usually).
func (t *Trainer) Loss() losses.Loss { return t.losses[0] }

// Losses returns the loss of each output.
func (t *Trainer) Losses() []losses.Loss { return append([]losses.Loss(nil), t.losses...) }

// setLosses checks the losses and their weights against the model.
func (t *Trainer) setLosses() error {
	n := t.model.NumOutputs()
	t.outNames = t.model.OutputNames()
	if t.losses == nil {
		t.losses = make([]losses.Loss, n)
		for i := range t.losses {
			t.losses[i] = t.loss
		}
	}
	if len(t.losses) != n {
		return errors.Errorf("train: Losses has %d losses for a model of %d outputs (%s)", len(t.losses), n, strings.Join(t.outNames, ", "))
	}
	for i, l := range t.losses {
		if err := losses.Check(l); err != nil {
			return errors.Wrapf(err, "train: the loss of output %s", t.outNames[i])
		}
	}
	if t.lossW == nil {
		t.lossW = make([]float64, n)
		for i := range t.lossW {
			t.lossW[i] = 1
		}
	}
	if len(t.lossW) != n {
		return errors.Errorf("train: LossWeights has %d weights for a model of %d outputs", len(t.lossW), n)
	}
	for i, w := range t.lossW {
		if !(w >= 0) || math.IsInf(w, 1) {
			return errors.Errorf("train: LossWeights: weight %v of output %s is not a finite value of 0 or more", w, t.outNames[i])
		}
	}
	return nil
}

// setMeters gives every output its metrics and checks that their names
// are unique.
func (t *Trainer) setMeters() error {
	n := t.model.NumOutputs()
	t.meters = make([][]metrics.Metric, n)
	set := make([]bool, n)
	for _, om := range t.outMeters {
		i := 0
		if om.output == "" && n > 1 {
			return errors.Errorf("train: Metrics is for a model of one output; this one has %d (%s): use OutputMetrics", n, strings.Join(t.outNames, ", "))
		}
		if om.output != "" {
			if i = slices.Index(t.outNames, om.output); i < 0 {
				return errors.Errorf("train: OutputMetrics: the model has no output %q (its outputs: %s)", om.output, strings.Join(t.outNames, ", "))
			}
		}
		t.meters[i], set[i] = append(t.meters[i], om.meters...), true
	}
	for i := range t.meters {
		if !set[i] && n > 1 && traitsOf(t.losses[i]).classify {
			t.meters[i] = []metrics.Metric{metrics.NewAccuracy()}
		}
	}
	seen := map[metrics.Name]bool{metrics.Loss: true, metrics.Seconds: true, metrics.TrainSeconds: true, metrics.ImagesPerS: true, metrics.LR: true}
	if t.accuracy() {
		seen[metrics.Acc] = true
	}
	used := map[metrics.Metric]bool{}
	for i, out := range t.outNames {
		if n > 1 {
			seen[metrics.Loss.Of(out)] = true
		}
		for _, m := range t.meters[i] {
			if m == nil {
				return errors.Errorf("train: a nil metric for output %s", out)
			}
			if reflect.TypeOf(m).Comparable() {
				if used[m] {
					return errors.Errorf("train: metric %v of output %s is a metrics.Metric given twice; each output needs Meters of its own", m.Name(), out)
				}
				used[m] = true
			}
			name := t.metricName(i, m)
			if name == "" || strings.HasPrefix(string(name), "val_") {
				return errors.Errorf("train: metric %q of output %s: a name must not be empty or begin with val_", string(name), out)
			}
			if seen[name] {
				return errors.Errorf("train: metric %q of output %s is recorded twice", string(name), out)
			}
			seen[name] = true
		}
	}
	return nil
}

// metricName returns the name History records meter m of output i under.
func (t *Trainer) metricName(i int, m metrics.Metric) metrics.Name {
	if len(t.outNames) == 1 {
		return m.Name()
	}
	return m.Name().Of(t.outNames[i])
}

// accuracy reports whether the trainer measures accuracy in Epoch.Acc:
// for a classification loss on a model of one output.
func (t *Trainer) accuracy() bool {
	return len(t.losses) == 1 && traitsOf(t.losses[0]).classify
}

// accMeter returns the metric named "acc" of a model of one output whose
// loss is not a classification loss (a binary classifier's accuracy,
// say), which History records in Epoch.Acc, or nil.
func (t *Trainer) accMeter() metrics.Metric {
	if len(t.meters) != 1 || t.accuracy() {
		return nil
	}
	for _, m := range t.meters[0] {
		if m.Name() == metrics.Acc {
			return m
		}
	}
	return nil
}

// measured reports whether the predictions of output i are read back.
func (t *Trainer) measured(i int) bool {
	return len(t.meters[i]) > 0 || (i == 0 && t.accuracy())
}

// targetWidths returns the number of target values of each output in a
// batch's Y: the output's size, or 1 (the class) for a sparse loss.
func (t *Trainer) targetWidths() []int {
	w := t.model.OutputSizes()
	for i, l := range t.losses {
		if traitsOf(l).sparse {
			w[i] = 1
		}
	}
	return w
}

// Optimizer returns the trainer's optimiser.
func (t *Trainer) Optimizer() optimizers.Optimizer { return t.opt }

// compile returns the graph for batch size n, building it on first use;
// a weighted (training) graph weighs each example's loss.
func (t *Trainer) compile(n int, training, weighted bool) (*step, error) {
	cache := t.infer
	switch {
	case training && weighted:
		cache = t.trainW
	case training:
		cache = t.train
	}
	if training {
		t.checkFrozen()
	}
	if s, ok := cache[n]; ok {
		return s, nil
	}
	g := graph.New(t.model.Params(), graph.Training(training))
	s := &step{}
	for i := 0; i < t.model.NumInputs(); i++ {
		s.xs = append(s.xs, g.Input("x", append([]int{n}, t.model.InputShape(i)...)...))
	}
	out, err := t.model.Build(g, s.xs...)
	if err != nil {
		return nil, err
	}
	// The loss of a model of several outputs is the sum of each output's.
	s.outs = out.Outputs
	if weighted {
		s.w = g.Input("w", n)
	}
	for i, o := range s.outs {
		y := g.Input("y", o.Shape()...)
		s.ys = append(s.ys, y)
		l, err := t.losses[i].Node(losses.Input{Pred: o, Logits: out.Logits[i], Target: y, Weights: s.w})
		if err != nil {
			return nil, errors.Wrapf(err, "train: loss %v of output %s", t.losses[i], t.outNames[i])
		}
		if l == nil || !l.IsScalar() {
			return nil, errors.Errorf("train: loss %v of output %s is not a scalar", t.losses[i], t.outNames[i])
		}
		s.heads = append(s.heads, l)
		if w := t.lossW[i]; w != 1 {
			c := G.NewConstant(w)
			if l.Dtype() == tensor.Float32 {
				c = G.NewConstant(float32(w))
			}
			if l, err = G.Mul(l, c); err != nil {
				return nil, errors.Wrapf(err, "train: weighing the loss of output %s", t.outNames[i])
			}
		}
		if s.loss == nil {
			s.loss = l
		} else if s.loss, err = G.Add(s.loss, l); err != nil {
			return nil, errors.Wrap(err, "train: summing the outputs' losses")
		}
	}
	lossNode := s.loss
	if !training {
		lossNode = nil
	}
	keep := append(s.outs, s.loss)
	if len(s.heads) > 1 {
		keep = append(keep, s.heads...)
	} else {
		s.heads = nil
	}
	if s.m, err = g.Compile(lossNode, keep...); err != nil {
		return nil, err
	}
	if training {
		// The optimiser sees every trainable parameter, in a fixed order,
		// and a nil gradient for a frozen one, so that its state follows
		// the parameters whatever is frozen when.
		s.params = t.model.Params().Trainable()
		idx := make(map[*graph.Param]int, len(s.params))
		for i, p := range s.params {
			idx[p] = i
		}
		for _, p := range s.m.Params() {
			s.at = append(s.at, idx[p])
		}
		s.grads = make([]*tensor.Dense, len(s.params))
	}
	cache[n] = s
	return s, nil
}

// frozenKey describes what is frozen: the model's frozen layers and the
// frozen parameters.
func (t *Trainer) frozenKey() string {
	b := []byte(strings.Join(t.model.FrozenLayers(), "/"))
	b = append(b, ':')
	for _, p := range t.model.Params().List() {
		if p.Frozen {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
	}
	return string(b)
}

// checkFrozen closes the training graphs if what is frozen changed since
// they were compiled: freezing or unfreezing a layer changes which
// gradients a training graph takes and how its frozen BatchNormalization
// layers run, so they are built again.
func (t *Trainer) checkFrozen() {
	if f := t.frozenKey(); f != t.frozen {
		t.closeTraining()
		t.frozen = f
	}
}

// closeTraining releases the compiled training graphs.
func (t *Trainer) closeTraining() {
	for _, c := range []map[int]*step{t.train, t.trainW, t.stats} {
		for n, s := range c {
			s.m.Close()
			delete(c, n)
		}
	}
}

// run feeds one batch through the graph for its size and returns the loss;
// the predictions are left in s.pred. A training batch is step number
// stepNo of the whole run (graph.Graph.Step).
func (t *Trainer) run(b data.Batch, training bool, stepNo uint64) (*step, float64, error) {
	weighted := training && (b.Weights != nil || t.classWeights != nil)
	s, err := t.compile(b.N, training, weighted)
	if err != nil {
		return nil, 0, err
	}
	if err := t.targets(s, b); err != nil {
		return nil, 0, err
	}
	if weighted {
		if s.wbuf, err = t.weights(b, s, s.wbuf); err != nil {
			return nil, 0, err
		}
		if err := graph.Set(s.w, s.wbuf); err != nil {
			return nil, 0, err
		}
	}
	s.m.SetStep(stepNo)
	if err := t.model.Feed(s.xs, b.X); err != nil {
		return nil, 0, err
	}
	for i, y := range s.ys {
		if err := graph.Set(y, s.tgts[i]); err != nil {
			return nil, 0, errors.Wrapf(err, "train: the targets of output %s", t.outNames[i])
		}
	}
	if err := s.m.Run(); err != nil {
		return nil, 0, err
	}
	if s.lossV, err = graph.Read(s.loss, s.lossV); err != nil {
		return nil, 0, err
	}
	s.headV = s.headV[:0]
	for _, h := range s.heads {
		v, err := graph.Read[float64](h, nil)
		if err != nil {
			return nil, 0, err
		}
		s.headV = append(s.headV, v[0])
	}
	if s.preds == nil {
		s.preds = make([][]float32, len(s.outs))
	}
	for i, o := range s.outs {
		if t.measured(i) {
			if s.preds[i], err = graph.Read(o, s.preds[i]); err != nil {
				return nil, 0, err
			}
		}
	}
	return s, s.lossV[0], nil
}

// targets sets s.tgts and s.labels to the targets of each output of b:
// for a model of one output, b.Y or the one-hot rows of b.Labels (the
// labels first for a sparse loss); for several, each output's part of
// every row of b.Y, a sparse loss's single value being the class.
func (t *Trainer) targets(s *step, b data.Batch) error {
	n := len(s.outs)
	if s.tgts == nil {
		s.tgts, s.labels, s.onehot = make([][]float32, n), make([][]int, n), make([][]float32, n)
	}
	sizes, widths := t.model.OutputSizes(), t.targetWidths()
	if n == 1 {
		sparse := traitsOf(t.losses[0]).sparse
		s.labels[0] = b.Labels
		switch {
		case b.Labels != nil && (sparse || b.Y == nil):
		case b.Y != nil && sparse:
			var err error
			if s.labels[0], err = classes(b.Y, 1, 0, sizes[0], s.labels[0]); err != nil {
				return err
			}
		case b.Y != nil:
			s.tgts[0] = b.Y
			return nil
		default:
			return errors.New("train: the batch has no targets Y and no labels")
		}
		var err error
		s.onehot[0], err = oneHot(s.labels[0], sizes[0], s.onehot[0])
		s.tgts[0] = s.onehot[0]
		return err
	}
	if b.Y == nil {
		return errors.Errorf("train: the batch has no targets Y, which a model of %d outputs needs", n)
	}
	width := 0
	for _, w := range widths {
		width += w
	}
	if len(b.Y) != b.N*width {
		return errors.Errorf("train: batch of %d examples has %d targets; the model's outputs take %d per example", b.N, len(b.Y), width)
	}
	off := 0
	for i := range s.outs {
		if traitsOf(t.losses[i]).sparse {
			var err error
			if s.labels[i], err = classes(b.Y, width, off, sizes[i], s.labels[i]); err != nil {
				return errors.Wrapf(err, "output %s", t.outNames[i])
			}
			if s.onehot[i], err = oneHot(s.labels[i], sizes[i], s.onehot[i]); err != nil {
				return errors.Wrapf(err, "output %s", t.outNames[i])
			}
			s.tgts[i] = s.onehot[i]
		} else {
			s.labels[i] = nil
			part := s.onehot[i][:0]
			for e := 0; e < b.N; e++ {
				part = append(part, b.Y[e*width+off:e*width+off+widths[i]]...)
			}
			s.onehot[i], s.tgts[i] = part, part
		}
		off += widths[i]
	}
	return nil
}

// classes reads the class at offset off of every row of width values of
// y into buf: a whole number below k.
func classes(y []float32, width, off, k int, buf []int) ([]int, error) {
	buf = buf[:0]
	for e := 0; e*width < len(y); e++ {
		v := y[e*width+off]
		c := int(v)
		if float32(c) != v || c < 0 || c >= k {
			return buf, errors.Errorf("train: example %d: target %v is not a class (a whole number from 0 to %d)", e, v, k-1)
		}
		buf = append(buf, c)
	}
	return buf, nil
}

// weights writes into buf the weight of each example of b: its sample
// weight (1 if none) times its class's weight (1 without ClassWeights),
// the class being its label or, without labels, the largest of its
// targets (s.labels and s.tgts hold them).
func (t *Trainer) weights(b data.Batch, s *step, buf []float32) ([]float32, error) {
	buf = append(buf[:0], make([]float32, b.N)...)
	k := t.model.OutputSize()
	for i := range buf {
		w := float32(1)
		if b.Weights != nil {
			w = b.Weights[i]
		}
		if t.classWeights != nil {
			c := 0
			switch {
			case s.labels[0] != nil:
				c = s.labels[0][i]
			default:
				c = model.Argmax(s.tgts[0][i*k : (i+1)*k])
			}
			if c >= len(t.classWeights) {
				return buf, errors.Errorf("train: example %d is of class %d, and ClassWeights has %d weights", i, c, len(t.classWeights))
			}
			w *= float32(t.classWeights[c])
		}
		buf[i] = w
	}
	return buf, nil
}

// oneHot writes the one-hot rows of labels, k classes wide, into buf.
func oneHot(labels []int, k int, buf []float32) ([]float32, error) {
	buf = append(buf[:0], make([]float32, len(labels)*k)...)
	for i, l := range labels {
		if l < 0 || l >= k {
			return buf, errors.Errorf("train: label %d of example %d is not below the model's %d outputs", l, i, k)
		}
		buf[i*k+l] = 1
	}
	return buf, nil
}

// checkData reports whether src suits the model: examples of the model's
// ExampleSize (its inputs' values one after the other) and targets as
// wide as its output. An in-memory Dataset is also checked value by value
// (data.Dataset.Check).
func (t *Trainer) checkData(src data.Source, what string) error {
	if src == nil || src.Len() == 0 {
		return errors.Errorf("train: %s set is empty", what)
	}
	single := len(t.losses) == 1
	tr := traitsOf(t.losses[0])
	if ds, ok := src.(*data.Dataset); ok {
		// The labels of a model of several outputs, or of one whose
		// loss is not a classification loss, say nothing of Y, which
		// need not then be a distribution over them.
		if !(single && tr.classify) && ds.Labels != nil && ds.Y != nil {
			cp := *ds
			cp.Labels = nil
			ds = &cp
		}
		if err := ds.Check(); err != nil {
			return errors.Wrapf(err, "train: %s set", what)
		}
	}
	in := src.Info()
	if in.Size() != t.model.ExampleSize() {
		return errors.Errorf("train: %s examples have %d values (shape %v), the model takes %d", what, in.Size(), in.Shape, t.model.ExampleSize())
	}
	want := total(t.targetWidths())
	if !in.HasY || (single && tr.sparse && in.HasLabels) {
		want = t.model.OutputSize() // classes
	}
	if want != in.Targets {
		if single {
			return errors.Errorf("train: %s set has %d classes (targets per example), the model outputs %v", what, in.Targets, t.model.OutputShape(0))
		}
		return errors.Errorf("train: %s set has %d targets per example; the losses of the model's outputs (%s) take %v, %d in all", what, in.Targets, strings.Join(t.outNames, ", "), t.targetWidths(), want)
	}
	if single && tr.classify && !in.HasLabels && !in.HasY {
		return errors.Errorf("train: %s set has no labels, which %v needs", what, t.losses[0])
	}
	if !single && !in.HasY {
		return errors.Errorf("train: %s set has no targets Y, which a model of %d outputs needs", what, t.model.NumOutputs())
	}
	if single && !tr.classify && !in.HasY {
		return errors.Errorf("train: %s set has no targets Y, which %v needs", what, t.losses[0])
	}
	return nil
}

// checkBatch reports a batch whose slices do not match its size and the
// model.
func (t *Trainer) checkBatch(b data.Batch) error {
	k := total(t.targetWidths())
	single := len(t.losses) == 1
	tr := traitsOf(t.losses[0])
	if single && tr.sparse && b.Labels != nil {
		k = len(b.Y) / max(b.N, 1) // Y is not read
	}
	switch {
	case b.N <= 0 || len(b.X) != b.N*t.model.ExampleSize():
		return errors.Errorf("train: batch of %d examples holds %d values; the model takes %d per example", b.N, len(b.X), t.model.ExampleSize())
	case b.Y != nil && len(b.Y) != b.N*k:
		return errors.Errorf("train: batch of %d examples has %d targets; the model outputs %d per example", b.N, len(b.Y), k)
	case b.Labels != nil && len(b.Labels) != b.N:
		return errors.Errorf("train: batch of %d examples has %d labels", b.N, len(b.Labels))
	case b.Weights != nil && len(b.Weights) != b.N:
		return errors.Errorf("train: batch of %d examples has %d weights", b.N, len(b.Weights))
	case !(single && tr.classify) && b.Y == nil:
		return errors.Errorf("train: batch has no targets Y, which %v needs", t.losses[0])
	case b.Y == nil && b.Labels == nil:
		return errors.Errorf("train: batch has no labels, which %v needs", t.losses[0])
	}
	return nil
}

// ErrNaN is wrapped by the error Fit returns when the loss is NaN or
// infinite. The parameters are left as they were before that batch.
var ErrNaN = errors.New("loss is not finite")

// Position is how far a run has got: the epochs completed and, within the
// next epoch, the batches completed with their running sums. A checkpoint
// saves it, so that a resumed run picks up at the very next batch.
type Position struct {
	Epoch   int     `json:"epoch"`           // epochs completed
	Batch   int     `json:"batch"`           // batches completed of the next epoch
	LossSum float64 `json:"loss_sum"`        // Σ batch loss × batch size over those batches
	Correct int     `json:"correct"`         // correct predictions over those batches
	Seen    int     `json:"seen"`            // examples in those batches
	Seconds float64 `json:"seconds"`         // training time spent on those batches
	Steps   uint64  `json:"steps,omitempty"` // training steps taken in all, by Fit and TrainBatch
}

// Position returns how far the trainer has got.
func (t *Trainer) Position() Position { return t.prog }

// History returns the epochs trained so far, over all calls of Fit and
// including those restored from a checkpoint.
func (t *Trainer) History() *History { return t.hist }

// A FitOption configures one call of Fit.
type FitOption func(*fitConfig)

type fitConfig struct {
	epochs, total, batch int
	val                  data.Source
	classWeights         []float64
}

// Epochs makes Fit train n epochs (default 1). A partial epoch restored
// from a checkpoint counts as the first.
func Epochs(n int) FitOption { return func(c *fitConfig) { c.epochs, c.total = n, -1 } }

// UntilEpoch makes Fit train until n epochs in all have been completed,
// counting those of earlier calls and of a restored checkpoint: a run
// resumed with the same n ends where an uninterrupted one would.
func UntilEpoch(n int) FitOption { return func(c *fitConfig) { c.total, c.epochs = n, -1 } }

// BatchSize sets the training batch size (default 32, as in Keras).
func BatchSize(n int) FitOption { return func(c *fitConfig) { c.batch = n } }

// ClassWeights weighs each training example's loss by the weight of its
// class (w[c] for class c), as Keras's class_weight does, to make up for
// classes that are rare. Sample weights come with the data
// (data.Dataset.Weights) and multiply with these. Evaluation is never
// weighted.
func ClassWeights(w []float64) FitOption { return func(c *fitConfig) { c.classWeights = w } }

// Validation makes Fit evaluate on val after every epoch.
func Validation(val data.Source) FitOption { return func(c *fitConfig) { c.val = val } }

// Fit trains on trainSet (an in-memory data.Dataset, a data.ImageFolder
// or any data.Source), in batches (BatchSize), reshuffling every epoch,
// for Epochs more epochs or UntilEpoch epochs in all, and evaluates on the
// Validation set after each epoch. As in Keras, calling Fit again trains
// further. A trainer restored from a checkpoint continues where the
// checkpoint left off: epoch e always sees the same shuffle, so a resumed
// run ends with the same weights as an uninterrupted one. Fit returns the
// history of every epoch so far, also when it stops on an error or when a
// callback stops it; Position then says how far it got.
func (t *Trainer) Fit(trainSet data.Source, opts ...FitOption) (*History, error) {
	c := fitConfig{epochs: 1, total: -1, batch: 32}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	epochs := c.total
	if c.total < 0 {
		if c.epochs < 0 {
			return t.hist, errors.Errorf("train: Epochs(%d) must not be negative", c.epochs)
		}
		epochs = t.prog.Epoch + c.epochs
	}
	if epochs < 0 {
		return t.hist, errors.Errorf("train: UntilEpoch(%d) must not be negative", c.total)
	}
	if t.prog.Batch > 0 && epochs <= t.prog.Epoch {
		return t.hist, errors.Errorf("train: the trainer is part-way through epoch %d, past the %d epochs asked for", t.prog.Epoch+1, epochs)
	}
	if c.batch <= 0 {
		return t.hist, errors.Errorf("train: BatchSize(%d) must be positive", c.batch)
	}
	if c.classWeights != nil {
		if len(c.classWeights) != t.model.OutputSize() || t.model.NumOutputs() != 1 {
			return t.hist, errors.Errorf("train: ClassWeights has %d weights; the model has %d outputs of %d values", len(c.classWeights), t.model.NumOutputs(), t.model.OutputSize())
		}
		for i, w := range c.classWeights {
			if !(w >= 0) || math.IsInf(w, 1) {
				return t.hist, errors.Errorf("train: ClassWeights: weight %v of class %d is not a finite value of 0 or more", w, i)
			}
		}
	}
	t.classWeights, t.fitSet, t.fitBatch = c.classWeights, trainSet, c.batch
	defer func() { t.classWeights, t.fitSet = nil, nil }()
	if err := t.checkData(trainSet, "training"); err != nil {
		return t.hist, err
	}
	if c.val != nil {
		if err := t.checkData(c.val, "validation"); err != nil {
			return t.hist, err
		}
	}
	if t.aug != nil {
		if _, _, _, ok := trainSet.Info().Image(); !ok {
			return t.hist, errors.Errorf("train: augmentation needs images; the training examples have shape %v", trainSet.Info().Shape)
		}
	}
	it, err := trainSet.Batches(c.batch, data.Shuffle(t.seed))
	if err != nil {
		return t.hist, errors.Wrap(err, "train")
	}
	defer it.Close()
	n, batches := trainSet.Len(), -1 // a stream's batches are not known
	if n >= 0 {
		batches = data.BatchConfig{}.NumBatches(n, c.batch)
	}
	if batches >= 0 && t.prog.Batch > batches {
		return t.hist, errors.Errorf("train: resuming after batch %d, but an epoch has only %d batches of %d", t.prog.Batch, batches, c.batch)
	}
	info := RunInfo{Epochs: epochs, Batches: batches, Images: n, BatchSize: c.batch, Accuracy: t.accuracy() || t.accMeter() != nil}
	for _, cb := range hooks[TrainBeginner](t.callbacks) {
		if err := cb.OnTrainBegin(t, info); err != nil {
			return t.hist, err
		}
	}
	var fitErr error
	for t.prog.Epoch < epochs && fitErr == nil {
		var rec Epoch
		if rec, fitErr = t.epoch(it, batches, trainSet.Info(), c.val); fitErr != nil {
			break
		}
		t.hist.Epochs = append(t.hist.Epochs, rec)
		t.prog = Position{Epoch: t.prog.Epoch + 1, Steps: t.prog.Steps}
		// Every callback sees the epoch, also after one asked to stop
		// (ErrStop), so that one that saves a checkpoint does so with the
		// others' state; a real error skips the rest.
		for _, cb := range hooks[EpochEnder](t.callbacks) {
			err := cb.OnEpochEnd(t, rec)
			if err != nil && (fitErr == nil || errors.Is(fitErr, ErrStop)) {
				fitErr = err
			}
			if err != nil && !errors.Is(err, ErrStop) {
				break
			}
		}
	}
	if errors.Is(fitErr, ErrStop) {
		fitErr = nil
	}
	for _, cb := range hooks[TrainEnder](t.callbacks) {
		if err := cb.OnTrainEnd(t, t.hist, fitErr); err != nil && fitErr == nil {
			fitErr = err
		}
	}
	return t.hist, fitErr
}

// trainStep runs one training step on b, numbered stepNo, and updates the
// weights; it returns the compiled step (with the batch's predictions) and
// the loss. On a non-finite loss the weights are left as they were.
func (t *Trainer) trainStep(b data.Batch, stepNo uint64, epoch int) (*step, float64, error) {
	if t.schedule != nil {
		t.opt.(optimizers.LRSetter).SetLearningRate(t.schedule.Rate(stepNo, epoch))
	}
	s, loss, err := t.run(b, true, stepNo)
	if err != nil {
		return nil, 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return nil, loss, errors.Wrapf(ErrNaN, "loss is %v; stopping with the weights from before this batch", loss)
	}
	grads, err := s.m.Grads()
	if err != nil {
		return nil, 0, err
	}
	for i, g := range grads {
		s.grads[s.at[i]] = g
	}
	if err := t.opt.Update(s.params, s.grads); err != nil {
		return nil, 0, err
	}
	t.prog.Steps = stepNo + 1
	return s, loss, nil
}

// TrainBatch takes one training step on the batch b, for loops of one's
// own (augmentation, curricula): it computes the loss and the gradients
// and updates the weights, and returns the batch's mean loss. The step is
// numbered Position().Steps (dropout masks depend on it), and a checkpoint
// written after it (SaveCheckpoint) saves the weights, the optimiser and
// the step count. b's examples are laid out as for Fit: b.X holds b.N
// examples of the model's ExampleSize, b.Labels (classification) or b.Y
// (regression) the targets, and b.Weights, if not nil, a weight for each
// example's loss.
func (t *Trainer) TrainBatch(b data.Batch) (float64, error) {
	if err := t.checkBatch(b); err != nil {
		return 0, err
	}
	_, loss, err := t.trainStep(b, t.prog.Steps, t.prog.Epoch)
	return loss, errors.Wrap(err, "train")
}

// epoch runs the rest of epoch t.prog.Epoch, of nb batches (-1: not
// known, a stream), and validates. A batch is numbered over the whole run
// as epoch×nb + batch when nb is known, so that a resumed run numbers
// (and augments) its batches as an uninterrupted one; in a stream, by the
// steps taken so far.
func (t *Trainer) epoch(it data.Batches, nb int, in data.Info, val data.Source) (Epoch, error) {
	e := t.prog.Epoch
	rec := Epoch{Epoch: e + 1}
	for _, cb := range hooks[EpochBeginner](t.callbacks) {
		if err := cb.OnEpochBegin(t, EpochBegin{Epoch: e + 1, Done: t.prog.Batch}); err != nil {
			return rec, err
		}
	}
	start := time.Now()
	it.Epoch(e)
	for bi := 0; bi < t.prog.Batch && it.Next(); bi++ {
		// Skip the batches a checkpoint says are done.
	}
	c, h, w, _ := in.Image()
	k := t.model.OutputSize()
	t.resetMeters()
	t.headSums, t.headSeen = nil, 0
	for bi := t.prog.Batch; it.Next(); bi++ {
		b := it.Batch()
		if err := t.checkBatch(b); err != nil {
			return rec, errors.Wrapf(err, "epoch %d, batch %d", e+1, bi+1)
		}
		stepNo := t.prog.Steps
		if nb >= 0 {
			stepNo = uint64(e)*uint64(nb) + uint64(bi)
		}
		for _, cb := range hooks[BatchBeginner](t.callbacks) {
			if err := cb.OnBatchBegin(t, BatchBegin{Epoch: e + 1, Batch: bi + 1}); err != nil {
				t.prog.Seconds += time.Since(start).Seconds()
				return rec, err
			}
		}
		if t.aug != nil {
			if err := t.aug.Apply(b.X, b.N, c, h, w, stepNo); err != nil {
				return rec, errors.Wrapf(err, "epoch %d, batch %d", e+1, bi+1)
			}
		}
		s, loss, err := t.trainStep(b, stepNo, e)
		if err != nil {
			return rec, errors.Wrapf(err, "epoch %d, batch %d", e+1, bi+1)
		}
		p := &t.prog
		if t.accuracy() {
			p.Correct += t.correct(s.preds[0], b, k)
		}
		if len(s.headV) > 0 {
			if t.headSums == nil {
				t.headSums = make([]float64, len(s.headV))
			}
			for i, v := range s.headV {
				t.headSums[i] += v * float64(b.N)
			}
			t.headSeen += b.N
		}
		if err := t.updateMeters(s, b.N); err != nil {
			return rec, errors.Wrapf(err, "epoch %d, batch %d", e+1, bi+1)
		}
		p.Batch, p.LossSum, p.Seen = bi+1, p.LossSum+loss*float64(b.N), p.Seen+b.N
		for _, cb := range hooks[BatchEnder](t.callbacks) {
			acc := float64(p.Correct) / float64(p.Seen)
			if m := t.accMeter(); m != nil {
				acc = m.Result()
			}
			if err := cb.OnBatchEnd(t, BatchEnd{Epoch: e + 1, Batch: bi + 1, Seen: p.Seen, Loss: p.LossSum / float64(p.Seen), Acc: acc}); err != nil {
				p.Seconds += time.Since(start).Seconds()
				return rec, err
			}
		}
	}
	if err := it.Err(); err != nil {
		return rec, errors.Wrapf(err, "train: epoch %d, reading batch %d", e+1, t.prog.Batch+1)
	}
	p := t.prog
	if p.Seen == 0 {
		return rec, errors.Errorf("train: epoch %d had no examples", e+1)
	}
	trainTime := p.Seconds + time.Since(start).Seconds()
	rec.Loss, rec.Acc, rec.Images = p.LossSum/float64(p.Seen), float64(p.Correct)/float64(p.Seen), p.Seen
	rec.ImagesPS, rec.TrainSeconds = float64(p.Seen)/trainTime, trainTime
	if t.tracksLR() {
		rec.LR = t.LearningRate()
	}
	for m, v := range t.results(t.headSums, t.headSeen) {
		if m == metrics.Acc { // a metrics.Metric's, on a model of one output
			rec.Acc = v
			continue
		}
		if rec.Metrics == nil {
			rec.Metrics = map[metrics.Name]float64{}
		}
		rec.Metrics[m] = v
	}
	if t.preciseBN > 0 {
		if err := t.recomputeBNStats(t.fitSet, t.preciseBN, t.fitBatch); err != nil {
			return rec, errors.Wrapf(err, "epoch %d", e+1)
		}
	}
	if val != nil {
		r, err := t.evaluate(val)
		if err != nil {
			return rec, errors.Wrapf(err, "epoch %d: validation", e+1)
		}
		rec.ValLoss, rec.ValAcc, rec.HasVal = r[metrics.Loss], r[metrics.Acc], true
		for m, v := range r {
			if m != metrics.Loss && m != metrics.Acc {
				if rec.Metrics == nil {
					rec.Metrics = map[metrics.Name]float64{}
				}
				rec.Metrics[m.Val()] = v
			}
		}
	}
	rec.Seconds = p.Seconds + time.Since(start).Seconds()
	return rec, nil
}

// correct counts the examples of b whose prediction in pred is right: at
// its label or, without labels, at the largest of its targets.
func (t *Trainer) correct(pred []float32, b data.Batch, k int) int {
	if b.Labels != nil {
		return metrics.Correct(pred, b.Labels, k)
	}
	n := 0
	for i := 0; i < b.N; i++ {
		if model.Argmax(pred[i*k:(i+1)*k]) == model.Argmax(b.Y[i*k:(i+1)*k]) {
			n++
		}
	}
	return n
}

// Evaluate returns the mean loss of the model on src (over all outputs,
// each output's loss weighted) and, for a classification loss on a model
// of one output, its accuracy (0 otherwise). It runs full batches of the
// evaluation batch size (EvalBatch) and the rest in batches of powers
// of two, so it compiles graphs for a bounded number of sizes.
// EvaluateMetrics returns the other metrics too.
func (t *Trainer) Evaluate(src data.Source) (loss, acc float64, err error) {
	r, err := t.evaluate(src)
	if err != nil {
		return 0, 0, err
	}
	return r[metrics.Loss], r[metrics.Acc], nil
}

// EvaluateMetrics evaluates the model on src as Evaluate does and returns
// every metric by its History name (without "val_"): "loss", "acc" for a
// classifier of one output, each output's loss ("head_loss") for a model
// of several, and every metric's result. It resets the metrics, so a
// callback that calls it in the middle of an epoch (OnBatchEnd) leaves
// them measuring the rest of the epoch only.
func (t *Trainer) EvaluateMetrics(src data.Source) (map[metrics.Name]float64, error) {
	return t.evaluate(src)
}

// evaluate is EvaluateMetrics.
func (t *Trainer) evaluate(src data.Source) (map[metrics.Name]float64, error) {
	if err := t.checkData(src, "evaluation"); err != nil {
		return nil, err
	}
	it, err := src.Batches(t.evalBatch)
	if err != nil {
		return nil, errors.Wrap(err, "train")
	}
	defer it.Close()
	k, size := t.model.OutputSize(), t.model.ExampleSize()
	var sum float64
	var heads []float64
	correct, seen := 0, 0
	t.resetMeters()
	for it.Next() {
		b := it.Batch()
		if err := t.checkBatch(b); err != nil {
			return nil, errors.Wrap(err, "evaluation")
		}
		yw := len(b.Y) / b.N
		for lo := 0; lo < b.N; {
			n := b.N - lo
			if n < t.evalBatch {
				n = 1 << (bits.Len(uint(n)) - 1)
			}
			part := data.Batch{X: b.X[lo*size : (lo+n)*size], N: n}
			if b.Y != nil {
				part.Y = b.Y[lo*yw : (lo+n)*yw]
			}
			if b.Labels != nil {
				part.Labels = b.Labels[lo : lo+n]
			}
			s, l, err := t.run(part, false, 0)
			if err != nil {
				return nil, err
			}
			sum += l * float64(n)
			if heads == nil && len(s.headV) > 0 {
				heads = make([]float64, len(s.headV))
			}
			for i, v := range s.headV {
				heads[i] += v * float64(n)
			}
			if t.accuracy() {
				correct += t.correct(s.preds[0], part, k)
			}
			if err := t.updateMeters(s, n); err != nil {
				return nil, errors.Wrap(err, "train: evaluation")
			}
			lo += n
		}
		seen += b.N
	}
	if err := it.Err(); err != nil {
		return nil, errors.Wrap(err, "train: evaluation")
	}
	if seen == 0 {
		return nil, errors.New("train: evaluation set gave no examples")
	}
	r := t.results(heads, seen)
	if r == nil {
		r = map[metrics.Name]float64{}
	}
	r[metrics.Loss] = sum / float64(seen)
	if t.accuracy() {
		r[metrics.Acc] = float64(correct) / float64(seen)
	}
	return r, nil
}

// resetMeters resets every output's metrics.
func (t *Trainer) resetMeters() {
	for _, ms := range t.meters {
		for _, m := range ms {
			m.Reset()
		}
	}
}

// updateMeters adds the batch of n examples that s last ran to every
// output's metrics.
func (t *Trainer) updateMeters(s *step, n int) error {
	sizes := t.model.OutputSizes()
	for i, ms := range t.meters {
		mb := metrics.Batch{N: n, K: sizes[i], Pred: s.preds[i], Target: s.tgts[i], Labels: s.labels[i]}
		for _, m := range ms {
			if err := m.Update(mb); err != nil {
				return errors.Wrapf(err, "metric %v", t.metricName(i, m))
			}
		}
	}
	return nil
}

// results returns each output's mean loss (for a model of several, from
// the sums of batch loss × batch size over seen examples) and every
// metric's result, by History name; nil if there are none.
func (t *Trainer) results(headSums []float64, seen int) map[metrics.Name]float64 {
	var r map[metrics.Name]float64
	set := func(m metrics.Name, v float64) {
		if r == nil {
			r = map[metrics.Name]float64{}
		}
		r[m] = v
	}
	for i, v := range headSums {
		set(metrics.Loss.Of(t.outNames[i]), v/float64(seen))
	}
	for i, ms := range t.meters {
		for _, m := range ms {
			set(t.metricName(i, m), m.Result())
		}
	}
	return r
}

// Close releases the compiled graphs.
func (t *Trainer) Close() error {
	for _, c := range []map[int]*step{t.train, t.trainW, t.infer, t.stats} {
		for n, s := range c {
			s.m.Close()
			delete(c, n)
		}
	}
	return nil
}

// total returns the sum of xs.
func total(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// lossTraits is what the trainer needs to know of a loss beyond Node.
type lossTraits struct{ classify, sparse bool }

// traitsOf returns l's traits (losses.ForClasses).
func traitsOf(l losses.Loss) lossTraits {
	c, s := losses.ForClasses(l)
	return lossTraits{classify: c, sparse: s}
}
