package kernels

import (
	"math/bits"
	"sync"
)

// bufPools recycle float32 scratch buffers between kernel calls so that
// steady-state calls do not allocate large buffers. There is one pool per
// size class (see sizeClass), so that a call never takes a small buffer
// that it must replace with a larger one, nor holds on to a large one for
// a small need.
var bufPools [4 * 64]sync.Pool

// sizeClass returns the size class of a buffer of n > 0 floats and the
// capacity of the buffers of that class: 16 for n <= 16, else the least
// multiple of 2ᵉ⁻² that holds n, where 2ᵉ < n <= 2ᵉ⁺¹, so that a buffer is
// at most a quarter longer than asked for.
func sizeClass(n int) (class, capacity int) {
	if n <= 16 {
		return 0, 16
	}
	e := bits.Len(uint(n-1)) - 1 // 2ᵉ <= n-1 < 2ᵉ⁺¹
	step := 1 << (e - 2)
	k := (n + step - 1) / step // 5 … 8
	return 4*e + k - 5, k * step
}

// noBuf is the buffer getBuf gives for no floats: an empty slice, which
// nothing writes to.
var noBuf = new([]float32)

// getBuf returns a scratch buffer of length n (contents undefined). Release
// it with putBuf.
func getBuf(n int) *[]float32 {
	if n <= 0 {
		return noBuf
	}
	class, capacity := sizeClass(n)
	p, _ := bufPools[class].Get().(*[]float32)
	if p == nil {
		b := make([]float32, capacity)
		p = &b
	}
	*p = (*p)[:n]
	return p
}

// putBuf returns a buffer obtained from getBuf to the pool of its class.
func putBuf(p *[]float32) {
	c := cap(*p)
	if c == 0 {
		return
	}
	class, capacity := sizeClass(c)
	if capacity != c {
		return // not made by getBuf
	}
	bufPools[class].Put(p)
}
