package serve

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/errors"
)

// errClosed is the answer to a request that arrives after Close.
var errClosed = errors.New("the server is shutting down")

// predictFunc is model.Model.Predict, or a stand-in in tests.
type predictFunc func(x []float32) ([]float32, error)

// job is one request's instances waiting for a batch.
type job struct {
	ctx  context.Context
	x    []float32
	n    int
	done chan result // buffered: the runner never blocks on it
}

type result struct {
	y   []float32
	err error
}

// batcher gathers concurrent requests to one model into one forward pass.
// Its collector waits for a free runner, takes the first waiting job, then
// more until the batch holds maxBatch instances or timeout has passed since
// the first, and hands the batch to the runner, which runs it as one call
// of predict and answers each job with its own rows. While the runners are
// busy, requests queue, and the next batch fills from the queue at once.
//
// Waiting only pays while more requests are coming: when no other batch
// runs, no request waits and none is being decoded (see arrive), the
// collector starts the batch it holds at once rather than leave the model
// idle until the timeout. So a lone client waits for no timeout, and
// under load batches fill.
type batcher struct {
	predict  predictFunc
	outSize  int
	maxBatch int
	timeout  time.Duration
	observe  func(n int) // records a batch's size

	jobs    chan *job
	runners chan struct{} // a slot per batch that may run at once
	freed   chan struct{} // signalled when a batch ends
	coming  atomic.Int64  // requests being decoded for this model
	onTake  func()        // if not nil, called after each job the collector takes (tests)
	quit    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

// batchRunners is how many batches of one model run at once: one runs
// while the next gathers, and the kernels spread each over the cores.
const batchRunners = 2

func newBatcher(predict predictFunc, outSize, maxBatch int, timeout time.Duration, observe func(int)) *batcher {
	b := &batcher{predict: predict, outSize: outSize, maxBatch: maxBatch, timeout: timeout, observe: observe,
		jobs: make(chan *job), runners: make(chan struct{}, batchRunners), freed: make(chan struct{}, 1), quit: make(chan struct{})}
	b.wg.Add(1)
	go b.collect()
	return b
}

// arrive tells the batcher that a request is being decoded and will call
// do soon, so that a batch waits for it (no longer than the timeout). The
// function it returns says that the request is no longer coming: do calls
// it, and so must the caller, in case it never calls do; calls after the
// first do nothing.
func (b *batcher) arrive() func() {
	b.coming.Add(1)
	return sync.OnceFunc(func() { b.coming.Add(-1) })
}

// do predicts the n instances x, batched with whatever else arrives.
// arrived, if not nil, is the function arrive returned for the request.
func (b *batcher) do(ctx context.Context, x []float32, n int, arrived func()) ([]float32, error) {
	if arrived != nil {
		arrived() // it is here now
	}
	select {
	case <-b.quit:
		return nil, errClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, errors.WithStack(err)
	}
	if n >= b.maxBatch {
		// A request as big as a batch gains nothing from waiting.
		b.observe(n)
		return safePredict(b.predict, x)
	}
	j := &job{ctx: ctx, x: x, n: n, done: make(chan result, 1)}
	select {
	case b.jobs <- j:
	case <-b.quit:
		return nil, errClosed
	case <-ctx.Done():
		return nil, errors.WithStack(ctx.Err())
	}
	r := <-j.done
	return r.y, r.err
}

// close stops the collector and waits for the batches it started; do
// refuses new requests.
func (b *batcher) close() {
	b.once.Do(func() { close(b.quit) })
	b.wg.Wait()
}

// collect forms batches until close.
func (b *batcher) collect() {
	defer b.wg.Done()
	timer := time.NewTimer(b.timeout)
	timer.Stop()
	var next *job // a job that overflowed the last batch
	for {
		select {
		case b.runners <- struct{}{}:
		case <-b.quit:
			if next != nil {
				b.runners <- struct{}{} // waits for a runner to finish
				b.start([]*job{next})
			}
			return
		}
		batch := []*job{next}
		if next == nil {
			select {
			case j := <-b.jobs:
				batch[0] = j
				b.took()
			case <-b.quit:
				<-b.runners
				return
			}
		}
		next = nil
		size := batch[0].n
		timer.Reset(b.timeout)
	gather:
		for size < b.maxBatch {
			var j *job
			if len(b.runners) == 1 && b.coming.Load() == 0 {
				// No other batch runs and nothing is coming: take what
				// waits, and go.
				select {
				case j = <-b.jobs:
				default:
					break gather
				}
			} else {
				select {
				case j = <-b.jobs:
				case <-b.freed:
					continue
				case <-timer.C:
					break gather
				case <-b.quit:
					break gather
				}
			}
			b.took()
			if size+j.n > b.maxBatch {
				next = j // it starts the next batch
				break gather
			}
			batch = append(batch, j)
			size += j.n
		}
		timer.Stop()
		b.start(batch)
	}
}

// took calls onTake, if set.
func (b *batcher) took() {
	if b.onTake != nil {
		b.onTake()
	}
}

// start runs a batch on the runner slot the collector holds.
func (b *batcher) start(batch []*job) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.run(batch)
		<-b.runners
		select {
		case b.freed <- struct{}{}:
		default:
		}
	}()
}

// run predicts a batch and answers each job with its rows. Jobs whose
// callers have gone are left out.
func (b *batcher) run(batch []*job) {
	var live []*job
	var x []float32
	for _, j := range batch {
		if j.ctx.Err() != nil {
			j.done <- result{err: errors.WithStack(j.ctx.Err())}
			continue
		}
		live = append(live, j)
		x = append(x, j.x...)
	}
	if len(live) == 0 {
		return
	}
	n := 0
	for _, j := range live {
		n += j.n
	}
	b.observe(n)
	y, err := safePredict(b.predict, x)
	if err == nil && len(y) != n*b.outSize {
		err = errors.Errorf("predict returned %d values for %d instances of %d outputs", len(y), n, b.outSize)
	}
	off := 0
	for _, j := range live {
		if err != nil {
			j.done <- result{err: err}
			continue
		}
		j.done <- result{y: y[off : off+j.n*b.outSize : off+j.n*b.outSize]}
		off += j.n * b.outSize
	}
}

// safePredict calls predict, turning a panic into an error that keeps its
// stack.
func safePredict(predict predictFunc, x []float32) (y []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			y, err = nil, errors.Errorf("predict panicked: %v", r)
		}
	}()
	return predict(x)
}
