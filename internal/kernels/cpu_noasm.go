//go:build !amd64 || noasm

package kernels

// hasAsm is false: this build has no assembly micro-kernel.
const hasAsm = false

func kernelAsm(k int, a, b []float32, ldb int, c []float32, ldc int) {
	kernelGo(k, a, b, ldb, c, ldc)
}

func dotAsm(k8, m2 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	dotKernelGo(k8, m2, a, lda, b, ldb, c, ldc)
}
