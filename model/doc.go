// Package model makes runnable networks of layers: a Model is any graph of
// layers from one or more inputs to one or more outputs, with its
// parameters, that predicts on its own, with no loss and no optimiser.
//
// Keras's functional API, in Go: symbolic inputs, layers applied to them,
// and a model from inputs to outputs.
//
//	in := model.Input(1, 28, 28)
//	x := model.Apply(layers.Conv2D(16, 3, 3, layers.Padding(layers.Same), layers.Activation(ops.ReLU)), in)
//	y := model.Apply(layers.Conv2D(16, 3, 3, layers.Padding(layers.Same)), x)
//	x = model.Apply(layers.Add(), x, y) // a residual connection
//	x = model.Apply(layers.Flatten(), x)
//	out := model.Apply(layers.Dense(10, layers.Activation(ops.Softmax)), x)
//	m, err := model.New([]*model.Node{in}, []*model.Node{out})
//
// NewSequential is the same machinery for a plain stack of layers.
//
// Predict is safe for concurrent use: each call takes a compiled graph
// from a pool, so calls from many goroutines run side by side. Requests of
// any size run in chunks of MaxBatch and then powers of two, so a model
// compiles graphs for at most 1+log2(MaxBatch) batch sizes, and at most
// MaxConcurrent of each: memory stays bounded whatever batch sizes and
// however many goroutines arrive.
//
// Save writes a whole-model file (the architecture, every layer's options,
// the weights and, on request, extra state such as an optimiser's); Load
// rebuilds the model from it with no Go code.
//
// Layers of a built or loaded model are reachable by name, as in Keras:
// Layer returns one, SubModel makes a model from the inputs to any layers'
// outputs (features, embeddings), and Output gives a layer's symbolic
// output, to which new layers apply, for a new model from Inputs: a new
// head on a loaded network. Such models share the weights they reuse (no
// copy). SetTrainable freezes and unfreezes layers, Keras's
// layer.trainable: package train leaves frozen layers alone, and model
// files record them.
//
// The package knows layers and graphs, and nothing of losses, optimisers
// or training loops, which live in package train.
package model
