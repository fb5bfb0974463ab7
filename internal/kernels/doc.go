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
// Matrix products (Sgemm, MatMul, convolution forward and backward data)
// go through one register-blocked micro-kernel that computes a 5x16 tile of
// C from a packed 5-row panel of A and a 16-column panel of B. The filter
// gradient instead uses a dot-product kernel (3x4 tiles, vectorised along
// the output positions) because both of its operands are contiguous along
// the summed dimension, which avoids transposing the patch matrix. On amd64
// CPUs with AVX2 and FMA these kernels, ReLU, the 2x2/stride-2 max pool and
// the col2im accumulation are written in Go assembly; elsewhere, or when
// the package is built with the "noasm" tag, portable pure-Go code is used.
// The choice is made once at start-up by a CPUID/XGETBV check (the
// unexported variable useAsm, which the tests flip to cover both paths).
//
// Results are deterministic for a given GOMAXPROCS: per-worker partial sums
// of the filter gradients are reduced in a fixed order.
//
// Kernels panic when given slices that are too short for the described shape;
// shapes should be checked with ConvShape.Validate / PoolShape.Validate first.
package kernels
