//go:build !amd64 || noasm

package kernels

// hasAsm is false: this build has no assembly micro-kernel.
const hasAsm = false

func kernelAsm(k int, a, b []float32, ldb int, c []float32, ldc int) {
	kernelGo(k, a, b, ldb, c, ldc)
}

func dotAsm(k8, m3 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	dotKernelGo(k8, m3, a, lda, b, ldb, c, ldc)
}

func reluForwardAsm(x, y []float32) int { return 0 }

func reluBackwardAsm(y, dy, dx []float32) int { return 0 }

func maxPool2x2Asm(r0, r1, y []float32, am []int32, base, w int32) int { return 0 }

func addToAsm(dst, src []float32) int { return 0 }
