package kernels

import "fmt"

// Micro-kernel tile: mr rows of C by nr columns.
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

// useAsm selects the assembly micro-kernel. It is initialised from the CPU
// features and may be switched off by tests to exercise the Go fallback.
var useAsm = hasAsm

// kernel computes C[mr×nr] += A·B, see sgemmKernel5x16 for the layout.
func kernel(k int, a, b []float32, ldb int, c []float32, ldc int) {
	if useAsm {
		kernelAsm(k, a, b, ldb, c, ldc)
		return
	}
	kernelGo(k, a, b, ldb, c, ldc)
}

// kernelGo is the portable micro-kernel: C[5×16] += A·B with a packed as
// a[p*5+r] and row p of B at b[p*ldb : p*ldb+16]. Each pass keeps eight
// accumulators of one half row in registers.
func kernelGo(k int, a, b []float32, ldb int, c []float32, ldc int) {
	if k <= 0 {
		return
	}
	a = a[:5*k]
	_ = b[(k-1)*ldb+15]
	for r := 0; r < mr; r++ {
		cr := c[r*ldc : r*ldc+16]
		for h := 0; h < 16; h += 8 {
			var c0, c1, c2, c3, c4, c5, c6, c7 float32
			off := h
			for p := r; p < len(a); p += mr {
				av := a[p]
				bp := (*[8]float32)(b[off : off+8])
				c0 += av * bp[0]
				c1 += av * bp[1]
				c2 += av * bp[2]
				c3 += av * bp[3]
				c4 += av * bp[4]
				c5 += av * bp[5]
				c6 += av * bp[6]
				c7 += av * bp[7]
				off += ldb
			}
			cp := (*[8]float32)(cr[h : h+8])
			cp[0] += c0
			cp[1] += c1
			cp[2] += c2
			cp[3] += c3
			cp[4] += c4
			cp[5] += c5
			cp[6] += c6
			cp[7] += c7
		}
	}
}

// dotRows is the number of A rows in a dot-product tile.
const dotRows = 3

// dot computes C[3*m3 × 4] += A·Bᵀ over 8*k8 columns, see dotKernelGo.
func dot(k8, m3 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if useAsm {
		dotAsm(k8, m3, a, lda, b, ldb, c, ldc)
		return
	}
	dotKernelGo(k8, m3, a, lda, b, ldb, c, ldc)
}

// dotKernelGo computes C[i][j] += Σ_{p < 8*k8} A[i][p]·B[j][p] for
// i < 3*m3 and j < 4, where row i of A starts at a[i*lda], row j of B at
// b[j*ldb] and C[i][j] is c[i*ldc+j]. It is the kernel of the convolution
// filter gradient, where both operands are contiguous along the summed
// dimension.
func dotKernelGo(k8, m3 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	n := 8 * k8
	b0, b1, b2, b3 := b[:n], b[ldb:ldb+n], b[2*ldb:2*ldb+n], b[3*ldb:3*ldb+n]
	for i := 0; i < dotRows*m3; i++ {
		var s0, s1, s2, s3 float32
		for p, x := range a[i*lda : i*lda+n] {
			s0 += x * b0[p]
			s1 += x * b1[p]
			s2 += x * b2[p]
			s3 += x * b3[p]
		}
		cr := (*[4]float32)(c[i*ldc : i*ldc+4])
		cr[0] += s0
		cr[1] += s1
		cr[2] += s2
		cr[3] += s3
	}
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
		if !trans {
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

// gemmPanels computes C[m×n] += Ap·B. Ap is a packed A (see packA) of depth
// k. The B panel for the columns [j, j+nr) starts at b[(j/nr)*bps] and its
// rows are ldb elements apart: bps = nr*k, ldb = nr for a packed B (see
// packB), or bps = nr and ldb = row stride for a plain row-major B. When
// bFull is false the last partial column panel may not be read past n, and
// it is copied into a zero-padded scratch panel first.
func gemmPanels(m, n, k int, ap, b []float32, bps, ldb int, bFull bool, c []float32, ldc int) {
	if m <= 0 || n <= 0 || k <= 0 {
		return
	}
	var tmp [mr * nr]float32
	var tail *[]float32
	for j := 0; j < n; j += nr {
		nb := min(nr, n-j)
		bt := b[(j/nr)*bps:]
		ldbt := ldb
		if nb < nr && !bFull {
			tail = getBuf(nr * k)
			t := *tail
			for p := 0; p < k; p++ {
				d := t[p*nr : p*nr+nr]
				copy(d, bt[p*ldb:p*ldb+nb])
				clear(d[nb:])
			}
			bt, ldbt = t, nr
		}
		for i := 0; i < m; i += mr {
			mb := min(mr, m-i)
			at := ap[i*k : i*k+mr*k]
			if mb == mr && nb == nr {
				kernel(k, at, bt, ldbt, c[i*ldc+j:], ldc)
				continue
			}
			tmp = [mr * nr]float32{}
			kernel(k, at, bt, ldbt, tmp[:], nr)
			for r := 0; r < mb; r++ {
				cr := c[(i+r)*ldc+j : (i+r)*ldc+j+nb]
				for q := range cr {
					cr[q] += tmp[r*nr+q]
				}
			}
		}
	}
	if tail != nil {
		putBuf(tail)
	}
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
				gemmPanels(mb, nb, kb, *ap, *bp, nr*kb, nr, true, c[ic*ldc+jc:], ldc)
			}
		}
	}
	putBuf(ap)
	putBuf(bp)
}

// MatMul computes C = op(A)·op(B) with C[m×n] overwritten, op(A) m×k and
// op(B) k×n, all densely packed row-major (leading dimensions equal to the
// stored widths). Unlike Sgemm it splits large products over up to
// runtime.GOMAXPROCS(0) goroutines, by rows of C (or by columns when C has
// few rows).
func MatMul(transA, transB bool, m, n, k int, a, b, c []float32) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	ldc := n
	if 2*m*n*k < 1<<17 || workers(m*n) == 1 {
		Sgemm(transA, transB, m, n, k, 1, a, max(lda, 1), b, max(ldb, 1), 0, c, max(ldc, 1))
		return
	}
	if mp := (m + mr - 1) / mr; mp >= 2*workers(mp) || n < 2*nr {
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
