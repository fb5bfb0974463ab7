package serve

import (
	"context"
	"runtime"
	"testing"
)

// queued waits until the budget has n waiters.
func queued(b *budget, n int) {
	for {
		b.mu.Lock()
		l := b.waiters.Len()
		b.mu.Unlock()
		if l == n {
			return
		}
		runtime.Gosched()
	}
}

// TestBudget: units are taken and given back, waiters are served in
// order even when a later one would fit, requests over the size take the
// whole budget, and a waiter whose context ends leaves the queue.
func TestBudget(t *testing.T) {
	ctx := context.Background()
	b := newBudget(4)
	if n, err := b.acquire(ctx, 3); n != 3 || err != nil {
		t.Fatalf("acquire 3: %d %v", n, err)
	}
	big, small := make(chan int64), make(chan int64)
	go func() { n, _ := b.acquire(ctx, 10); big <- n }() // more than the size: takes 4
	queued(b, 1)
	go func() { n, _ := b.acquire(ctx, 1); small <- n }() // would fit, but waits its turn
	queued(b, 2)
	b.mu.Lock()
	if b.free != 1 {
		t.Errorf("%d units free while both wait, want 1", b.free)
	}
	b.mu.Unlock()
	b.release(3)
	if n := <-big; n != 4 {
		t.Errorf("the large waiter took %d units, want 4", n)
	}
	queued(b, 1)
	b.release(4)
	if n := <-small; n != 1 {
		t.Errorf("the small waiter took %d units, want 1", n)
	}
	b.release(1)

	// A waiter whose context ends leaves the queue; the one behind it is
	// then served.
	if _, err := b.acquire(ctx, 4); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	gone := make(chan error)
	go func() { _, err := b.acquire(cctx, 4); gone <- err }()
	queued(b, 1)
	go func() { n, _ := b.acquire(ctx, 2); small <- n }()
	queued(b, 2)
	cancel()
	if err := <-gone; err == nil {
		t.Error("no error from a waiter whose context ended")
	}
	queued(b, 1)
	b.release(4)
	if n := <-small; n != 2 {
		t.Errorf("the waiter behind a cancelled one took %d units", n)
	}
	b.release(2)
	if b.free != 4 || b.waiters.Len() != 0 {
		t.Errorf("at the end %d units free and %d waiters", b.free, b.waiters.Len())
	}
}
