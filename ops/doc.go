// Package ops holds the custom Gorgonia operations that the layers are built
// from: convolution, pooling, activations, a fused linear (dense) op and the
// losses.
//
// Every op implements gorgonia.Op and gorgonia.SDOp, so a graph built from
// them is an ordinary Gorgonia expression graph and gorgonia.Grad derives its
// gradients symbolically. The backward passes are ops of their own (for
// example the convolution's data and filter gradients), so the gradient graph
// can be inspected, printed and compiled like any other.
//
// For float32 the ops run on the fast, multi-core kernels of
// internal/kernels, writing NCHW directly with no transposes and reusing
// their output buffers from one run of the graph to the next. A machine of
// package graph compiled for given outputs hands them shared buffers
// instead (graph.OutputSharer), so that values never needed at the same
// time share memory; the ops that return a view of their input, or read
// their input after their Do returns, decline. For float64
// they run on the kernels package's plain Naive loops, the same loops the
// fast kernels are tested against; that path exists so that every op can be
// checked against finite differences in double precision.
//
// Layout conventions: images are NCHW, convolution kernels are [F, C, KH, KW]
// (out, in, height, width, as in PyTorch) and dense kernels are [in, out] (as
// in Keras).
//
// This package knows nothing of layers, models or training: it is the
// bottom of the stack, above Gorgonia and the kernels.
package ops
