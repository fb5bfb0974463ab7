package kernels

import "fmt"

// Element-wise work on fewer than 2·elemChunk elements runs on the
// calling goroutine.
const elemChunk = 1 << 15

// ParallelElems is ParallelFor for element-wise work on n elements: it
// calls fn(0, n) inline when n is too small for the goroutines to pay
// (ElemWorkers(n) is 1).
func ParallelElems(n int, fn func(lo, hi int)) {
	if ElemWorkers(n) == 1 {
		fn(0, n)
		return
	}
	ParallelFor(n, fn)
}

// ElemWorkers returns the number of goroutines ParallelElems runs fn on
// for n elements: 1 when it calls fn once, inline. A caller that has
// nothing to share out then calls its body directly, without making a
// closure, which would allocate.
func ElemWorkers(n int) int {
	if n < 2*elemChunk {
		return 1
	}
	return workers(n)
}

// ReLUForward sets y[i] = max(x[i], 0) for i < len(x) (NaN propagates; -0
// may stay -0). y may alias x.
func ReLUForward(x, y []float32) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: y has length %d, need %d", len(y), len(x)))
	}
	if ElemWorkers(len(x)) == 1 {
		reluRange(x, y) // no closure, so nothing to allocate
		return
	}
	ParallelFor(len(x), func(lo, hi int) { reluRange(x[lo:hi], y[lo:hi]) })
}

// reluRange is ReLUForward on the calling goroutine.
func reluRange(xs, ys []float32) {
	if useAsm {
		done := reluForwardAsm(xs, ys)
		xs, ys = xs[done:], ys[done:]
	}
	for i, v := range xs {
		if v < 0 {
			v = 0
		}
		ys[i] = v
	}
}

// ScaleShift sets y[i] = a·x[i] + b for every i < len(x), the product
// rounded before the sum (no fused multiply-add), so the results are those
// of the plain Go expression a*x[i] + b on every path. It runs on the
// calling goroutine. y must be at least as long as x and may be x.
func ScaleShift(x, y []float32, a, b float32) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: y has length %d, need %d", len(y), len(x)))
	}
	if useAsm {
		done := scaleShiftAsm(x, y, a, b)
		x, y = x[done:], y[done:]
	}
	for i, v := range x {
		y[i] = float32(a*v) + b // the conversion forbids fusing
	}
}

// ReLUBackward sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere, for
// i < len(y). y is the output of ReLUForward; dx may alias dy.
func ReLUBackward(y, dy, dx []float32) {
	n := len(y)
	if len(dy) < n || len(dx) < n {
		panic(fmt.Sprintf("kernels: dy/dx have lengths %d/%d, need %d", len(dy), len(dx), n))
	}
	ParallelElems(n, func(lo, hi int) {
		ys, dys, dxs := y[lo:hi], dy[lo:hi], dx[lo:hi]
		if useAsm {
			done := reluBackwardAsm(ys, dys, dxs)
			ys, dys, dxs = ys[done:], dys[done:], dxs[done:]
		}
		for i, v := range ys {
			g := dys[i]
			if !(v > 0) {
				g = 0
			}
			dxs[i] = g
		}
	})
}
