//go:build amd64 && !noasm

package kernels

// cpuid executes the CPUID instruction with the given leaf and sub-leaf.
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// xgetbv reads extended control register 0.
func xgetbv() (eax, edx uint32)

// sgemmKernel5x16 computes C[5x16] += A·B where a points to a packed 5-row
// panel of depth k (a[p*5+r]) and b to k rows of 16 floats separated by ldb
// elements. ldc is the row stride of C in elements.
//
//go:noescape
func sgemmKernel5x16(k int, a, b *float32, ldb int, c *float32, ldc int)

// dotKernel3x4 computes C[3*m3 × 4] += A·Bᵀ over 8*k8 columns; see
// dotKernelGo.
//
//go:noescape
func dotKernel3x4(k8, m3 int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// hasAsm reports whether the AVX2+FMA micro-kernel can run on this CPU.
var hasAsm = detectAVX2FMA()

func detectAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	// The OS must save the XMM and YMM state.
	xcr0, _ := xgetbv()
	if xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

func kernelAsm(k int, a, b []float32, ldb int, c []float32, ldc int) {
	// Bounds are guaranteed by the callers (gemmPanels); touch the last
	// elements so that a bug shows up as a panic instead of memory corruption.
	_ = a[5*k-1]
	_ = b[(k-1)*ldb+15]
	_ = c[4*ldc+15]
	sgemmKernel5x16(k, &a[0], &b[0], ldb, &c[0], ldc)
}

func dotAsm(k8, m3 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	_ = a[(3*m3-1)*lda+8*k8-1]
	_ = b[3*ldb+8*k8-1]
	_ = c[(3*m3-1)*ldc+3]
	dotKernel3x4(k8, m3, &a[0], lda, &b[0], ldb, &c[0], ldc)
}

//go:noescape
func reluForward8(x, y *float32, n8 int)

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

//go:noescape
func maxPool2x2Row(r0, r1, y *float32, am *int32, n8 int, base, w int32)

// maxPool2x2Asm pools the first 8*(len(y)/8) windows of a row pair with
// AVX and returns how many it did. am may be nil.
func maxPool2x2Asm(r0, r1, y []float32, am []int32, base, w int32) int {
	n8 := len(y) / 8
	if n8 == 0 {
		return 0
	}
	_ = r0[16*n8-1]
	_ = r1[16*n8-1]
	var ap *int32
	if am != nil {
		_ = am[8*n8-1]
		ap = &am[0]
	}
	maxPool2x2Row(&r0[0], &r1[0], &y[0], ap, n8, base, w)
	return 8 * n8
}

//go:noescape
func addTo8(dst, src *float32, n8 int)

// addToAsm adds the multiple-of-8 prefix of src into dst with AVX and
// returns how many elements it did.
func addToAsm(dst, src []float32) int {
	n8 := len(src) / 8
	if n8 == 0 {
		return 0
	}
	_ = dst[8*n8-1]
	addTo8(&dst[0], &src[0], n8)
	return 8 * n8
}
