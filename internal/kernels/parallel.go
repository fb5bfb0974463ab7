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
	parallelChunks(n, func(_, lo, hi int) { fn(lo, hi) })
}

// workers returns the number of chunks parallelChunks uses for n items and
// the chunk length.
func workers(n int) int {
	p, _ := split(n)
	return p
}

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

// parallelChunks is ParallelFor that also passes the chunk index
// w in [0, workers(n)) to fn. Chunk 0 runs on the calling goroutine.
func parallelChunks(n int, fn func(w, lo, hi int)) {
	if n <= 0 {
		return
	}
	p, chunk := split(n)
	if p == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	w := 1
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			fn(w, lo, hi)
		}(w, lo, min(lo+chunk, n))
		w++
	}
	fn(0, 0, min(chunk, n))
	wg.Wait()
}
