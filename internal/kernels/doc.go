// Package kernels provides the float32 compute kernels of the CNN library:
// 2-D convolution (forward, backward data, backward filter), max and average
// pooling, ReLU, and a general matrix multiply (Sgemm / MatMul).
//
// All kernels work on plain []float32 slices in row-major / NCHW layout with
// weights in OIHW ([F, C, KH, KW], PyTorch) layout; they know nothing about
// Gorgonia, which wraps them into graph ops elsewhere.
//
// # Implementation
//
// Convolutions are lowered per image to matrix products: the input patch
// matrix (im2col) is built into a reusable scratch buffer and multiplied by
// the weight matrix, writing NCHW output directly. Images of a batch are
// distributed over runtime.GOMAXPROCS(0) goroutines by ParallelFor; every
// worker has its own scratch memory (recycled through sync.Pool), so steady
// state calls do not allocate large buffers.
//
// All matrix products go through one register-blocked micro-kernel that
// computes a 5x16 tile of C from a packed 5-row panel of A and a 16-column
// panel of B. On amd64 CPUs with AVX2 and FMA the micro-kernel is written in
// Go assembly (ten ymm accumulators); elsewhere, or when the package is built
// with the "noasm" tag, a portable pure-Go micro-kernel is used. The choice is
// made once at start-up by a CPUID check.
//
// Kernels panic when given slices that are too short for the described shape;
// shapes should be checked with ConvShape.Validate / PoolShape.Validate first.
package kernels
