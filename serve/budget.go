package serve

import (
	"container/list"
	"context"
	"sync"

	"github.com/pkg/errors"
)

// budget is a weighted semaphore: units of something scarce (the pixels of
// images being decoded) that requests take and give back. Waiters are
// served in the order they came, so that a large request is not starved
// by a stream of small ones.
type budget struct {
	mu      sync.Mutex
	size    int64
	free    int64
	waiters list.List // of *budgetWaiter, in arrival order
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed once the units are taken for it
}

func newBudget(size int64) *budget { return &budget{size: size, free: size} }

// acquire takes n units, at most the budget's size, waiting until they
// are free or ctx ends. It returns the number taken, to release later.
func (b *budget) acquire(ctx context.Context, n int64) (int64, error) {
	n = max(0, min(n, b.size))
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.free >= n {
		b.free -= n
		b.mu.Unlock()
		return n, nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	e := b.waiters.PushBack(w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return n, nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready:
		// Served as ctx ended: give the units back.
		b.free += n
	default:
		b.waiters.Remove(e)
	}
	b.wake()
	return 0, errors.WithStack(ctx.Err())
}

// release gives back n units that acquire took.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.free += n
	b.wake()
	b.mu.Unlock()
}

// wake serves the waiters at the front of the queue whose units are free;
// b.mu is held.
func (b *budget) wake() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*budgetWaiter)
		if w.n > b.free {
			return
		}
		b.free -= w.n
		b.waiters.Remove(e)
		close(w.ready)
	}
}
