package train

import (
	"math"
	"time"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
)

// DefaultEvalBatch is the batch size Evaluate and Predict use unless
// WithEvalBatch says otherwise.
const DefaultEvalBatch = 500

// Trainer fits a model with a loss and an optimiser.
type Trainer struct {
	model     *layers.Sequential
	loss      Loss
	opt       Optimizer
	seed      int64
	evalBatch int
	callbacks []Callback
	prog      State
	hist      *History

	train map[int]*step // compiled training graphs by batch size
	infer map[int]*step // compiled inference graphs by batch size
}

// step is one compiled graph.
type step struct {
	m      *graph.Machine
	x, y   *G.Node
	out    *G.Node
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

// WithEvalBatch sets the batch size of Evaluate and Predict.
func WithEvalBatch(n int) Option { return func(t *Trainer) { t.evalBatch = n } }

// WithCallbacks adds callbacks to every Fit.
func WithCallbacks(cbs ...Callback) Option {
	return func(t *Trainer) { t.callbacks = append(t.callbacks, cbs...) }
}

// New returns a trainer for model.
func New(model *layers.Sequential, opts ...Option) (*Trainer, error) {
	if model == nil {
		return nil, errors.New("train: nil model")
	}
	t := &Trainer{model: model, loss: CategoricalCrossEntropy, opt: RMSprop(1e-3), seed: 1,
		evalBatch: DefaultEvalBatch, train: map[int]*step{}, infer: map[int]*step{}, hist: &History{}}
	for _, o := range opts {
		o(t)
	}
	if t.opt == nil {
		return nil, errors.New("train: nil optimizer")
	}
	if t.evalBatch <= 0 {
		return nil, errors.Errorf("train: evaluation batch size %d must be positive", t.evalBatch)
	}
	return t, nil
}

// Model returns the model being trained.
func (t *Trainer) Model() *layers.Sequential { return t.model }

// Optimizer returns the trainer's optimiser.
func (t *Trainer) Optimizer() Optimizer { return t.opt }

// compile returns the graph for batch size n, building it on first use.
func (t *Trainer) compile(n int, training bool) (*step, error) {
	cache := t.infer
	if training {
		cache = t.train
	}
	if s, ok := cache[n]; ok {
		return s, nil
	}
	g := graph.New(t.model.Params(), graph.Training(training))
	s := &step{x: g.Input("x", append([]int{n}, t.model.InputShape()...)...)}
	out, err := t.model.Build(g, s.x)
	if err != nil {
		return nil, err
	}
	s.out = out.Output
	s.y = g.Input("y", s.out.Shape()...)
	if s.loss, err = t.loss.node(out, s.y); err != nil {
		return nil, errors.Wrapf(err, "train: loss %v", t.loss)
	}
	lossNode := s.loss
	if !training {
		lossNode = nil
	}
	if s.m, err = g.Compile(lossNode, s.out, s.loss); err != nil {
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
	s, err := t.compile(b.N, training)
	if err != nil {
		return nil, 0, err
	}
	s.m.SetStep(stepNo)
	if err := graph.Set(s.x, b.X); err != nil {
		return nil, 0, err
	}
	switch {
	case b.Y != nil:
		if err := graph.Set(s.y, b.Y); err != nil {
			return nil, 0, errors.Wrap(err, "train: targets do not match the model's output")
		}
	case b.Labels != nil:
		// Integer labels: the targets are their one-hot rows.
		if s.onehot, err = oneHot(b.Labels, s.y.Shape()[1], s.onehot); err != nil {
			return nil, 0, err
		}
		if err := graph.Set(s.y, s.onehot); err != nil {
			return nil, 0, err
		}
	}
	if err := s.m.Run(); err != nil {
		return nil, 0, err
	}
	if s.lossV, err = graph.Read(s.loss, s.lossV); err != nil {
		return nil, 0, err
	}
	if s.pred, err = graph.Read(s.out, s.pred); err != nil {
		return nil, 0, err
	}
	return s, s.lossV[0], nil
}

// oneHot writes the one-hot rows of labels, k classes wide, into buf.
func oneHot(labels []uint8, k int, buf []float32) ([]float32, error) {
	buf = append(buf[:0], make([]float32, len(labels)*k)...)
	for i, l := range labels {
		if int(l) >= k {
			return buf, errors.Errorf("train: label %d of example %d is not below the model's %d outputs", l, i, k)
		}
		buf[i*k+int(l)] = 1
	}
	return buf, nil
}

// checkData reports whether ds suits the model.
func (t *Trainer) checkData(ds *data.Dataset, what string) error {
	if ds == nil || ds.N == 0 {
		return errors.Errorf("train: %s set is empty", what)
	}
	in := t.model.InputShape()
	size := 1
	for _, d := range in {
		size *= d
	}
	if ds.ImageSize() != size {
		return errors.Errorf("train: %s examples have %d values (%dx%dx%d), the model takes %v", what, ds.ImageSize(), ds.C, ds.H, ds.W, in)
	}
	if out := t.model.OutputShape(); len(out) != 1 || out[0] != ds.Classes {
		return errors.Errorf("train: %s set has %d classes, the model outputs %v", what, ds.Classes, out)
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
	Epoch   int     `json:"epoch"`    // epochs completed
	Batch   int     `json:"batch"`    // batches completed of the next epoch
	LossSum float64 `json:"loss_sum"` // Σ batch loss × batch size over those batches
	Correct int     `json:"correct"`  // correct predictions over those batches
	Seen    int     `json:"seen"`     // examples in those batches
	Seconds float64 `json:"seconds"`  // training time spent on those batches
}

// State returns how far the trainer has got.
func (t *Trainer) State() State { return t.prog }

// History returns the epochs trained so far, over all calls of Fit and
// including those restored from a checkpoint.
func (t *Trainer) History() *History { return t.hist }

// Fit trains until the given number of epochs in all have been completed,
// in batches of batchSize, reshuffling the training set every epoch, and
// evaluates on val (which may be nil) after each epoch. A trainer restored
// from a checkpoint continues where the checkpoint left off: epoch e always
// sees the same shuffle, so a resumed run ends with the same weights as an
// uninterrupted one. Fit returns the history of every epoch so far, also
// when it stops on an error or when a callback stops it; State then says
// how far it got.
func (t *Trainer) Fit(trainSet, val *data.Dataset, epochs, batchSize int) (*History, error) {
	if epochs < 0 {
		return t.hist, errors.Errorf("train: epochs %d must not be negative", epochs)
	}
	if batchSize <= 0 {
		return t.hist, errors.Errorf("train: batch size %d must be positive", batchSize)
	}
	if err := t.checkData(trainSet, "training"); err != nil {
		return t.hist, err
	}
	if val != nil {
		if err := t.checkData(val, "validation"); err != nil {
			return t.hist, err
		}
	}
	it, err := data.NewIterator(trainSet, batchSize, data.Shuffle(t.seed))
	if err != nil {
		return t.hist, errors.Wrap(err, "train")
	}
	if t.prog.Batch > it.NumBatches() {
		return t.hist, errors.Errorf("train: resuming after batch %d, but an epoch has only %d batches of %d", t.prog.Batch, it.NumBatches(), batchSize)
	}
	info := RunInfo{Epochs: epochs, Batches: it.NumBatches(), Images: trainSet.N, BatchSize: batchSize}
	for _, cb := range t.callbacks {
		if err := cb.OnTrainBegin(t, info); err != nil {
			return t.hist, err
		}
	}
	var fitErr error
	for t.prog.Epoch < epochs && fitErr == nil {
		var rec Epoch
		if rec, fitErr = t.epoch(it, val); fitErr != nil {
			break
		}
		t.hist.Epochs = append(t.hist.Epochs, rec)
		t.prog = State{Epoch: t.prog.Epoch + 1}
		for _, cb := range t.callbacks {
			if err := cb.OnEpochEnd(t, rec); err != nil {
				fitErr = err
				break
			}
		}
	}
	if errors.Is(fitErr, ErrStop) {
		fitErr = nil
	}
	for _, cb := range t.callbacks {
		if err := cb.OnTrainEnd(t, t.hist, fitErr); err != nil && fitErr == nil {
			fitErr = err
		}
	}
	return t.hist, fitErr
}

// epoch runs the rest of epoch t.prog.Epoch and validates.
func (t *Trainer) epoch(it *data.Iterator, val *data.Dataset) (Epoch, error) {
	e := t.prog.Epoch
	rec := Epoch{Epoch: e + 1}
	start := time.Now()
	it.Epoch(e)
	for bi := 0; bi < t.prog.Batch && it.Next(); bi++ {
		// Skip the batches a checkpoint says are done.
	}
	k := t.model.OutputShape()[0]
	for bi := t.prog.Batch; it.Next(); bi++ {
		b := it.Batch()
		s, loss, err := t.run(b, true, uint64(e)*uint64(it.NumBatches())+uint64(bi))
		if err != nil {
			return rec, errors.Wrapf(err, "epoch %d, batch %d", e+1, bi+1)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return rec, errors.Wrapf(ErrNaN, "epoch %d, batch %d: loss is %v; stopping with the weights from before this batch", e+1, bi+1, loss)
		}
		grads, err := s.m.Grads()
		if err != nil {
			return rec, err
		}
		if err := t.opt.Update(s.params, grads); err != nil {
			return rec, errors.Wrapf(err, "epoch %d, batch %d", e+1, bi+1)
		}
		p := &t.prog
		p.Batch, p.LossSum, p.Correct, p.Seen = bi+1, p.LossSum+loss*float64(b.N), p.Correct+Correct(s.pred, b.Labels, k), p.Seen+b.N
		for _, cb := range t.callbacks {
			if err := cb.OnBatchEnd(t, BatchEnd{Epoch: e + 1, Batch: bi + 1, Seen: p.Seen, Loss: p.LossSum / float64(p.Seen), Acc: float64(p.Correct) / float64(p.Seen)}); err != nil {
				p.Seconds += time.Since(start).Seconds()
				return rec, err
			}
		}
	}
	p := t.prog
	trainTime := p.Seconds + time.Since(start).Seconds()
	rec.Loss, rec.Acc, rec.Images = p.LossSum/float64(p.Seen), float64(p.Correct)/float64(p.Seen), p.Seen
	rec.ImagesPS, rec.TrainSeconds = float64(p.Seen)/trainTime, trainTime
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

// Evaluate returns the mean loss and the accuracy of the model on ds.
func (t *Trainer) Evaluate(ds *data.Dataset) (loss, acc float64, err error) {
	if err := t.checkData(ds, "evaluation"); err != nil {
		return 0, 0, err
	}
	it, err := data.NewIterator(ds, t.evalBatch)
	if err != nil {
		return 0, 0, errors.Wrap(err, "train")
	}
	k := t.model.OutputShape()[0]
	var sum float64
	correct := 0
	for it.Next() {
		b := it.Batch()
		s, l, err := t.run(b, false, 0)
		if err != nil {
			return 0, 0, err
		}
		sum += l * float64(b.N)
		correct += Correct(s.pred, b.Labels, k)
	}
	return sum / float64(ds.N), float64(correct) / float64(ds.N), nil
}

// Predict returns the model's outputs (class probabilities for a
// classifier) for n examples stored one after the other in x, as an
// n×outputs slice. n may be anything from 1 up.
func (t *Trainer) Predict(x []float32, n int) ([]float32, error) {
	in := 1
	for _, d := range t.model.InputShape() {
		in *= d
	}
	if n <= 0 || len(x) != n*in {
		return nil, errors.Errorf("train: predict: %d values are not %d examples of %v", len(x), n, t.model.InputShape())
	}
	k := 1
	for _, d := range t.model.OutputShape() {
		k *= d
	}
	out := make([]float32, 0, n*k)
	for lo := 0; lo < n; lo += t.evalBatch {
		hi := min(lo+t.evalBatch, n)
		s, _, err := t.run(data.Batch{X: x[lo*in : hi*in], N: hi - lo}, false, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, s.pred...)
	}
	return out, nil
}

// Close releases the compiled graphs.
func (t *Trainer) Close() error {
	for _, c := range []map[int]*step{t.train, t.infer} {
		for n, s := range c {
			s.m.Close()
			delete(c, n)
		}
	}
	return nil
}
