package train

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/graph"
)

// PreciseBN makes Fit recompute, at the end of every epoch and before
// validation, the running mean and variance of every BatchNormalization
// layer over the first batches training batches of the epoch's order,
// with the epoch's final weights (what detectron2 calls precise BN): each
// statistic becomes the plain average over those batches of its batch
// values (the batch means; the unbiased batch variances, as the layer's
// own update uses), instead of a moving average that still remembers the
// weights of many steps ago. With BatchNormalization's momentum of 0.99,
// a short run's moving averages lag far behind the weights and
// validation suffers; the recomputed ones match them. The batches are
// those Fit trains on, in the same shuffled order, without augmentation;
// a last, short batch is left out unless the epoch has no full one. The
// cost is one forward pass over the batches. batches 0 turns it off; a
// negative count is an error of New.
func PreciseBN(batches int) Option { return func(t *Trainer) { t.preciseBN = batches } }

// RecomputeBNStats sets the running statistics of every
// BatchNormalization layer of the model to their averages over the first
// batches batches of size batchSize of src, in the shuffled order Fit
// gives epoch Position().Epoch (PreciseBN describes the averages). Fit calls
// it after every epoch when PreciseBN is set; loops of one's own
// (TrainBatch) may call it before evaluating. The model runs forward only,
// in training mode: the weights do not change, and dropout layers drop as
// in training. Every non-trainable parameter is averaged; those no layer
// updates keep their values exactly.
func (t *Trainer) RecomputeBNStats(src data.Source, batches, batchSize int) error {
	if batches <= 0 || batchSize <= 0 {
		return errors.Errorf("train: recomputing batch statistics over %d batches of %d: both must be positive", batches, batchSize)
	}
	if err := t.checkData(src, "batch statistics"); err != nil {
		return err
	}
	return t.recomputeBNStats(src, batches, batchSize)
}

// recomputeBNStats is RecomputeBNStats for data already checked.
func (t *Trainer) recomputeBNStats(src data.Source, batches, batchSize int) error {
	var state []*graph.Param
	for _, p := range t.model.Params().List() {
		if !p.Trainable {
			state = append(state, p)
		}
	}
	if len(state) == 0 {
		return nil
	}
	opts := []data.Option{data.Shuffle(t.seed)}
	if n := src.Len(); n < 0 || n >= batchSize {
		opts = append(opts, data.DropLast())
	}
	it, err := src.Batches(batchSize, opts...)
	if err != nil {
		return errors.Wrap(err, "train: batch statistics")
	}
	defer it.Close()
	it.Epoch(t.prog.Epoch)
	sums := make([][]float64, len(state))
	for i, p := range state {
		sums[i] = make([]float64, p.Value.Size())
	}
	// The statistics as they were, restored on error.
	saved := make([][]float64, len(state))
	for i, p := range state {
		saved[i] = float64s(p.Value)
	}
	k := 0
	for ; k < batches && it.Next(); k++ {
		b := it.Batch()
		if err := t.checkBatch(b); err != nil {
			setAll(state, saved)
			return errors.Wrapf(err, "train: batch statistics, batch %d", k+1)
		}
		m, xs, err := t.statsGraph(b.N)
		if err != nil {
			setAll(state, saved)
			return err
		}
		// Dropout masks of these runs are drawn apart from the training
		// steps', from the epoch and the batch alone.
		m.SetStep(1<<63 | uint64(t.prog.Epoch)<<24 | uint64(k))
		if err := t.model.Feed(xs, b.X); err != nil {
			setAll(state, saved)
			return err
		}
		if err := m.Run(); err != nil {
			setAll(state, saved)
			return errors.Wrapf(err, "train: batch statistics, batch %d", k+1)
		}
		for i, p := range state {
			addValues(sums[i], p.Value)
		}
	}
	if err := it.Err(); err != nil {
		setAll(state, saved)
		return errors.Wrap(err, "train: batch statistics")
	}
	if k == 0 {
		setAll(state, saved)
		return errors.New("train: batch statistics: the data gave no batch")
	}
	for i := range sums {
		for j := range sums[i] {
			sums[i][j] /= float64(k)
		}
	}
	setAll(state, sums)
	return nil
}

// statsGraph returns the forward-only training graph for batch size n, in
// which every BatchNormalization sets its running statistics to the
// batch's (momentum 0), and its inputs.
func (t *Trainer) statsGraph(n int) (*graph.Machine, []*G.Node, error) {
	t.checkFrozen()
	if s, ok := t.stats[n]; ok {
		return s.m, s.xs, nil
	}
	g := graph.New(t.model.Params(), graph.Training(true), graph.StatsMomentum(0))
	s := &step{}
	for i := 0; i < t.model.NumInputs(); i++ {
		s.xs = append(s.xs, g.Input("x", append([]int{n}, t.model.InputShape(i)...)...))
	}
	out, err := t.model.Build(g, s.xs...)
	if err != nil {
		return nil, nil, err
	}
	if s.m, err = g.Compile(nil, out.Outputs...); err != nil {
		return nil, nil, err
	}
	if t.stats == nil {
		t.stats = map[int]*step{}
	}
	t.stats[n] = s
	return s.m, s.xs, nil
}

// addValues adds the values of v to sum.
func addValues(sum []float64, v *tensor.Dense) {
	switch v.Dtype() {
	case tensor.Float32:
		for j, x := range v.Float32s() {
			sum[j] += float64(x)
		}
	case tensor.Float64:
		for j, x := range v.Float64s() {
			sum[j] += x
		}
	}
}

// setAll sets the values of each parameter of ps to vals, in its type.
func setAll(ps []*graph.Param, vals [][]float64) {
	for i, p := range ps {
		switch p.Value.Dtype() {
		case tensor.Float32:
			w := p.Value.Float32s()
			for j := range w {
				w[j] = float32(vals[i][j])
			}
		case tensor.Float64:
			copy(p.Value.Float64s(), vals[i])
		}
	}
}
