package data

import "github.com/pkg/errors"

// Batch is one mini-batch of examples, laid out like a Dataset: X holds N
// examples (images in NCHW order, or vectors), Y N rows of targets (one-hot
// for a classifier), Labels N classes and Weights the N examples' weights;
// each is nil where the source has none. Index holds the position in the
// source of each example, where the source knows it.
//
// A Batch returned by Iterator.Batch shares its buffers with the Iterator
// and is valid only until the next call to Next or Epoch; copy what must
// outlive it.
type Batch struct {
	X, Y    []float32
	Labels  []int
	Weights []float32 // the examples' weights, or nil
	N       int       // number of examples, at most the batch size
	Index   []int     // dataset index of each example
}

// Iterator serves the examples of a Dataset in mini-batches, one epoch at a
// time. Its use follows bufio.Scanner:
//
//	it, err := data.NewIterator(ds, 64, data.Shuffle(seed))
//	...
//	for e := 0; e < epochs; e++ {
//		it.Epoch(e)
//		for it.Next() {
//			b := it.Batch()
//			// use b.X, b.Y, b.Labels, b.N
//		}
//	}
//
// Each epoch visits every example exactly once; the last batch holds the
// remainder and is smaller than the batch size unless DropLast is given.
// The batch buffers are allocated once, by NewIterator, and reused, so
// iterating allocates nothing. The Dataset must not change while an
// Iterator uses it.
type Iterator struct {
	ds   *Dataset
	size int
	cfg  BatchConfig

	orderer
	order []int // the order of the current epoch
	pos   int   // position in order of the next batch

	buf   Batch // buffers of full batch size
	batch Batch // the current batch, a prefix of buf
}

// NewIterator returns an Iterator over ds in batches of batchSize examples,
// positioned at the start of epoch 0. It returns an error if batchSize is
// not positive or ds is nil, empty or of inconsistent sizes (the constant-time
// part of Dataset.Check).
func NewIterator(ds *Dataset, batchSize int, opts ...Option) (*Iterator, error) {
	if err := checkBatchSize(batchSize); err != nil {
		return nil, err
	}
	if err := ds.checkSizes(); err != nil {
		return nil, err
	}
	if ds.N == 0 {
		return nil, errors.New("data: cannot iterate over an empty dataset")
	}
	it := &Iterator{ds: ds, size: batchSize, cfg: NewBatchConfig(opts...), orderer: newOrderer()}
	it.order = make([]int, ds.N)
	n := min(batchSize, ds.N)
	it.buf = Batch{
		X:       make([]float32, n*ds.ImageSize()),
		Y:       make([]float32, n*ds.Classes),
		Labels:  make([]int, n),
		Weights: make([]float32, n),
		Index:   make([]int, n),
	}
	it.Epoch(0)
	return it, nil
}

// Epoch starts epoch e from its first batch. With Shuffle the order of the
// epoch is a permutation derived from the seed and e alone, so calling
// Epoch(e) again, or on a new Iterator with the same seed, repeats it; a
// training run resumed at epoch k sees the same batches as one that was
// never interrupted.
func (it *Iterator) Epoch(e int) {
	it.fill(it.order, it.cfg, e)
	it.pos = 0
	it.batch = Batch{}
}

// Next advances to the next batch of the epoch, which Batch then returns.
// It returns false when the epoch is over.
func (it *Iterator) Next() bool {
	n := min(it.size, len(it.order)-it.pos)
	if n <= 0 || it.cfg.DropLast && n < it.size {
		it.pos = len(it.order)
		it.batch = Batch{}
		return false
	}
	ds := it.ds
	s, k := ds.ImageSize(), ds.Classes
	b := Batch{
		X:       it.buf.X[:n*s],
		Y:       it.buf.Y[:n*k],
		Labels:  it.buf.Labels[:n],
		Weights: it.buf.Weights[:n],
		N:       n,
		Index:   it.buf.Index[:n],
	}
	if ds.Y == nil {
		b.Y = nil
	}
	if ds.Labels == nil {
		b.Labels = nil
	}
	if ds.Weights == nil {
		b.Weights = nil
	}
	for j, i := range it.order[it.pos : it.pos+n] {
		ds.CopyImage(i, b.X[j*s:(j+1)*s])
		if ds.Y != nil {
			copy(b.Y[j*k:(j+1)*k], ds.Y[i*k:(i+1)*k])
		}
		if ds.Labels != nil {
			b.Labels[j] = ds.Labels[i]
		}
		if ds.Weights != nil {
			b.Weights[j] = ds.Weights[i]
		}
		b.Index[j] = i
	}
	it.pos += n
	it.batch = b
	return true
}

// Batch returns the current batch, the one chosen by the last call to Next.
// It is valid until the next call to Next or Epoch. Before the first call
// to Next, or after Next has returned false, it returns an empty Batch.
func (it *Iterator) Batch() Batch { return it.batch }

// BatchSize returns the batch size.
func (it *Iterator) BatchSize() int { return it.size }

// NumBatches returns the number of batches in an epoch.
func (it *Iterator) NumBatches() int { return it.cfg.NumBatches(len(it.order), it.size) }

// Err returns nil: an Iterator reads memory, and nothing fails.
func (it *Iterator) Err() error { return nil }

// Close does nothing; it makes Iterator a Batches.
func (it *Iterator) Close() error { return nil }
