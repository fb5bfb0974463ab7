//go:build !amd64 || noasm

package kernels

// hasAsm is false: this build has no assembly micro-kernel.
const hasAsm = false

func kernelAsm(k int, a, b []float32, ldb int, c []float32, ldc int) {
	kernelGo(k, a, b, ldb, c, ldc)
}
