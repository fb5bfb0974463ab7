package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ParallelFor splits [0, n) into contiguous chunks, one per goroutine for
// up to runtime.GOMAXPROCS(0) goroutines, calls fn(lo, hi) for every
// chunk and waits for all of them. With GOMAXPROCS=1 or n < 2 it runs
// fn(0, n) inline without starting goroutines. fn must be safe for
// concurrent use on disjoint ranges, and its result for an item must not
// depend on the chunk the item falls in.
func ParallelFor(n int, fn func(lo, hi int)) { parallel(n, 1, fn) }

// parallelImages is ParallelFor for heavy items (the images of a batch,
// or groups of them): it makes up to chunksPerWorker chunks per goroutine,
// which the goroutines take in order as they become free, so that a core
// that runs slower than the others (one shared with another process or
// virtual machine, or a slower core of a hybrid CPU) takes fewer of them
// instead of holding up the rest. Light items keep one chunk per
// goroutine: splitting a single image's channels finer made the suite's
// MobileNet answer one image 1.5-2.3x slower (357-522 µs against
// 225-241).
func parallelImages(n int, fn func(lo, hi int)) { parallel(n, chunksPerWorker, fn) }

// chunksPerWorker is the number of chunks parallelImages makes per
// goroutine (fewer when there are fewer items).
const chunksPerWorker = 8

// parallel runs fn over [0, n) in up to k chunks per goroutine.
func parallel(n, k int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	p := workers(n)
	if p == 1 {
		fn(0, n)
		return
	}
	size := (n + p*k - 1) / (p * k)
	chunks := (n + size - 1) / size
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= chunks {
				return
			}
			fn(i*size, min((i+1)*size, n))
		}
	}
	var wg sync.WaitGroup
	wg.Add(p - 1)
	for range p - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work() // the calling goroutine takes chunks too
	wg.Wait()
}

// Workers returns the number of goroutines ParallelFor runs fn on for n
// items: 1 when it calls fn once, inline. A caller that has nothing to
// share out then calls its body directly, without making a closure, which
// would allocate.
func Workers(n int) int { return workers(n) }

// workers returns the number of goroutines ParallelFor runs fn on for n
// items: GOMAXPROCS, at most n and at least 1.
func workers(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n))
}

// maxGroups bounds the number of groups parallelGroups makes.
const maxGroups = 8

// groups returns the number of groups parallelGroups makes of n items and
// their size. Both depend on n only, never on GOMAXPROCS.
func groups(n int) (count, size int) {
	if n <= 0 {
		return 0, 0
	}
	size = (n + maxGroups - 1) / maxGroups
	return (n + size - 1) / size, size
}

// sumGroups adds the partial sums of groups 1 … count-1, each n values long
// and stored one after another in part, into those of group 0 (part[:n]),
// adding the groups in order.
func sumGroups(part []float32, n, count int) {
	if count < 2 {
		return
	}
	_ = part[count*n-1]
	ParallelFor(n, func(lo, hi int) {
		dst := part[lo:hi]
		for g := 1; g < count; g++ {
			src := part[g*n+lo : g*n+hi]
			for i := range dst {
				dst[i] += src[i]
			}
		}
	})
}

// parallelGroups splits [0, n) into the groups that groups(n) describes
// and calls fn(g, lo, hi) for every group g, spreading the groups over up
// to GOMAXPROCS goroutines. A kernel that sums over the n items keeps one
// partial sum per group and adds the partial sums in group order, so its
// result is the same for every GOMAXPROCS.
func parallelGroups(n int, fn func(g, lo, hi int)) {
	count, size := groups(n)
	parallelImages(count, func(g0, g1 int) {
		for g := g0; g < g1; g++ {
			fn(g, g*size, min((g+1)*size, n))
		}
	})
}
