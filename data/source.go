package data

import (
	"math/rand/v2"

	"github.com/pkg/errors"
)

// A Source is a data set read in mini-batches: what train's Fit, Validation
// and Evaluate and model's PredictSource take. The in-memory Dataset is
// one; ImageFolder reads a folder of image files as one, decoding ahead of
// training; a type of one's own that yields batches is another.
//
// A Source whose Len is known and whose batches honour Shuffle (the order
// of epoch e depends only on the seed and e, as Permutation gives it) can
// be resumed exactly: a run resumed at epoch k sees the batches an
// uninterrupted one would.
type Source interface {
	// Info describes one example and its targets.
	Info() Info
	// Len returns the number of examples in an epoch, or -1 when it is
	// not known in advance (a stream).
	Len() int
	// Batches returns an iterator over the examples in batches of at most
	// size examples, positioned at the start of epoch 0. The options ask
	// for a shuffled order (Shuffle) and for dropping a last, short batch
	// (DropLast); a stream may ignore Shuffle, which it then documents.
	Batches(size int, opts ...Option) (Batches, error)
}

// Batches iterates over a Source's examples in mini-batches, one epoch at
// a time, in the manner of bufio.Scanner:
//
//	it, err := src.Batches(64, data.Shuffle(seed))
//	...
//	defer it.Close()
//	for e := 0; e < epochs; e++ {
//		it.Epoch(e)
//		for it.Next() {
//			b := it.Batch()
//			...
//		}
//		if err := it.Err(); err != nil {
//			...
//		}
//	}
//
// The Batch that Batch returns is valid until the next call to Next, Epoch
// or Close. A Batches is not safe for concurrent use.
type Batches interface {
	// Epoch starts epoch e from its first batch.
	Epoch(e int)
	// Next advances to the next batch of the epoch and reports whether
	// there is one. It returns false at the end of the epoch and on an
	// error, which Err then returns.
	Next() bool
	// Batch returns the batch chosen by the last call to Next.
	Batch() Batch
	// Err returns the error that ended the epoch early, or nil.
	Err() error
	// Close releases what the iterator holds (goroutines, files). It is
	// safe to call more than once.
	Close() error
}

// Info describes the examples of a Source.
type Info struct {
	// Shape is the shape of one example: channels, height and width of an
	// image (NCHW), or the number of features of a vector.
	Shape []int
	// Targets is the number of target values per example in Batch.Y: the
	// number of classes of a classifier's one-hot or smoothed rows, the
	// width of a regression's targets. With labels and no Y it is the
	// number of classes.
	Targets int
	// ClassNames names the classes, in label order, or is nil.
	ClassNames []string
	// HasY, HasLabels and HasWeights say which of Batch.Y (targets),
	// Batch.Labels (integer classes, as Keras's sparse targets) and
	// Batch.Weights (per-example loss weights) the batches carry.
	HasY, HasLabels, HasWeights bool
}

// Size returns the number of values in one example, the product of Shape.
func (in Info) Size() int {
	if len(in.Shape) == 0 {
		return 0
	}
	p := 1
	for _, s := range in.Shape {
		p *= s
	}
	return p
}

// Image reports whether the examples are images, of shape C×H×W, and
// returns that shape.
func (in Info) Image() (c, h, w int, ok bool) {
	if len(in.Shape) != 3 {
		return 0, 0, 0, false
	}
	return in.Shape[0], in.Shape[1], in.Shape[2], true
}

// An Option configures the batches of a Source.
type Option func(*BatchConfig)

// BatchConfig is what the Options given to Source.Batches ask for;
// NewBatchConfig collects them, for a Source of one's own.
type BatchConfig struct {
	Shuffle  bool   // visit each epoch in a random order ...
	Seed     uint64 // ... that depends only on Seed and the epoch number
	DropLast bool   // skip the last batch of an epoch when it is short
}

// NewBatchConfig returns the configuration opts ask for.
func NewBatchConfig(opts ...Option) BatchConfig {
	var c BatchConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// Shuffle makes the batches visit the examples of each epoch in a random
// order, a permutation that depends only on seed and the epoch number.
// Without it the order is sequential.
func Shuffle(seed uint64) Option {
	return func(c *BatchConfig) {
		c.Shuffle = true
		c.Seed = seed
	}
}

// DropLast makes the batches skip the last batch of an epoch when it would
// be smaller than the batch size.
func DropLast() Option {
	return func(c *BatchConfig) { c.DropLast = true }
}

// NumBatches returns the number of batches of size examples an epoch of n
// examples has under c.
func (c BatchConfig) NumBatches(n, size int) int {
	if size <= 0 || n < 0 {
		return 0
	}
	if c.DropLast {
		return n / size
	}
	return (n + size - 1) / size
}

// orderer writes the order of an epoch's examples, the same for every
// Source of this package: sequential, or shuffled by a permutation drawn
// from a PCG seeded with the seed and the epoch number.
type orderer struct {
	pcg *rand.PCG
	rng *rand.Rand
}

func newOrderer() orderer {
	pcg := rand.NewPCG(0, 0)
	return orderer{pcg: pcg, rng: rand.New(pcg)}
}

// fill writes the order of epoch e under c into order.
func (o orderer) fill(order []int, c BatchConfig, e int) {
	for i := range order {
		order[i] = i
	}
	if c.Shuffle {
		o.pcg.Seed(c.Seed, uint64(e))
		o.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
}

// Permutation returns the order in which a Source of this package visits
// n examples in epoch e when shuffled with seed: the order of
// Iterator and ImageFolder, for a Source of one's own that wants the same.
func Permutation(n int, seed uint64, epoch int) []int {
	order := make([]int, max(n, 0))
	newOrderer().fill(order, BatchConfig{Shuffle: true, Seed: seed}, epoch)
	return order
}

// checkBatchSize reports a batch size that is not positive.
func checkBatchSize(size int) error {
	if size <= 0 {
		return errors.Errorf("data: batch size %d is not positive", size)
	}
	return nil
}
