package train

import (
	"math"
	"math/bits"
	"time"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/model"
)

// DefaultEvalBatch is the batch size Evaluate uses unless
// WithEvalBatch says otherwise.
const DefaultEvalBatch = 500

// Trainer fits a model with a loss and an optimiser. It is not safe for
// concurrent use, and the model must not predict while it trains.
type Trainer struct {
	model     *model.Model
	loss      Loss
	opt       Optimizer
	seed      int64
	evalBatch int
	callbacks []Callback
	schedule  Schedule
	aug       *data.Augmentation
	prog      State
	hist      *History

	train  map[int]*step // compiled training graphs by batch size
	trainW map[int]*step // the same with a weight per example
	infer  map[int]*step // compiled inference graphs by batch size
	stats  map[int]*step // forward-only graphs of RecomputeBNStats

	preciseBN int         // batches of PreciseBN, or 0
	fitSet    data.Source // of the running Fit, for PreciseBN
	fitBatch  int

	classWeights []float64 // of the running Fit, or nil
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
	pred   []float32
	onehot []float32
	lossV  []float64
	params []*graph.Param
}

// An Option configures a Trainer, in the style of Gorgonia's SolverOpt.
type Option func(*Trainer)

// WithLoss sets the loss (default CategoricalCrossEntropy).
func WithLoss(l Loss) Option { return func(t *Trainer) { t.loss = l } }

// WithOptimizer sets the optimiser (default RMSprop(1e-3), Keras's default).
func WithOptimizer(o Optimizer) Option { return func(t *Trainer) { t.opt = o } }

// WithSeed seeds the shuffling of the training set (default 1). The same
// model seed and trainer seed give the same history.
func WithSeed(seed int64) Option { return func(t *Trainer) { t.seed = seed } }

// WithEvalBatch sets the batch size of Evaluate.
func WithEvalBatch(n int) Option { return func(t *Trainer) { t.evalBatch = n } }

// WithAugmentation makes Fit change every training image as a describes,
// on the fly and keyed to the training step, so that a resumed run stays
// exact. Evaluate and prediction never see it.
func WithAugmentation(a *data.Augmentation) Option { return func(t *Trainer) { t.aug = a } }

// WithCallbacks adds callbacks to every Fit.
func WithCallbacks(cbs ...Callback) Option {
	return func(t *Trainer) { t.callbacks = append(t.callbacks, cbs...) }
}

// New returns a trainer for m. The loss of a model of several outputs is
// the sum of the loss of each; its targets Y hold, per example, the
// targets of each output one after the other.
func New(m *model.Model, opts ...Option) (*Trainer, error) {
	if m == nil {
		return nil, errors.New("train: nil model")
	}
	t := &Trainer{model: m, loss: CategoricalCrossEntropy, opt: RMSprop(1e-3), seed: 1,
		evalBatch: DefaultEvalBatch, train: map[int]*step{}, trainW: map[int]*step{}, infer: map[int]*step{}, hist: &History{}}
	for _, o := range opts {
		o(t)
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
	if _, ok := t.opt.(LRSetter); t.schedule != nil && !ok {
		return nil, errors.Errorf("train: a schedule needs an optimizer whose learning rate can be set; %v's cannot", t.opt)
	}
	return t, nil
}

// Model returns the model being trained.
func (t *Trainer) Model() *model.Model { return t.model }

// Loss returns the trainer's loss.
func (t *Trainer) Loss() Loss { return t.loss }

// accuracy reports whether the trainer measures accuracy: for a
// classification loss on a model of one output.
func (t *Trainer) accuracy() bool { return t.loss.classifies() && t.model.NumOutputs() == 1 }

// Optimizer returns the trainer's optimiser.
func (t *Trainer) Optimizer() Optimizer { return t.opt }

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
		l, err := t.loss.node(o, out.Logits[i], y, s.w)
		if err != nil {
			return nil, errors.Wrapf(err, "train: loss %v", t.loss)
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
	if s.m, err = g.Compile(lossNode, append(s.outs, s.loss)...); err != nil {
		return nil, err
	}
	s.params = s.m.Params()
	cache[n] = s
	return s, nil
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
	if weighted {
		if s.wbuf, err = t.weights(b, s.wbuf); err != nil {
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
	switch {
	case b.Y != nil:
		if err := model.FeedRows(s.ys, t.model.OutputSizes(), b.Y); err != nil {
			return nil, 0, errors.Wrap(err, "train: targets do not match the model's outputs")
		}
	case b.Labels != nil && len(s.ys) == 1:
		// Integer labels: the targets are their one-hot rows.
		if s.onehot, err = oneHot(b.Labels, s.ys[0].Shape()[1], s.onehot); err != nil {
			return nil, 0, err
		}
		if err := graph.Set(s.ys[0], s.onehot); err != nil {
			return nil, 0, err
		}
	default:
		return nil, 0, errors.New("train: the batch has no targets Y (a model of several outputs needs them) and no labels")
	}
	if err := s.m.Run(); err != nil {
		return nil, 0, err
	}
	if s.lossV, err = graph.Read(s.loss, s.lossV); err != nil {
		return nil, 0, err
	}
	if t.accuracy() {
		if s.pred, err = graph.Read(s.outs[0], s.pred); err != nil {
			return nil, 0, err
		}
	}
	return s, s.lossV[0], nil
}

// weights writes into buf the weight of each example of b: its sample
// weight (1 if none) times its class's weight (1 without ClassWeights),
// the class being its label or, without labels, the largest of its
// targets.
func (t *Trainer) weights(b data.Batch, buf []float32) ([]float32, error) {
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
			case b.Labels != nil:
				c = b.Labels[i]
			case b.Y != nil:
				c = Argmax(b.Y[i*k : (i+1)*k])
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
	if ds, ok := src.(*data.Dataset); ok {
		if err := ds.Check(); err != nil {
			return errors.Wrapf(err, "train: %s set", what)
		}
	}
	in := src.Info()
	if in.Size() != t.model.ExampleSize() {
		return errors.Errorf("train: %s examples have %d values (shape %v), the model takes %d", what, in.Size(), in.Shape, t.model.ExampleSize())
	}
	if out := t.model.OutputSize(); out != in.Targets {
		return errors.Errorf("train: %s set has %d classes (targets per example), the model outputs %v", what, in.Targets, t.model.OutputShape(0))
	}
	if t.loss.classifies() && !in.HasLabels && !in.HasY {
		return errors.Errorf("train: %s set has no labels, which %v needs", what, t.loss)
	}
	if t.model.NumOutputs() > 1 && !in.HasY {
		return errors.Errorf("train: %s set has no targets Y, which a model of %d outputs needs", what, t.model.NumOutputs())
	}
	if !t.loss.classifies() && !in.HasY {
		return errors.Errorf("train: %s set has no targets Y, which %v needs", what, t.loss)
	}
	return nil
}

// checkBatch reports a batch whose slices do not match its size and the
// model.
func (t *Trainer) checkBatch(b data.Batch) error {
	k := t.model.OutputSize()
	switch {
	case b.N <= 0 || len(b.X) != b.N*t.model.ExampleSize():
		return errors.Errorf("train: batch of %d examples holds %d values; the model takes %d per example", b.N, len(b.X), t.model.ExampleSize())
	case b.Y != nil && len(b.Y) != b.N*k:
		return errors.Errorf("train: batch of %d examples has %d targets; the model outputs %d per example", b.N, len(b.Y), k)
	case b.Labels != nil && len(b.Labels) != b.N:
		return errors.Errorf("train: batch of %d examples has %d labels", b.N, len(b.Labels))
	case b.Weights != nil && len(b.Weights) != b.N:
		return errors.Errorf("train: batch of %d examples has %d weights", b.N, len(b.Weights))
	case !t.loss.classifies() && b.Y == nil:
		return errors.Errorf("train: batch has no targets Y, which %v needs", t.loss)
	case t.loss.classifies() && b.Y == nil && b.Labels == nil:
		return errors.Errorf("train: batch has no labels, which %v needs", t.loss)
	}
	return nil
}

// ErrNaN is wrapped by the error Fit returns when the loss is NaN or
// infinite. The parameters are left as they were before that batch.
var ErrNaN = errors.New("loss is not finite")

// State is how far a run has got: the epochs completed and, within the
// next epoch, the batches completed with their running sums. A checkpoint
// saves it, so that a resumed run picks up at the very next batch.
type State struct {
	Epoch   int     `json:"epoch"`           // epochs completed
	Batch   int     `json:"batch"`           // batches completed of the next epoch
	LossSum float64 `json:"loss_sum"`        // Σ batch loss × batch size over those batches
	Correct int     `json:"correct"`         // correct predictions over those batches
	Seen    int     `json:"seen"`            // examples in those batches
	Seconds float64 `json:"seconds"`         // training time spent on those batches
	Steps   uint64  `json:"steps,omitempty"` // training steps taken in all, by Fit and TrainBatch
}

// State returns how far the trainer has got.
func (t *Trainer) State() State { return t.prog }

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
// callback stops it; State then says how far it got.
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
	info := RunInfo{Epochs: epochs, Batches: batches, Images: n, BatchSize: c.batch, Accuracy: t.accuracy()}
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
		t.prog = State{Epoch: t.prog.Epoch + 1, Steps: t.prog.Steps}
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
		t.opt.(LRSetter).SetLearningRate(t.schedule.Rate(stepNo, epoch))
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
	if err := t.opt.Update(s.params, grads); err != nil {
		return nil, 0, err
	}
	t.prog.Steps = stepNo + 1
	return s, loss, nil
}

// TrainBatch takes one training step on the batch b, for loops of one's
// own (augmentation, curricula): it computes the loss and the gradients
// and updates the weights, and returns the batch's mean loss. The step is
// numbered State().Steps (dropout masks depend on it), and a checkpoint
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
			p.Correct += t.correct(s.pred, b, k)
		}
		p.Batch, p.LossSum, p.Seen = bi+1, p.LossSum+loss*float64(b.N), p.Seen+b.N
		for _, cb := range hooks[BatchEnder](t.callbacks) {
			if err := cb.OnBatchEnd(t, BatchEnd{Epoch: e + 1, Batch: bi + 1, Seen: p.Seen, Loss: p.LossSum / float64(p.Seen), Acc: float64(p.Correct) / float64(p.Seen)}); err != nil {
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
	if t.preciseBN > 0 {
		if err := t.recomputeBNStats(t.fitSet, t.preciseBN, t.fitBatch); err != nil {
			return rec, errors.Wrapf(err, "epoch %d", e+1)
		}
	}
	if val != nil {
		var err error
		if rec.ValLoss, rec.ValAcc, err = t.Evaluate(val); err != nil {
			return rec, errors.Wrapf(err, "epoch %d: validation", e+1)
		}
		rec.HasVal = true
	}
	rec.Seconds = p.Seconds + time.Since(start).Seconds()
	return rec, nil
}

// correct counts the examples of b whose prediction in pred is right: at
// its label or, without labels, at the largest of its targets.
func (t *Trainer) correct(pred []float32, b data.Batch, k int) int {
	if b.Labels != nil {
		return Correct(pred, b.Labels, k)
	}
	n := 0
	for i := 0; i < b.N; i++ {
		if Argmax(pred[i*k:(i+1)*k]) == Argmax(b.Y[i*k:(i+1)*k]) {
			n++
		}
	}
	return n
}

// Evaluate returns the mean loss of the model on src and, for a
// classification loss, its accuracy (0 otherwise). It runs full batches of
// the evaluation batch size (WithEvalBatch) and the rest in batches of
// powers of two, so it compiles graphs for a bounded number of sizes.
func (t *Trainer) Evaluate(src data.Source) (loss, acc float64, err error) {
	if err := t.checkData(src, "evaluation"); err != nil {
		return 0, 0, err
	}
	it, err := src.Batches(t.evalBatch)
	if err != nil {
		return 0, 0, errors.Wrap(err, "train")
	}
	defer it.Close()
	k, size := t.model.OutputSize(), t.model.ExampleSize()
	var sum float64
	correct, seen := 0, 0
	for it.Next() {
		b := it.Batch()
		if err := t.checkBatch(b); err != nil {
			return 0, 0, errors.Wrap(err, "evaluation")
		}
		for lo := 0; lo < b.N; {
			n := b.N - lo
			if n < t.evalBatch {
				n = 1 << (bits.Len(uint(n)) - 1)
			}
			part := data.Batch{X: b.X[lo*size : (lo+n)*size], N: n}
			if b.Y != nil {
				part.Y = b.Y[lo*k : (lo+n)*k]
			}
			if b.Labels != nil {
				part.Labels = b.Labels[lo : lo+n]
			}
			s, l, err := t.run(part, false, 0)
			if err != nil {
				return 0, 0, err
			}
			sum += l * float64(n)
			if t.accuracy() {
				correct += t.correct(s.pred, part, k)
			}
			lo += n
		}
		seen += b.N
	}
	if err := it.Err(); err != nil {
		return 0, 0, errors.Wrap(err, "train: evaluation")
	}
	if seen == 0 {
		return 0, 0, errors.New("train: evaluation set gave no examples")
	}
	return sum / float64(seen), float64(correct) / float64(seen), nil
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
