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

// dotKernel2x4 computes C[2*m2 × 4] += A·Bᵀ over 8*k8 columns; see
// dotKernelGo.
//
//go:noescape
func dotKernel2x4(k8, m2 int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

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

func dotAsm(k8, m2 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	_ = a[(2*m2-1)*lda+8*k8-1]
	_ = b[3*ldb+8*k8-1]
	_ = c[(2*m2-1)*ldc+3]
	dotKernel2x4(k8, m2, &a[0], lda, &b[0], ldb, &c[0], ldc)
}
