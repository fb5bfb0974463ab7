// Package kernels provides the float32 compute kernels of the CNN library:
// 2-D convolution (forward, backward data, backward filter, and the filter
// gradient through a max pool), max and average pooling (max pooling
// optionally with a fused ReLU), ReLU, and a general matrix multiply
// (Sgemm / MatMul).
//
// All kernels work on plain []float32 slices in row-major / NCHW layout with
// weights in OIHW ([F, C, KH, KW], PyTorch) layout; they know nothing about
// Gorgonia, which wraps them into graph ops elsewhere.
//
// # Convolutions
//
// Convolutions read their input in place ("implicit im2col", see
// convPlan): output rows are cut into chunks of 8 positions, and a patch
// row of eight windows is one unaligned 8-float load at a fixed offset from
// the chunk. Patch elements are taken in weight order (c, i, j), so the
// weights and filter gradients need no reordering. Shapes that do not fit
// that mould directly (padding, a column stride) are first copied into a
// prepared image (zero padded, columns split into stride phases) by
// vectorized row copies (copyRows, and deintRows/intRows for stride 2);
// the recipe's layers need no copy. A 1x1 convolution with unit strides
// runs over whole planes as single rows.
//
//   - Forward: a register-blocked micro-kernel computes 5 filters × 16
//     positions (two chunks) per tile from a packed weight panel, with the
//     bias in its epilogue, writing NCHW output in place: the last chunk
//     of an output row overlaps the one before, and when the filter count
//     is not a multiple of 5 the last panel overlaps the one before (the
//     overlapped values are computed twice, identically).
//   - Backward data: the same micro-kernel computes Wᵀ·dy tiles and adds
//     them straight into dx at the patch offsets (col2im fused into the
//     epilogue), with the patch rows ordered so that a tile's rows update
//     different image rows.
//   - Backward filter: a 4×3 dot-product kernel (4 filters × 3 patch
//     elements) sums over all the output positions of an L2-sized block of
//     images before reducing, reading dy and the patches in place; the
//     bias gradient is an 8-lane sum of dy.
//   - Backward filter through a max pool (Conv2DBackwardFilterPooled): when
//     the convolution's output only feeds a max pool, dy is zero except at
//     the pool's argmax, so each pooled window adds its gradient times one
//     input patch; dy is never formed and the work is proportional to the
//     pooled size. It pays for kernels of 5x5 and more, or one input
//     channel (PooledFilterGradPays); the ops package asks.
//
// # Winograd
//
// The passes of a 3x3, stride-1 convolution (any padding ConvShape
// allows) run as Winograd convolutions where that measures faster
// (winoTile): the forward pass and the data gradient with at least 8
// channels on both sides, as F(4x4, 3x3) where the pass's output is 13x13
// or more and as F(2x2, 3x3) below, and the filter gradient with at
// least 16 channels and output rows of 13 or more, as F(4x4, 3x3) where
// its output is 24x24 or more and as F(2x2, 3x3) below. Every 2x2 output
// tile is computed from the 4x4 input tile under it: V = Bᵀ d B per input channel, M[ξ] =
// U[ξ]·V[ξ] for each of the 16 transformed positions ξ, with U = G g Gᵀ
// the transformed filters, and y = Aᵀ M A + b, which takes 16
// multiply-adds per tile, filter and channel instead of 36. F(4x4, 3x3)
// computes 4x4 output tiles from 6x6 input tiles alike (interpolation
// points 0, ±1, ±2 and ∞): 36 multiply-adds per 16 outputs instead of 16
// per 4, 2.25 per output against 4, and 36 transformed values per 16
// outputs instead of 16 per 4. The data
// gradient is the same convolution of dy, padded by 2-PadT and 2-PadL,
// with the filters turned by 180 degrees and their channels swapped. The
// filter gradient sums dU[ξ] = Σ Z[ξ]·V[ξ]ᵀ over the tiles, with Z = A dy
// Aᵀ the transformed output-gradient tiles, and returns dw = Gᵀ dU G.
//
// The work is fused and blocked (winoPlan): per block of tiles (whole
// images, or rows of tiles of one image, so that V and M take about half
// of an L2 cache), the input tiles of eight neighbouring tiles of a row
// are transformed at once, read in place from the unpadded input through
// masked loads (the plan holds a mask per pattern of rows inside the
// input and per group of eight tiles; masked lanes, the padding and the
// cells past the edges, read nothing and count as zero) (winoIn8: the
// rows are split into the tiles' columns by in-lane shuffles, then added
// and subtracted), the 16
// products run on the GEMM micro-kernel (the filters packed as its A
// panels, the tiles as its columns), and the output transform (winoOut8)
// writes the eight tiles' 2x2 outputs straight into y, or through two
// staging rows at odd sizes and rows of fewer than 8 tiles. The F(4x4,
// 3x3) transforms (winoIn4x8, winoOut4x8) run by columns into a small
// scratch, then by rows (the six columns of eight tiles split by in-lane
// 4x4 transposes), and the output one stores the part of its eight tiles'
// 4x4 outputs that lies inside y straight into it (one masked store per
// row at most), so partial tiles at sizes that are not a multiple of 4
// need no staging. Where the CPU has AVX-512VL and useAVX512 allows it,
// the output transform runs as winoOut4x8z, which keeps the 24 column
// sums in registers (ymm16-31 through the EVEX encoding) instead of the
// scratch, with the same operations in the same order. The filter
// gradient transforms dy alike (winoDy8, reading it in place where the
// tiles cover it exactly) and sums each block's 16 products with the 4×3
// dot-product kernel over blocks of about 512 tiles, in the groups of
// images that parallelGroups fixes by the batch size. The F(4x4, 3x3)
// filter gradient transforms the input tiles with winoIn4x8 and dy with
// winoDy4x8 (by columns into a scratch, then by rows, as winoIn4x8), which
// reads dy in place through masked loads, the rows and columns past the
// output counting as zero, and prefetches the window of the next tile
// row; its blocks hold about 256 tiles (36 ξ each). The pitches of V, M
// and Z are odd multiples of 64 bytes, so that the 16 ξ rows that a
// transform touches side by side do not share a cache set.
//
// The F(2x2, 3x3) transforms take additions and subtractions only, the
// F(4x4, 3x3) ones also multiplications by powers of two (exact, so that a
// fused multiply-add rounds as the separate operations do); their pure-Go
// forms do the same operations in the same order, the filter transforms
// run in float64, and the sums over a batch run in fixed groups, so the
// results are the same on every number of cores and bit for bit the same
// on the AVX2 and AVX-512 paths. They differ from the direct
// convolution's in the last bits: up to about 2e-6 of the values' scale
// in the tests with F(2x2, 3x3), 3e-5 with F(4x4, 3x3) (its transforms
// have larger coefficients). The environment variable GOCNN_CONV=direct
// turns the Winograd path off; GOCNN_CONV=winograd uses it for every pass
// of every 3x3 stride-1 convolution, with the tile size the automatic
// choice would take (F(2x2, 3x3) where it would run the direct kernels);
// GOCNN_CONV=winograd2 and winograd4 force F(2x2, 3x3) or F(4x4, 3x3)
// everywhere. The pure-Go build uses the Winograd path
// only when so forced, its scalar transforms being too slow to pay.
//
// # Depthwise convolutions
//
// A depthwise convolution (DepthwiseForward and its gradients) copies each
// input plane, zero padded, into SH·SW phase planes (rows and columns split
// by their remainder modulo the stride, see dwPlan) at a pitch slightly
// wider than the output rows. In that layout every kernel tap of every
// output is one contiguous stream at a fixed offset, whatever the stride
// and dilation, so the forward pass and the input gradient are sums of a
// few shifted streams (dwTaps) and the filter gradient is one dot product
// per tap (dwDots), both AVX2 assembly on amd64. The copies use the
// vector row copies of the prepared images.
//
// # Batch normalization statistics
//
// ChannelSum64, ChannelSqDev64 and ChannelDotDev64 sum a channel's planes
// in float64 in a fixed order; their assembly runs four planes side by
// side and gives the bits of the Go code. LinComb is the input gradient's
// a·dy + b·x + c.
//
// # Pooling
//
// 2×2, stride-2 max pooling is table driven: a chunk of 8 windows (part of
// an output row, or two rows of 4) is pooled with AVX2, and its gradient
// writes all four cells of every window (no separate clearing pass).
// MaxPool2DReLUForward applies a ReLU to the pooled outputs only (the two
// commute) and marks windows with no positive element with argmax -1, so
// that MaxPool2DBackward is also the gradient of the fused pair.
//
// # Implementation
//
// Images of a batch are distributed over runtime.GOMAXPROCS(0) goroutines
// by ParallelFor; every worker has its own scratch memory (recycled through
// sync.Pool), and convolution plans are cached by shape, so steady state
// calls do not allocate large buffers.
//
// Matrix products (Sgemm, MatMul, convolution forward and backward data)
// share one 5×16 micro-kernel whose B rows and C rows are addressed through
// offset tables, so that the same code serves packed panels, images read in
// place and scattered gradient updates. On amd64 CPUs with AVX2 and FMA the
// micro-kernel, the dot-product and pooled-gradient kernels, the copies of
// prepared images, ReLU and the 2×2 max pool are written in Go assembly;
// elsewhere, or when the package is built with the "noasm" tag, portable
// pure-Go code is used. Where the CPU also has AVX-512F, a second GEMM
// micro-kernel runs two tiles side by side in ZMM registers (gemm5x32),
// with the same fused multiply-adds in the same order for every value, so
// its results are bit for bit those of the AVX2 kernel. Which of the two
// runs is measured, not assumed: at the first product of each depth class
// both are timed for a fraction of a millisecond and the faster is kept
// for the process (see choose.go). On an AMD Zen 4 core, which executes
// 512-bit multiply-adds as two 256-bit halves, the AVX2 kernel wins at
// every depth. The assembly and the CPU's features come from
// golang.org/x/sys/cpu (which also checks that the OS saves the YMM and
// ZMM state); the environment variable GOCNN_KERNELS=avx2 or
// GOCNN_KERNELS=go lowers the choice and GOCNN_KERNELS=avx512 forces the
// AVX-512 kernel. The unexported variables useAsm, useAVX512 and
// autoAVX512 hold it, the tests flip them to run every path the CPU has
// (reporting the AVX-512 runs as skipped where it lacks AVX-512F), and
// Path names it.
//
// Results do not depend on GOMAXPROCS: the filter gradients sum the images
// of a batch in groups fixed by the batch size alone and add the groups'
// partial sums in order, and every path of MatMul sums over k in the same
// blocks as Sgemm. The same inputs give bit-identical outputs on any
// number of cores.
//
// Kernels panic when given slices that are too short for the described shape;
// shapes should be checked with ConvShape.Validate / PoolShape.Validate first.
package kernels
