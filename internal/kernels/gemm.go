package kernels

import (
	"fmt"
	"os"
)

// Micro-kernel tile: mr rows of C by nr columns (two halves of 8).
const (
	mr = 5
	nr = 16
)

// Cache blocking of the general Sgemm driver.
const (
	blockK = 256 // depth of packed panels
	blockM = 240 // rows of A packed at once (multiple of mr)
	blockN = 512 // columns of B packed at once (multiple of nr)
)

// useAsm selects the assembly kernels, useAVX512 allows the AVX-512 GEMM
// micro-kernel among them, and autoAVX512 leaves the choice between it and
// the AVX2 one to measurement, per depth class (see prefer512); without
// autoAVX512, useAVX512 forces it. They start from the CPU's features and
// the environment variable GOCNN_KERNELS (see kernelPaths), and tests
// switch them to exercise every path.
var useAsm, useAVX512, autoAVX512 = kernelPaths(os.Getenv("GOCNN_KERNELS"))

// kernelPaths returns useAsm, useAVX512 and autoAVX512 for a GOCNN_KERNELS
// value: "go" runs no assembly, "avx2" no AVX-512, "avx512" the AVX-512
// GEMM kernel wherever the CPU has AVX-512F; any other value (or none)
// lets the measurement choose between AVX2 and AVX-512 where the CPU has
// both.
func kernelPaths(limit string) (asm, avx512, auto bool) {
	switch limit {
	case "go":
		return false, false, false
	case "avx2":
		return hasAsm, false, false
	case "avx512":
		return hasAsm, hasAVX512, false
	}
	return hasAsm, hasAVX512, hasAVX512
}

// Flags of the micro-kernel.
const (
	kAdd = 1 // add the tile to C instead of overwriting C
)

// kernel computes, for every tile u < len(bsrc)/2, the 5×16 tile
//
//	T[r][8h+l] = bias[r] + Σ_{p<k} a[5p+r] · b[bsrc[2u+h] + boff[p] + l]   (r < 5, h < 2, l < 8)
//
// from a packed 5-row panel a (see packA): each tile's 16 columns are two
// halves of 8 whose B rows start at bsrc[2u] and bsrc[2u+1]. bias may be
// nil (zero). The tile is stored to c[csrc[2u+h] + coff[r] + l], or with
// kAdd added there, the ten 8-float row halves being updated one after
// another (so they may overlap). csrc must have at least as many entries
// as bsrc.
//
// The offset tables let one kernel serve a packed GEMM (boff[p] = 16p,
// coff[r] = r*ldc), the convolution forward pass (boff = patch offsets into
// the image, bsrc = chunk positions in the image) and the backward data
// pass (coff and csrc = patch and chunk offsets into the image gradient).
func kernel(k int, a []float32, boff []int32, b []float32, bsrc []int32, coff []int32, c []float32, csrc []int32, bias []float32, flags int) {
	if useAsm {
		kernelAsm(k, a, boff, b, bsrc, coff, c, csrc, bias, flags)
		return
	}
	kernelGo(k, a, boff, b, bsrc, coff, c, csrc, bias, flags)
}

// kernelGo is the portable micro-kernel. Each pass keeps the eight
// accumulators of one row half in registers.
func kernelGo(k int, a []float32, boff []int32, b []float32, bsrc []int32, coff []int32, c []float32, csrc []int32, bias []float32, flags int) {
	a = a[:mr*k]
	boff = boff[:k]
	var t [mr][nr]float32
	for u := 0; u+1 < len(bsrc); u += 2 {
		for r := 0; r < mr; r++ {
			var bv float32
			if bias != nil {
				bv = bias[r]
			}
			for h := 0; h < 2; h++ {
				bh := b[bsrc[u+h]:]
				c0, c1, c2, c3, c4, c5, c6, c7 := bv, bv, bv, bv, bv, bv, bv, bv
				for p, o := range boff {
					av := a[p*mr+r]
					bp := (*[8]float32)(bh[o : o+8])
					c0 += av * bp[0]
					c1 += av * bp[1]
					c2 += av * bp[2]
					c3 += av * bp[3]
					c4 += av * bp[4]
					c5 += av * bp[5]
					c6 += av * bp[6]
					c7 += av * bp[7]
				}
				t[r][8*h], t[r][8*h+1], t[r][8*h+2], t[r][8*h+3] = c0, c1, c2, c3
				t[r][8*h+4], t[r][8*h+5], t[r][8*h+6], t[r][8*h+7] = c4, c5, c6, c7
			}
		}
		for r := 0; r < mr; r++ {
			for h := 0; h < 2; h++ {
				o := csrc[u+h] + coff[r]
				d := (*[8]float32)(c[o : o+8])
				for l, v := range t[r][8*h : 8*h+8] {
					if flags&kAdd != 0 {
						d[l] += v
					} else {
						d[l] = v
					}
				}
			}
		}
	}
}

// dotRows and dotCols are the tile size of the dot-product kernel.
const (
	dotRows = 4
	dotCols = 3
)

// dot computes, for r < 4 and j < 3,
//
//	C[r*ldc+j] += Σ_{n<nimg, t<nch} Σ_{l<8} A_r(n,t)[l] · B_j(n,t)[l]
//
// where A_r(n,t) starts at a[n*aimg + r*lda + 8t] and B_j(n,t) at
// b[n*bimg + boff[j] + src[t]]. It is the kernel of the convolution filter
// gradient (A = output gradient rows, B = image patches read in place):
// both operands are contiguous along the summed dimension, and the sum
// runs over all chunks of a block of images in eight lanes before the one
// horizontal reduction, ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)).
func dot(nimg int, a []float32, lda, aimg int, src []int32, b []float32, boff []int32, bimg int, c []float32, ldc int) {
	if useAsm {
		dotAsm(nimg, a, lda, aimg, src, b, boff, bimg, c, ldc)
		return
	}
	dotGo(nimg, a, lda, aimg, src, b, boff, bimg, c, ldc)
}

// dotGo is the portable dot-product kernel.
func dotGo(nimg int, a []float32, lda, aimg int, src []int32, b []float32, boff []int32, bimg int, c []float32, ldc int) {
	for r := 0; r < dotRows; r++ {
		for j := 0; j < dotCols; j++ {
			var acc [8]float32
			for n := 0; n < nimg; n++ {
				ar := a[n*aimg+r*lda:]
				bj := b[n*bimg+int(boff[j]):]
				for t, o := range src {
					av := (*[8]float32)(ar[8*t : 8*t+8])
					bv := (*[8]float32)(bj[o : o+8])
					for l := range acc {
						acc[l] += av[l] * bv[l]
					}
				}
			}
			c[r*ldc+j] += ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
		}
	}
}

// sum returns the sum of x, whose length is a multiple of 8, summed in
// eight lanes.
func sum(x []float32) float32 {
	if useAsm {
		return sumAsm(x)
	}
	return sumGo(x)
}

// sumGo is the portable form of sum: lanes l < 8 sum x[8i+l], and the lane
// sums are added as ((l0+l4)+(l2+l6))+((l1+l5)+(l3+l7)).
func sumGo(x []float32) float32 {
	var acc [8]float32
	for i := 0; i+8 <= len(x); i += 8 {
		v := (*[8]float32)(x[i : i+8])
		for l := range acc {
			acc[l] += v[l]
		}
	}
	return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

// packedASize is the length of a packed A of m rows and depth k.
func packedASize(m, k int) int { return (m + mr - 1) / mr * mr * k }

// packedBSize is the length of a packed B of depth k and n columns.
func packedBSize(k, n int) int { return (n + nr - 1) / nr * nr * k }

// packA packs alpha·op(A)[m×k] into panels of mr rows: element (i, p) goes
// to dst[(i/mr)*mr*k + p*mr + i%mr]. Rows of the last panel past m are
// zero. op(A)(i,p) is a[i*lda+p], or a[p*lda+i] when trans.
func packA(trans bool, m, k int, alpha float32, a []float32, lda int, dst []float32) {
	for i0 := 0; i0 < m; i0 += mr {
		panel := dst[i0*k : i0*k+mr*k]
		rows := min(mr, m-i0)
		if !trans && rows == mr {
			// Five rows read side by side, each panel column written
			// whole (a write per value at a stride of five is slower).
			a0 := a[i0*lda : i0*lda+k]
			a1 := a[(i0+1)*lda : (i0+1)*lda+k]
			a2 := a[(i0+2)*lda : (i0+2)*lda+k]
			a3 := a[(i0+3)*lda : (i0+3)*lda+k]
			a4 := a[(i0+4)*lda : (i0+4)*lda+k]
			for p := range a0 {
				d := (*[mr]float32)(panel[p*mr : p*mr+mr])
				if alpha == 1 {
					d[0], d[1], d[2], d[3], d[4] = a0[p], a1[p], a2[p], a3[p], a4[p]
				} else {
					d[0], d[1], d[2], d[3], d[4] = alpha*a0[p], alpha*a1[p], alpha*a2[p], alpha*a3[p], alpha*a4[p]
				}
			}
		} else if !trans {
			for r := 0; r < rows; r++ {
				src := a[(i0+r)*lda : (i0+r)*lda+k]
				if alpha == 1 {
					for p, v := range src {
						panel[p*mr+r] = v
					}
				} else {
					for p, v := range src {
						panel[p*mr+r] = alpha * v
					}
				}
			}
		} else {
			for p := 0; p < k; p++ {
				src := a[p*lda+i0 : p*lda+i0+rows]
				d := panel[p*mr : p*mr+mr]
				for r, v := range src {
					d[r] = alpha * v
				}
			}
		}
		if rows < mr {
			for p := 0; p < k; p++ {
				d := panel[p*mr : p*mr+mr]
				for r := rows; r < mr; r++ {
					d[r] = 0
				}
			}
		}
	}
}

// packB packs op(B)[k×n] into panels of nr columns: element (p, j) goes to
// dst[(j/nr)*nr*k + p*nr + j%nr]. Columns of the last panel past n are
// zero. op(B)(p,j) is b[p*ldb+j], or b[j*ldb+p] when trans.
func packB(trans bool, k, n int, b []float32, ldb int, dst []float32) {
	for j0 := 0; j0 < n; j0 += nr {
		panel := dst[j0*k : j0*k+nr*k]
		cols := min(nr, n-j0)
		if !trans {
			if cols == nr {
				for p := 0; p < k; p++ {
					*(*[nr]float32)(panel[p*nr : p*nr+nr]) = *(*[nr]float32)(b[p*ldb+j0 : p*ldb+j0+nr])
				}
				continue
			}
			for p := 0; p < k; p++ {
				d := panel[p*nr : p*nr+nr]
				copy(d, b[p*ldb+j0:p*ldb+j0+cols])
				clear(d[cols:])
			}
		} else {
			for c := 0; c < cols; c++ {
				src := b[(j0+c)*ldb : (j0+c)*ldb+k]
				for p, v := range src {
					panel[p*nr+c] = v
				}
			}
			if cols < nr {
				for p := 0; p < k; p++ {
					clear(panel[p*nr+cols : p*nr+nr])
				}
			}
		}
	}
}

// maxPanelK is the largest depth of packed panels (the length of boff16).
const maxPanelK = 1024

// boff16 is the row-offset table of a packed B panel (rows nr apart).
var boff16 = func() (t [maxPanelK]int32) {
	for p := range t {
		t[p] = int32(p * nr)
	}
	return t
}()

// halves and tileOff are the offset tables of one dense 5×16 tile: its two
// column halves and its rows (row stride nr).
var (
	halves  = [2]int32{0, 8}
	tileOff = [mr]int32{0, nr, 2 * nr, 3 * nr, 4 * nr}
)

// gemmPanels computes C[m×n] += Ap·Bp (add) or C = Ap·Bp for a packed A
// (see packA) and a packed B (see packB) of depth k <= maxPanelK.
func gemmPanels(m, n, k int, ap, bp []float32, c []float32, ldc int, add bool) {
	if m <= 0 || n <= 0 || k <= 0 {
		return
	}
	coff := [mr]int32{0, int32(ldc), int32(2 * ldc), int32(3 * ldc), int32(4 * ldc)}
	var tmp [mr * nr]float32
	boff := boff16[:k]
	flags := 0
	if add {
		flags = kAdd
	}
	// edge computes the tile at row i and column j of mb < mr rows or nb <
	// nr columns through tmp.
	edge := func(i, j, mb, nb int) {
		kernel(k, ap[i*k:i*k+mr*k], boff, bp[j*k:], halves[:], tileOff[:], tmp[:], halves[:], nil, 0)
		for r := 0; r < mb; r++ {
			cr := c[(i+r)*ldc+j : (i+r)*ldc+j+nb]
			if !add {
				copy(cr, tmp[r*nr:])
				continue
			}
			for q := range cr {
				cr[q] += tmp[r*nr+q]
			}
		}
	}
	for j := 0; j < n; {
		// Two full column tiles go to the kernel in one call, which the
		// AVX-512 kernel runs side by side; each tile's values are the
		// same either way.
		tiles := 1
		if n-j >= 2*nr {
			tiles = 2
		}
		nb := min(nr, n-j)
		var bsrc, csrc [4]int32
		for u := range tiles {
			jj := j + u*nr
			bsrc[2*u], bsrc[2*u+1] = int32(jj*k), int32(jj*k+8)
			csrc[2*u], csrc[2*u+1] = int32(jj), int32(jj+8)
		}
		for i := 0; i < m; i += mr {
			mb := min(mr, m-i)
			if mb == mr && nb == nr {
				kernel(k, ap[i*k:i*k+mr*k], boff, bp, bsrc[:2*tiles], coff[:], c[i*ldc:], csrc[:2*tiles], nil, flags)
				continue
			}
			for u := range tiles {
				edge(i, j+u*nr, mb, nb)
			}
		}
		j += tiles * nr
	}
}

// checkGemm panics unless the dimensions are not negative and a, b and c
// hold op(A) m×k, op(B) k×n and C m×n with their leading dimensions.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("kernels: negative Sgemm dimension")
	}
	if transA {
		checkMat("A", a, k, m, lda)
	} else {
		checkMat("A", a, m, k, lda)
	}
	if transB {
		checkMat("B", b, n, k, ldb)
	} else {
		checkMat("B", b, k, n, ldb)
	}
	checkMat("C", c, m, n, ldc)
}

// checkMat panics unless a holds a rows×cols row-major matrix with leading
// dimension ld.
func checkMat(name string, a []float32, rows, cols, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("kernels: %s leading dimension %d < %d", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(a) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels: %s has length %d, need %d for %dx%d with ld %d", name, len(a), (rows-1)*ld+cols, rows, cols, ld))
	}
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(A) is m×k, op(B) is k×n and C is m×n; op(X) is Xᵀ when the
// corresponding trans flag is set. lda, ldb and ldc are the leading
// dimensions (row strides) of the matrices as stored, as in CBLAS with
// CblasRowMajor. With beta == 0, C is not read (NaNs in C do not
// propagate). Sgemm runs on the calling goroutine only; see MatMul for a
// parallel version.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if beta != 1 {
		for i := 0; i < m; i++ {
			cr := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(cr)
			} else {
				for j := range cr {
					cr[j] *= beta
				}
			}
		}
	}
	if alpha == 0 || k == 0 {
		return
	}
	if m <= gemvMaxRows && !transB {
		for i := 0; i < m; i++ {
			if transA {
				gemvRow(true, n, k, alpha, a[i:], lda, b, ldb, c[i*ldc:])
			} else {
				gemvRow(false, n, k, alpha, a[i*lda:], lda, b, ldb, c[i*ldc:])
			}
		}
		return
	}
	sgemmPacked(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
}

// sgemmPacked adds alpha·op(A)·op(B) to C through packed panels of A and
// B, the general path of Sgemm.
func sgemmPacked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	kc0 := min(k, blockK)
	nc0 := min(n, blockN)
	mc0 := min(m, blockM)
	bp := getBuf(packedBSize(kc0, nc0))
	ap := getBuf(packedASize(mc0, kc0))
	for pc := 0; pc < k; pc += blockK {
		kb := min(blockK, k-pc)
		for jc := 0; jc < n; jc += blockN {
			nb := min(blockN, n-jc)
			if transB {
				packB(true, kb, nb, b[jc*ldb+pc:], ldb, *bp)
			} else {
				packB(false, kb, nb, b[pc*ldb+jc:], ldb, *bp)
			}
			for ic := 0; ic < m; ic += blockM {
				mb := min(blockM, m-ic)
				if transA {
					packA(true, mb, kb, alpha, a[pc*lda+ic:], lda, *ap)
				} else {
					packA(false, mb, kb, alpha, a[ic*lda+pc:], lda, *ap)
				}
				gemmPanels(mb, nb, kb, *ap, *bp, c[ic*ldc+jc:], ldc, true)
			}
		}
	}
	putBuf(ap)
	putBuf(bp)
}

// gemvCols is the width of the single-row kernel gemv32.
const gemvCols = 32

// gemvMaxRows is the most rows of op(A) for which Sgemm and MatMul form
// each row of C on its own by gemvRow, reading B in place, instead of
// packing A and B: packing costs as much as the product itself when A has
// only a few rows (BenchmarkGemv).
const gemvMaxRows = 4

// gemvRow adds alpha·op(A)·B to C for op(A) a single row (a[p], or
// a[p*lda] when transA) and B not transposed. It reads B in place instead
// of packing it, which dominates a single row's cost, and sums over k in
// Sgemm's blocks with the micro-kernel's order of fused multiply-adds, so
// each value is the one the packed path gives. Groups of gemvCols columns
// are shared out over goroutines when the product is large; a small one
// runs on the calling goroutine.
func gemvRow(transA bool, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32) {
	var av []float32
	if !transA && alpha == 1 {
		av = a[:k:k]
	} else {
		ap := getBuf(k)
		defer putBuf(ap)
		av = (*ap)[:k]
		for p := range av {
			v := a[p]
			if transA {
				v = a[p*lda]
			}
			av[p] = alpha * v // as packA scales
		}
	}
	groups := (n + gemvCols - 1) / gemvCols
	if groups > 1 && k*n >= 1<<16 {
		ParallelFor(groups, func(lo, hi int) { gemvGroups(lo, hi, n, k, av, b, ldb, c) })
	} else {
		gemvGroups(0, groups, n, k, av, b, ldb, c) // no closure: nothing to allocate
	}
}

// gemvGroups adds a·B to C in the column groups [lo, hi) of gemvCols
// columns (the last one may be narrower), summing over k in Sgemm's
// blocks.
func gemvGroups(lo, hi, n, k int, a, b []float32, ldb int, c []float32) {
	for g := lo; g < hi; g++ {
		j := g * gemvCols
		t := min(gemvCols, n-j)
		whole := k / blockK * blockK
		if useAsm && t <= 16 && whole >= 2*blockK && (whole-1)*ldb+j+16 <= len(b) {
			// The whole blocks side by side, four at a time (a sum
			// over one block is a chain of dependent multiply-adds,
			// which a few columns cannot fill), then the rest. Their
			// rows are read 16 values wide, which the test above
			// keeps inside b.
			for pc := 0; pc < whole; pc += 4 * blockK {
				nb := min(4, (whole-pc)/blockK)
				gemvBlocksAsm(blockK, nb, a[pc:], b[pc*ldb+j:], ldb, c[j:], t)
			}
			if whole < k {
				gemvTailAsm(k-whole, a[whole:], b[whole*ldb+j:], ldb, c[j:], t)
			}
			continue
		}
		if useAsm && t == gemvCols && g+1 < hi && n-j >= 2*gemvCols {
			// Two whole groups side by side (gemv64).
			for pc := 0; pc < k; pc += blockK {
				gemv64Asm(min(blockK, k-pc), a[pc:], b[pc*ldb+j:], ldb, c[j:])
			}
			g++
			continue
		}
		for pc := 0; pc < k; pc += blockK {
			kb := min(blockK, k-pc)
			switch {
			case !useAsm:
				gemvGo(kb, a[pc:], b[pc*ldb+j:], ldb, c[j:j+t])
			case t == gemvCols:
				gemvAsm(kb, a[pc:], b[pc*ldb+j:], ldb, c[j:])
			default:
				gemvTailAsm(kb, a[pc:], b[pc*ldb+j:], ldb, c[j:], t)
			}
		}
	}
}

// gemvGo is the portable form of gemv32 and gemvTail: c[j] += Σ_{p<k}
// a[p]·b[p*ldb+j] for j < len(c), each sum formed from zero in p order by
// the expression kernelGo uses, then added to c.
func gemvGo(k int, a, b []float32, ldb int, c []float32) {
	a = a[:k]
	j := 0
	for ; j+8 <= len(c); j += 8 {
		var c0, c1, c2, c3, c4, c5, c6, c7 float32
		for p, av := range a {
			bp := (*[8]float32)(b[p*ldb+j : p*ldb+j+8])
			c0 += av * bp[0]
			c1 += av * bp[1]
			c2 += av * bp[2]
			c3 += av * bp[3]
			c4 += av * bp[4]
			c5 += av * bp[5]
			c6 += av * bp[6]
			c7 += av * bp[7]
		}
		d := (*[8]float32)(c[j : j+8])
		d[0] += c0
		d[1] += c1
		d[2] += c2
		d[3] += c3
		d[4] += c4
		d[5] += c5
		d[6] += c6
		d[7] += c7
	}
	for ; j < len(c); j++ {
		var s float32
		for p, av := range a {
			s += av * b[p*ldb+j]
		}
		c[j] += s
	}
}

// MatMul computes C = op(A)·op(B) with C[m×n] overwritten, op(A) m×k and
// op(B) k×n, all densely packed row-major (leading dimensions equal to the
// stored widths). Unlike Sgemm it splits large products over up to
// runtime.GOMAXPROCS(0) goroutines: B is packed once, in parallel, and the
// rows of C are shared out (or, when C has few rows, its columns).
func MatMul(transA, transB bool, m, n, k int, a, b, c []float32) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	ldc := n
	if 2*m*n*k < 1<<17 || workers(m*n) == 1 || (m <= gemvMaxRows && !transB) {
		Sgemm(transA, transB, m, n, k, 1, a, max(lda, 1), b, max(ldb, 1), 0, c, max(ldc, 1))
		return
	}
	mp := (m + mr - 1) / mr
	// Every path sums over k in the blocks of Sgemm (one block when
	// k <= blockK), so the result does not depend on which path runs, nor
	// on GOMAXPROCS.
	if k <= blockK && (mp >= 2*workers(mp) || n < 2*nr) {
		checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
		bp := getBuf(packedBSize(k, n))
		ParallelFor((n+nr-1)/nr, func(lo, hi int) {
			j0, j1 := lo*nr, min(hi*nr, n)
			var bs []float32
			if transB {
				bs = b[j0*ldb:]
			} else {
				bs = b[j0:]
			}
			packB(transB, k, j1-j0, bs, ldb, (*bp)[j0*k:])
		})
		ParallelFor(mp, func(lo, hi int) {
			r0, r1 := lo*mr, min(hi*mr, m)
			var as []float32
			if transA {
				as = a[r0:]
			} else {
				as = a[r0*lda:]
			}
			ap := getBuf(packedASize(r1-r0, k))
			packA(transA, r1-r0, k, 1, as, lda, *ap)
			gemmPanels(r1-r0, n, k, *ap, *bp, c[r0*ldc:], ldc, false)
			putBuf(ap)
		})
		putBuf(bp)
		return
	}
	if mp >= 2*workers(mp) || n < 2*nr {
		ParallelFor(mp, func(lo, hi int) {
			r0, r1 := lo*mr, min(hi*mr, m)
			var as []float32
			if transA {
				as = a[r0:]
			} else {
				as = a[r0*lda:]
			}
			Sgemm(transA, transB, r1-r0, n, k, 1, as, lda, b, ldb, 0, c[r0*ldc:], ldc)
		})
		return
	}
	np := (n + nr - 1) / nr
	ParallelFor(np, func(lo, hi int) {
		c0, c1 := lo*nr, min(hi*nr, n)
		var bs []float32
		if transB {
			bs = b[c0*ldb:]
		} else {
			bs = b[c0:]
		}
		Sgemm(transA, transB, m, c1-c0, k, 1, a, lda, bs, ldb, 0, c[c0:], ldc)
	})
}

// Path names the kernels this process runs: "AVX-512F+FMA" when the
// AVX-512 GEMM micro-kernel is forced (GOCNN_KERNELS=avx512, with the AVX2
// kernels for the rest), "AVX2+FMA" when the AVX2 ones are, "pure Go"
// otherwise (a CPU without AVX2 and FMA, another architecture, a build
// with the "noasm" tag, or GOCNN_KERNELS=go). Where the choice of the GEMM
// kernel is left to measurement, it is "AVX2+FMA/AVX-512F by measurement"
// followed by the choice of every depth class, which Path measures if
// that has not happened yet (about a millisecond).
func Path() string {
	switch {
	case useAsm && useAVX512 && autoAVX512:
		return "AVX2+FMA/AVX-512F by measurement (" + autoPicks() + ")"
	case useAsm && useAVX512:
		return "AVX-512F+FMA"
	case useAsm:
		return "AVX2+FMA"
	}
	return "pure Go"
}
