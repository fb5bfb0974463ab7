package serve

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// double is a stand-in model of one input value and two outputs, v and
// -v, so that every row shows whose it is.
func double(x []float32) ([]float32, error) {
	y := make([]float32, 0, 2*len(x))
	for _, v := range x {
		y = append(y, v, -v)
	}
	return y, nil
}

// sizes records the batch sizes a batcher observes.
type sizes struct {
	mu sync.Mutex
	n  []int
}

func (s *sizes) observe(n int) { s.mu.Lock(); s.n = append(s.n, n); s.mu.Unlock() }

// TestBatcherGathers: a lone request runs at once, however long the
// timeout; while it runs, concurrent requests of one instance gather into
// a full batch, and each caller gets its own row.
func TestBatcherGathers(t *testing.T) {
	var got sizes
	calls := make(chan int, 4)
	release := make(chan struct{})
	predict := func(x []float32) ([]float32, error) {
		calls <- len(x)
		<-release
		return double(x)
	}
	b := newBatcher(predict, 2, 4, time.Hour, got.observe)
	defer b.close()
	var wg sync.WaitGroup
	ask := func(i int) {
		wg.Go(func() {
			y, err := b.do(context.Background(), []float32{float32(i)}, 1, nil)
			if err != nil || !slices.Equal(y, []float32{float32(i), -float32(i)}) {
				t.Errorf("caller %d got %v, %v", i, y, err)
			}
		})
	}
	ask(0)
	if n := <-calls; n != 1 {
		t.Fatalf("the lone request ran in a batch of %d", n)
	}
	for i := 1; i <= 4; i++ {
		ask(i)
	}
	n := <-calls
	close(release)
	wg.Wait()
	if n != 4 || !slices.Equal(got.n, []int{1, 4}) {
		t.Errorf("batch sizes %v, want [1 4]", got.n)
	}
}

// TestBatcherWaitsForComing: a lone request waits while another is being
// decoded, and the two run as one batch, which starts once nothing more
// is coming.
func TestBatcherWaitsForComing(t *testing.T) {
	var got sizes
	b := newBatcher(double, 2, 4, time.Hour, got.observe)
	defer b.close()
	taken := make(chan struct{}, 2)
	b.onTake = func() { taken <- struct{}{} }
	arrivedB := b.arrive() // B is being decoded
	answers := make(chan []float32, 2)
	ask := func(v float32, arrived func()) {
		go func() {
			y, err := b.do(context.Background(), []float32{v}, 1, arrived)
			if err != nil {
				t.Error(err)
			}
			answers <- y
		}()
	}
	ask(1, b.arrive())
	<-taken // A is in the batch; B is still coming
	ask(2, arrivedB)
	for range 2 {
		if y := <-answers; len(y) != 2 || y[1] != -y[0] {
			t.Errorf("answer %v", y)
		}
	}
	arrivedB() // a second call does nothing
	if !slices.Equal(got.n, []int{2}) || b.coming.Load() != 0 {
		t.Errorf("batch sizes %v, want [2]; %d still coming", got.n, b.coming.Load())
	}
}

// TestBatcherRows: requests of mixed sizes, some as big as a batch, each
// get their own rows, and no batch is over the limit.
func TestBatcherRows(t *testing.T) {
	for _, timeout := range []time.Duration{0, 100 * time.Microsecond} {
		t.Run(fmt.Sprint(timeout), func(t *testing.T) {
			var got sizes
			b := newBatcher(double, 2, 8, timeout, got.observe)
			defer b.close()
			var wg sync.WaitGroup
			for i := range 200 {
				wg.Go(func() {
					n := 1 + i%10
					x := make([]float32, n)
					for k := range x {
						x[k] = float32(i*100 + k)
					}
					y, err := b.do(context.Background(), x, n, nil)
					if err != nil {
						t.Errorf("caller %d: %v", i, err)
						return
					}
					want, _ := double(x)
					if !slices.Equal(y, want) {
						t.Errorf("caller %d got %v, want %v", i, y, want)
					}
				})
			}
			wg.Wait()
			total := 0
			for _, n := range got.n {
				total += n
				if n > 8 && n != 9 && n != 10 {
					t.Errorf("a batch of %d", n)
				}
			}
			if want := 20 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10); total != want {
				t.Errorf("%d instances in batches, want %d", total, want)
			}
			t.Logf("%d batches for 200 requests", len(got.n))
		})
	}
}

// TestBatcherPanic: a panic in predict is an error for the callers of
// the batch, with the panic's stack, and the batcher goes on.
func TestBatcherPanic(t *testing.T) {
	var calls atomic.Int32
	predict := func(x []float32) ([]float32, error) {
		if calls.Add(1) == 1 {
			var m map[string]int
			m["boom"]++ // a nil-map write
		}
		return double(x)
	}
	b := newBatcher(predict, 2, 4, time.Hour, func(int) {})
	defer b.close()
	_, err := b.do(context.Background(), []float32{1}, 1, nil)
	if err == nil || !strings.Contains(err.Error(), "predict panicked") {
		t.Errorf("error %v", err)
	}
	if !strings.Contains(fmt.Sprintf("%+v", err), "safePredict") {
		t.Errorf("the error lacks the stack: %+v", err)
	}
	if y, err := b.do(context.Background(), []float32{2}, 1, nil); err != nil || !slices.Equal(y, []float32{2, -2}) {
		t.Errorf("after the panic: %v, %v", y, err)
	}
}

// TestBatcherClose: close waits for the batch that runs, and later
// requests, and those of cancelled callers, are refused.
func TestBatcherClose(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	predict := func(x []float32) ([]float32, error) {
		close(started)
		<-release
		finished.Store(true)
		return double(x)
	}
	b := newBatcher(predict, 2, 4, 0, func(int) {})
	answered := make(chan error, 1)
	go func() {
		_, err := b.do(context.Background(), []float32{1}, 1, nil)
		answered <- err
	}()
	<-started
	closed := make(chan struct{})
	go func() { b.close(); close(closed) }()
	close(release)
	<-closed
	if !finished.Load() {
		t.Error("close returned before the running batch finished")
	}
	if err := <-answered; err != nil {
		t.Errorf("the running request: %v", err)
	}
	if _, err := b.do(context.Background(), []float32{1}, 1, nil); err != errClosed {
		t.Errorf("after close: %v, want errClosed", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b2 := newBatcher(double, 2, 4, time.Hour, func(int) {})
	defer b2.close()
	if _, err := b2.do(ctx, []float32{1}, 1, nil); err == nil {
		t.Error("a cancelled caller got no error")
	}
}
