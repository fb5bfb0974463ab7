package kernels

import "sync"

// bufPool recycles float32 scratch buffers between kernel calls so that
// steady-state calls do not allocate large buffers.
var bufPool = sync.Pool{New: func() any { return new([]float32) }}

// getBuf returns a scratch buffer of length n (contents undefined). Release
// it with putBuf.
func getBuf(n int) *[]float32 {
	p := bufPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// putBuf returns a buffer obtained from getBuf to the pool.
func putBuf(p *[]float32) { bufPool.Put(p) }
