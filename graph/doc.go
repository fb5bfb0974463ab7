// Package graph owns the Gorgonia expression graph of a model: its named
// learnable parameters, their seeded initialisers, and the compiled machine
// that runs the forward pass and the symbolic gradients from gorgonia.Grad.
//
// Parameters live in a Params store, apart from any one graph. A Graph is
// built for one batch size and binds its parameter nodes to the store's
// tensors, so graphs for different batch sizes (the training batch, the last
// partial batch, a single image at inference) share the very same weights:
// an optimiser step on the store is seen by all of them. This is how a model
// trained in batches of 128 predicts one image (Gorgonia issue 345).
//
// Initialisers are seeded: the same seed gives the same weights, in the
// order the parameters were first asked for.
//
// The package knows nothing of layers, losses or optimisers.
package graph
