package kernels

import (
	"runtime"
	"sync"
)

// ParallelFor splits [0, n) into contiguous chunks, one per goroutine for up
// to runtime.GOMAXPROCS(0) goroutines, calls fn(lo, hi) for every chunk and
// waits for all of them. With GOMAXPROCS=1 or n < 2 it runs fn inline
// without starting goroutines. fn must be safe for concurrent use on
// disjoint ranges.
func ParallelFor(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	p, chunk := split(n)
	if p == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	fn(0, min(chunk, n)) // the first chunk runs on the calling goroutine
	wg.Wait()
}

// Workers returns the number of goroutines ParallelFor runs fn on for n
// items: 1 when it calls fn once, inline. A caller that has nothing to
// share out then calls its body directly, without making a closure, which
// would allocate.
func Workers(n int) int { return workers(n) }

// workers returns the number of chunks ParallelFor makes of n items.
func workers(n int) int {
	p, _ := split(n)
	return p
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
	ParallelFor(count, func(g0, g1 int) {
		for g := g0; g < g1; g++ {
			fn(g, g*size, min((g+1)*size, n))
		}
	})
}

// split returns the number of chunks ParallelFor makes of n items and
// their length.
func split(n int) (chunks, size int) {
	p := runtime.GOMAXPROCS(0)
	if p > n {
		p = n
	}
	if p <= 1 {
		return 1, max(n, 0)
	}
	size = (n + p - 1) / p
	return (n + size - 1) / size, size
}
