//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// gemm5x16 is the assembly form of kernelGo (bsrc and csrc hold 2*ntiles
// entries).
//
//go:noescape
func gemm5x16(k int, a *float32, boff *int32, b *float32, bsrc *int32, coff *int32, c *float32, csrc *int32, ntiles int, bias *float32, flags int)

// dot4x3 is the assembly form of dotGo (src has nch entries).
//
//go:noescape
func dot4x3(nimg int, a *float32, lda, aimg int, src *int32, nch int, b *float32, boff *int32, bimg int, c *float32, ldc int)

// sum8 returns the sum of x[:8*n8] (n8 >= 1), in the order of sumGo.
//
//go:noescape
func sum8(x *float32, n8 int) float32

// hasAsm reports whether the AVX2+FMA micro-kernels can run on this CPU
// (and the OS saves the YMM state), and hasAVX512 whether the AVX-512
// micro-kernel can too (and the OS saves the ZMM state).
var (
	hasAsm    = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAsm && cpu.X86.HasAVX512F
	// hasAVX512VL reports whether the 256-bit EVEX forms (ymm16-31) can
	// run too, for the register-only Winograd transforms.
	hasAVX512VL = hasAVX512 && cpu.X86.HasAVX512VL
)

//go:noescape
func gemm5x32(k int, a *float32, boff *int32, b *float32, bsrc *int32, coff *int32, c *float32, csrc *int32, npairs int, bias *float32, flags int)

// kernelAsm runs the micro-kernel of the path in use: gemm5x16, or
// gemm5x32 when AVX-512 is forced (useAVX512 without autoAVX512) or
// measured faster for depth k (prefer512).
func kernelAsm(k int, a []float32, boff []int32, b []float32, bsrc []int32, coff []int32, c []float32, csrc []int32, bias []float32, flags int) {
	wide := useAVX512 && (!autoAVX512 || prefer512(k))
	kernelPath(wide, k, a, boff, b, bsrc, coff, c, csrc, bias, flags)
}

// kernelPath runs gemm5x16, or when wide gemm5x32 on pairs of tiles and
// gemm5x16 on an odd last one. The callers guarantee that the offsets stay
// inside the slices; the checks here only cover the table lengths and
// the first offsets, so that gross misuse panics instead of corrupting
// memory.
func kernelPath(wide bool, k int, a []float32, boff []int32, b []float32, bsrc []int32, coff []int32, c []float32, csrc []int32, bias []float32, flags int) {
	nt := len(bsrc) / 2
	if k <= 0 || nt == 0 {
		panic("kernels: empty micro-kernel call")
	}
	_ = a[mr*k-1]
	_ = boff[k-1]
	_ = coff[mr-1]
	_ = csrc[2*nt-1]
	_ = b[int(bsrc[0])+int(boff[0])+7]
	_ = c[int(csrc[0])+int(coff[0])+7]
	var bp *float32
	if bias != nil {
		_ = bias[mr-1]
		bp = &bias[0]
	}
	if wide && nt >= 2 {
		np := nt / 2
		gemm5x32(k, &a[0], &boff[0], &b[0], &bsrc[0], &coff[0], &c[0], &csrc[0], np, bp, flags)
		if nt%2 == 0 {
			return
		}
		gemm5x16(k, &a[0], &boff[0], &b[0], &bsrc[4*np], &coff[0], &c[0], &csrc[4*np], 1, bp, flags)
		return
	}
	gemm5x16(k, &a[0], &boff[0], &b[0], &bsrc[0], &coff[0], &c[0], &csrc[0], nt, bp, flags)
}

// dotAsm runs dot4x3 (see kernelAsm for the bounds checks).
func dotAsm(nimg int, a []float32, lda, aimg int, src []int32, b []float32, boff []int32, bimg int, c []float32, ldc int) {
	if nimg <= 0 || len(src) == 0 {
		return
	}
	_ = a[(nimg-1)*aimg+(dotRows-1)*lda+8*len(src)-1]
	_ = boff[dotCols-1]
	_ = b[(nimg-1)*bimg+int(boff[0])+int(src[0])+7]
	_ = c[(dotRows-1)*ldc+dotCols-1]
	dot4x3(nimg, &a[0], lda, aimg, &src[0], len(src), &b[0], &boff[0], bimg, &c[0], ldc)
}

// sumAsm returns the sum of x (len(x) a multiple of 8) with sum8.
func sumAsm(x []float32) float32 {
	if len(x) < 8 {
		return 0
	}
	return sum8(&x[0], len(x)/8)
}

//go:noescape
func reluForward8(x, y *float32, n8 int)

//go:noescape
func gemv32(k int, a *float32, b *float32, ldb int, c *float32)

// gemvAsm runs gemv32 on the first gemvCols columns of b and c.
func gemvAsm(k int, a, b []float32, ldb int, c []float32) {
	_ = a[k-1]
	_ = b[(k-1)*ldb+gemvCols-1]
	_ = c[gemvCols-1]
	gemv32(k, &a[0], &b[0], ldb, &c[0])
}

//go:noescape
func gemv64(k int, a *float32, b *float32, ldb int, c *float32)

// gemv64Asm runs gemv64 on the first 2·gemvCols columns of b and c.
func gemv64Asm(k int, a, b []float32, ldb int, c []float32) {
	_ = a[k-1]
	_ = b[(k-1)*ldb+2*gemvCols-1]
	_ = c[2*gemvCols-1]
	gemv64(k, &a[0], &b[0], ldb, &c[0])
}

//go:noescape
func gemvTail(k int, a *float32, b *float32, ldb int, c *float32, mask *int32, nv int)

// tailMask holds gemvTail's lane masks: &tailMask[gemvCols-t] is the mask
// of the first t columns.
var tailMask = func() (m [2 * gemvCols]int32) {
	for i := range gemvCols {
		m[i] = -1
	}
	return m
}()

// gemvTailAsm runs gemvTail on the first t < gemvCols columns of b and c
// (t >= 1): the columns past t are neither read nor written.
func gemvTailAsm(k int, a, b []float32, ldb int, c []float32, t int) {
	_ = a[k-1]
	_ = b[(k-1)*ldb+t-1]
	_ = c[t-1]
	gemvTail(k, &a[0], &b[0], ldb, &c[0], &tailMask[gemvCols-t], (t+7)/8)
}

//go:noescape
func gemvBlocks(k int, a *float32, b *float32, ldb int, c *float32, mask *int32, nb int)

// gemvBlocksAsm runs gemvBlocks on the first t <= 16 columns of b and c
// (t >= 1) for nb <= 4 blocks of k: what nb calls of gemvTailAsm on the
// blocks one after the other give. It reads 16 values of every row of b,
// so b must hold 16 values from the start of its last row (see
// gemvBlocksFit).
func gemvBlocksAsm(k, nb int, a, b []float32, ldb int, c []float32, t int) {
	if t > 16 || nb < 1 || nb > 4 {
		panic("kernels: gemvBlocks takes at most 16 columns and 4 blocks")
	}
	_ = a[nb*k-1]
	_ = b[(nb*k-1)*ldb+16-1]
	_ = c[t-1]
	gemvBlocks(k, &a[0], &b[0], ldb, &c[0], &tailMask[gemvCols-t], nb)
}

//go:noescape
func finite32(x *float32, n32 int) int

// finiteAsm returns how many values at the start of x, a multiple of 32,
// finite32 has found finite before the first block of 32 holding a NaN or
// an infinity (or the end of x's whole blocks).
func finiteAsm(x []float32) int {
	if len(x) < 32 {
		return 0
	}
	return 32 * finite32(&x[0], len(x)/32)
}

//go:noescape
func scaleShift8(x, y *float32, n8 int, a, b float32)

// scaleShiftAsm handles the multiple-of-8 prefix of x with AVX and returns
// how many elements it processed.
func scaleShiftAsm(x, y []float32, a, b float32) int {
	n8 := len(x) / 8
	if n8 == 0 {
		return 0
	}
	_ = y[8*n8-1]
	scaleShift8(&x[0], &y[0], n8, a, b)
	return 8 * n8
}

//go:noescape
func reluBackward8(y, dy, dx *float32, n8 int)

// reluForwardAsm handles the multiple-of-8 prefix of x with AVX and
// returns how many elements it processed.
func reluForwardAsm(x, y []float32) int {
	n8 := len(x) / 8
	if n8 == 0 {
		return 0
	}
	_ = y[8*n8-1]
	reluForward8(&x[0], &y[0], n8)
	return 8 * n8
}

func reluBackwardAsm(y, dy, dx []float32) int {
	n8 := len(y) / 8
	if n8 == 0 {
		return 0
	}
	_ = dy[8*n8-1]
	_ = dx[8*n8-1]
	reluBackward8(&y[0], &dy[0], &dx[0], n8)
	return 8 * n8
}

// maxPool2x2Fwd and maxPool2x2Bwd are the assembly forms of
// pool2x2.forward and pool2x2.backward.
//
//go:noescape
func maxPool2x2Fwd(x, y *float32, am *int32, planes int, tab *int32, nch, xplane, yplane, hi, yhi, w int, lanes *int32, base, relu int)

//go:noescape
func maxPool2x2Bwd(dy *float32, am *int32, dx *float32, planes int, tab *int32, nch, xplane, yplane, hi, yhi, w int, lanes *int32, base int)

// poolDot5 and poolDot10 are the assembly kernels of poolDot (one or two
// channels of five kernel rows).
//
//go:noescape
func poolDot5(nf int, cnt *int32, list *float32, x *float32, wrow, wch int, acc *float32, accf int, sums *float32)

//go:noescape
func poolDot10(nf int, cnt *int32, list *float32, x *float32, wrow, wch int, acc *float32, accf int, sums *float32)

// poolList builds the window lists of poolDot.run (see there).
//
//go:noescape
func poolList(nf, npo int, dq *float32, am *int32, amoff, amf int, src *int32, np int, list *float32, cnt *int32)

// deintRows8/4 and intRows8/4 are the assembly forms of deinterleaveRows
// and interleaveRows, with blocks of 8 or 4 pairs.
//
//go:noescape
func deintRows8(src *float32, spitch int, d0, d1 *float32, dpitch, rows, n, u0, width int)

//go:noescape
func deintRows4(src *float32, spitch int, d0, d1 *float32, dpitch, rows, n, u0, width int)

//go:noescape
func intRows8(s0, s1 *float32, spitch int, dst *float32, dpitch, rows, n int)

//go:noescape
func intRows4(s0, s1 *float32, spitch int, dst *float32, dpitch, rows, n int)

// deinterleaveRowsAsm runs deintRows8 or deintRows4 if the shape suits
// one (see deinterleaveRows) and reports whether it did.
func deinterleaveRowsAsm(src []float32, spitch int, d0, d1 []float32, dpitch, rows, n, u0, width int) bool {
	z := 8
	if n < 8 || width < 8 || u0 > 8 || width-u0-n > 8 {
		z = 4
	}
	if rows <= 0 || n < z || width < z || u0 > z || width-u0-n > z || u0+n > width {
		return false
	}
	_ = src[(rows-1)*spitch+2*n-1]
	_, _ = d0[(rows-1)*dpitch+width-1], d1[(rows-1)*dpitch+width-1]
	if z == 8 {
		deintRows8(&src[0], spitch, &d0[0], &d1[0], dpitch, rows, n, u0, width)
	} else {
		deintRows4(&src[0], spitch, &d0[0], &d1[0], dpitch, rows, n, u0, width)
	}
	return true
}

// interleaveRowsAsm runs intRows8 or intRows4 if n >= 4 and reports
// whether it did.
func interleaveRowsAsm(s0, s1 []float32, spitch int, dst []float32, dpitch, rows, n int) bool {
	if rows <= 0 || n < 4 {
		return false
	}
	_, _ = s0[(rows-1)*spitch+n-1], s1[(rows-1)*spitch+n-1]
	_ = dst[(rows-1)*dpitch+2*n-1]
	if n >= 8 {
		intRows8(&s0[0], &s1[0], spitch, &dst[0], dpitch, rows, n)
	} else {
		intRows4(&s0[0], &s1[0], spitch, &dst[0], dpitch, rows, n)
	}
	return true
}

// copyRows is the assembly form of copyRowsGo (rows >= 1 and the limits
// documented with it in the assembly).
//
//go:noescape
func copyRows(dst *float32, dpitch int, src *float32, spitch int, rows, n, left, width int)

//go:noescape
func copyRows4(dst *float32, dpitch int, src *float32, spitch int, rows, n, left, width int)

// copyRowsAsm runs copyRows, or copyRows4 for shorter rows, if the shape
// suits one of them and reports whether it did.
func copyRowsAsm(dst []float32, dpitch int, src []float32, spitch, rows, n, left, width int) bool {
	if rows <= 0 || left+n > width {
		return false
	}
	fn := copyRows
	switch {
	case n >= 8 && width >= 8 && left <= 8 && left+n >= width-8:
	case n >= 4 && width >= 4 && left <= 4 && left+n >= width-4:
		fn = copyRows4
	default:
		return false
	}
	_ = dst[(rows-1)*dpitch+width-1]
	_ = src[(rows-1)*spitch+n-1]
	fn(&dst[0], dpitch, &src[0], spitch, rows, n, left, width)
	return true
}

// dwTaps32 and dwDots32 are the assembly forms of dwTapsGo and dwDotsGo
// on nb blocks of dwBlock floats (nb, ntaps >= 1); off holds element
// offsets into src.
//
//go:noescape
func dwTaps32(dst *float32, nb int, src *float32, off *int, w *float32, ntaps int, init float32)

//go:noescape
func dwDots32(a *float32, nb int, src *float32, off *int, acc *float32, ntaps int)

// dwCheck panics unless every stream src[off[t]:][:n] lies inside src and
// w has a value for every tap: the assembly trusts its offsets.
func dwCheck(n, nsrc int, off []int, nw int) {
	if n <= 0 || n%dwBlock != 0 || len(off) == 0 || nw < len(off) {
		panic("kernels: bad depthwise kernel call")
	}
	for _, o := range off {
		if o < 0 || o+n > nsrc {
			panic("kernels: depthwise stream outside its buffer")
		}
	}
}

// dwTapsAsm runs dwTaps32 (see dwTaps).
func dwTapsAsm(dst, src []float32, off []int, w []float32, init float32) {
	dwCheck(len(dst), len(src), off, len(w))
	dwTaps32(&dst[0], len(dst)/dwBlock, &src[0], &off[0], &w[0], len(off), init)
}

// dwDotsAsm runs dwDots32 (see dwDots).
func dwDotsAsm(a, src []float32, off []int, acc []float32) {
	dwCheck(len(a), len(src), off, len(acc))
	dwDots32(&a[0], len(a)/dwBlock, &src[0], &off[0], &acc[0], len(off))
}

//go:noescape
func statSum4(x, a *float32, offs *[4]int, n4 int, mean float64, out *[16]float64)

//go:noescape
func statSqDev4(x, a *float32, offs *[4]int, n4 int, mean float64, out *[16]float64)

//go:noescape
func statDotDev4(x, a *float32, offs *[4]int, n4 int, mean float64, out *[16]float64)

//go:noescape
func linComb8(dst, u, v *float32, n8 int, a, b, c float32)

// statLanesAsm computes the four lane sums of segments i0 … i0+m−1 (m <=
// 4, the missing ones repeating the last) into lanes with statSum4,
// statSqDev4 or statDotDev4; channelReduce has checked the bounds.
func statLanesAsm(x, a []float32, i0, m, pitch, n4 int, mean float64, kind int, lanes *[16]float64) {
	var offs [4]int
	for s := range offs {
		offs[s] = (i0 + min(s, m-1)) * pitch
	}
	switch kind {
	case statSqDev:
		statSqDev4(&x[0], nil, &offs, n4, mean, lanes)
	case statDotDev:
		statDotDev4(&x[0], &a[0], &offs, n4, mean, lanes)
	default:
		statSum4(&x[0], nil, &offs, n4, mean, lanes)
	}
}

// winoIn8 and winoOut8 are the assembly forms of winoInGo and winoOutGo
// (nc, nf >= 1).
//
//go:noescape
func winoIn8(x *float32, off, w, plane, nc int, dst *float32, dstC, dstX int, mask *int32)

//go:noescape
func winoOut8(m *float32, mF, mX, nf int, bias *float32, dst *float32, pitch, plane int)

// winoInAsm runs winoIn8 (winoIn has checked the bounds; the masked
// loads read nothing outside the input).
func winoInAsm(x []float32, off, w, plane, nc int, dst []float32, dstC, dstX int, mask []int32) {
	winoIn8(&x[0], off, w, plane, nc, &dst[0], dstC, dstX, &mask[0])
}

// winoOutAsm runs winoOut8 (winoOut has checked the bounds).
func winoOutAsm(m []float32, mF, mX, nf int, bias, dst []float32, pitch, plane int) {
	winoOut8(&m[0], mF, mX, nf, &bias[0], &dst[0], pitch, plane)
}

//go:noescape
func winoDy8(src *float32, pitch, plane, nf int, dst *float32, dstF, dstX int)

// winoDyAsm runs winoDy8 (winoDy has checked the bounds).
func winoDyAsm(src []float32, pitch, plane, nf int, dst []float32, dstF, dstX int) {
	winoDy8(&src[0], pitch, plane, nf, &dst[0], dstF, dstX)
}

// winoIn4x8 and winoOut4x8 are the assembly forms of winoIn4Go and
// winoOut4Go (nc, nf >= 1), with tmp as scratch.
//
//go:noescape
func winoIn4x8(x *float32, off, w, plane, nc int, dst *float32, dstC, dstX int, tmp *float32, mask *int32)

//go:noescape
func winoOut4x8(m *float32, mF, mX, nf int, bias *float32, dst *float32, pitch, plane int, tmp *float32, ncols, nrows, rem int)

// winoIn4Asm runs winoIn4x8 (winoIn4 has checked the bounds; the masked
// loads read nothing outside the input).
func winoIn4Asm(x []float32, off, w, plane, nc int, dst []float32, dstC, dstX int, tmp []float32, mask []int32) {
	winoIn4x8(&x[0], off, w, plane, nc, &dst[0], dstC, dstX, &tmp[0], &mask[0])
}

//go:noescape
func winoOut4x8z(m *float32, mF, mX, nf int, bias *float32, dst *float32, pitch, plane int, tmp *float32, ncols, nrows, rem int)

// winoOut4Asm runs winoOut4x8, or its AVX-512VL form winoOut4x8z where
// useAVX512 allows it and the CPU has AVX-512VL (winoOut4 has checked the
// bounds). Both give the same bits.
func winoOut4Asm(m []float32, mF, mX, nf int, bias, dst []float32, pitch, plane int, tmp []float32, ncols, nrows int) {
	if useAVX512 && hasAVX512VL {
		winoOut4x8z(&m[0], mF, mX, nf, &bias[0], &dst[0], pitch, plane, &tmp[0], ncols, nrows, ncols%8)
		return
	}
	winoOut4x8(&m[0], mF, mX, nf, &bias[0], &dst[0], pitch, plane, &tmp[0], ncols, nrows, ncols%8)
}

// winoDy4x8 is the assembly form of winoDy4Go (nf >= 1), with tmp as
// scratch and the load masks of the window's columns (cmask, 32 lanes)
// and rows (rmask, 8 lanes a row).
//
//go:noescape
func winoDy4x8(src *float32, pitch, plane, nf int, dst *float32, dstF, dstX int, tmp *float32, cmask, rmask *int32)

// winoDy4Asm runs winoDy4x8 (winoDy4 has checked the bounds; the masked
// loads read nothing outside the window).
func winoDy4Asm(src []float32, pitch, plane, nf int, dst []float32, dstF, dstX int, tmp []float32, cmask, rmask *int32) {
	winoDy4x8(&src[0], pitch, plane, nf, &dst[0], dstF, dstX, &tmp[0], cmask, rmask)
}
