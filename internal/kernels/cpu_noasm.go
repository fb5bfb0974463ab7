//go:build !amd64 || noasm

package kernels

// hasAsm, hasAVX512 and hasAVX512VL are false: this build has no
// assembly micro-kernel.
const (
	hasAsm      = false
	hasAVX512   = false
	hasAVX512VL = false
)

func kernelAsm(k int, a []float32, boff []int32, b []float32, bsrc []int32, coff []int32, c []float32, csrc []int32, bias []float32, flags int) {
	kernelGo(k, a, boff, b, bsrc, coff, c, csrc, bias, flags)
}

// kernelPath is kernelGo whichever path is asked for.
func kernelPath(wide bool, k int, a []float32, boff []int32, b []float32, bsrc []int32, coff []int32, c []float32, csrc []int32, bias []float32, flags int) {
	kernelGo(k, a, boff, b, bsrc, coff, c, csrc, bias, flags)
}

func dotAsm(nimg int, a []float32, lda, aimg int, src []int32, b []float32, boff []int32, bimg int, c []float32, ldc int) {
	dotGo(nimg, a, lda, aimg, src, b, boff, bimg, c, ldc)
}

func sumAsm(x []float32) float32 { return sumGo(x) }

// The assembly entry points are never called in this build (useAsm is
// false); these stand-ins only let the shared code compile.

func reluForwardAsm(x, y []float32) int { return 0 }

func reluBackwardAsm(y, dy, dx []float32) int { return 0 }

func gemvAsm(k int, a, b []float32, ldb int, c []float32) { panic("kernels: no assembly") }

func gemvBlocksAsm(k, nb int, a, b []float32, ldb int, c []float32, t int) {
	panic("kernels: no assembly")
}

func finiteAsm(x []float32) int { return 0 }

func gemv64Asm(k int, a, b []float32, ldb int, c []float32) { panic("kernels: no assembly") }

func gemvTailAsm(k int, a, b []float32, ldb int, c []float32, t int) { panic("kernels: no assembly") }

func scaleShiftAsm(x, y []float32, a, b float32) int { return 0 }

func maxPool2x2Fwd(x, y *float32, am *int32, planes int, tab *int32, nch, xplane, yplane, hi, yhi, w int, lanes *int32, base, relu int) {
	panic("kernels: no assembly")
}

func maxPool2x2Bwd(dy *float32, am *int32, dx *float32, planes int, tab *int32, nch, xplane, yplane, hi, yhi, w int, lanes *int32, base int) {
	panic("kernels: no assembly")
}

func poolDot5(nf int, cnt *int32, list *float32, x *float32, wrow, wch int, acc *float32, accf int, sums *float32) {
	panic("kernels: no assembly")
}

func poolDot10(nf int, cnt *int32, list *float32, x *float32, wrow, wch int, acc *float32, accf int, sums *float32) {
	panic("kernels: no assembly")
}

func poolList(nf, npo int, dq *float32, am *int32, amoff, amf int, src *int32, np int, list *float32, cnt *int32) {
	panic("kernels: no assembly")
}

func deinterleaveRowsAsm(src []float32, spitch int, d0, d1 []float32, dpitch, rows, n, u0, width int) bool {
	return false
}

func interleaveRowsAsm(s0, s1 []float32, spitch int, dst []float32, dpitch, rows, n int) bool {
	return false
}

func copyRowsAsm(dst []float32, dpitch int, src []float32, spitch, rows, n, left, width int) bool {
	return false
}

func dwTapsAsm(dst, src []float32, off []int, w []float32, init float32) {
	dwTapsGo(dst, src, off, w, init)
}

func dwDotsAsm(a, src []float32, off []int, acc []float32) { dwDotsGo(a, src, off, acc) }

func statLanesAsm(x, a []float32, i0, m, pitch, n4 int, mean float64, kind int, lanes *[16]float64) {
	panic("kernels: no assembly")
}

func linComb8(dst, u, v *float32, n8 int, a, b, c float32) { panic("kernels: no assembly") }

func winoInAsm(x []float32, off, w, plane, nc int, dst []float32, dstC, dstX int, mask []int32) {
	winoInGo(x, off, w, plane, nc, dst, dstC, dstX, mask)
}

func winoOutAsm(m []float32, mF, mX, nf int, bias, dst []float32, pitch, plane int) {
	winoOutGo(m, mF, mX, nf, bias, dst, pitch, plane)
}

func winoDyAsm(src []float32, pitch, plane, nf int, dst []float32, dstF, dstX int) {
	winoDyGo(src, pitch, plane, nf, dst, dstF, dstX)
}

func winoIn4Asm(x []float32, off, w, plane, nc int, dst []float32, dstC, dstX int, tmp []float32, mask []int32) {
	winoIn4Go(x, off, w, plane, nc, dst, dstC, dstX, mask)
}

func winoOut4Asm(m []float32, mF, mX, nf int, bias, dst []float32, pitch, plane int, tmp []float32, ncols, nrows int) {
	winoOut4Go(m, mF, mX, nf, bias, dst, pitch, plane, ncols, nrows)
}

func winoDy4Asm(src []float32, pitch, plane, nf int, dst []float32, dstF, dstX int, tmp []float32, cmask, rmask *int32) {
	panic("kernels: no assembly")
}
