// Package layers builds convolutional networks the way Keras does: a
// Sequential model of layers (Conv2D, MaxPool2D, AvgPool2D, Dense, Flatten,
// Dropout and the activations), each a thin builder that emits Gorgonia
// expression nodes from package ops, with its learnable parameters held in
// a graph.Params store.
//
//	model, err := layers.NewSequential([]int{1, 28, 28}, []layers.Layer{
//		layers.Conv2D(10, 5, 5, layers.Activation("relu")),
//		layers.MaxPool2D(2, 2),
//		layers.Flatten(),
//		layers.Dense(10, layers.Activation("softmax")),
//	})
//
// Shapes are checked when the model is made: a kernel larger than its
// input, a Dense layer after an unflattened 4-D tensor or a wrong channel
// count is an error naming the layer and the shapes. Tensors are NCHW (the
// input shape is channels, height, width); Summary prints output shapes in
// Keras's channels-last order so that it reads like Keras's summary.
//
// The package knows nothing of losses, optimisers or training loops; those
// live in package train.
package layers
