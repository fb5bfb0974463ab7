// Package layers holds the layers that networks are built from, the way
// Keras's layers are: Conv2D, DepthwiseConv2D, SeparableConv2D,
// Conv2DTranspose, MaxPool2D, AvgPool2D, Dense, Flatten, Reshape,
// ZeroPadding2D, Cropping2D, UpSampling2D, Dropout, BatchNormalization,
// LayerNormalization, the activations, and the merge layers Add,
// Concatenate and Multiply. Each
// is a thin builder that emits Gorgonia expression nodes from package ops,
// with its learnable parameters held in a graph.Params store. Package model
// wires layers into a runnable network:
//
//	m, err := model.NewSequential([]int{1, 28, 28}, []layers.Layer{
//		layers.Conv2D(10, 5, 5, layers.Activation(ops.ReLU)),
//		layers.MaxPool2D(2, 2),
//		layers.Flatten(),
//		layers.Dense(10, layers.Activation(ops.Softmax)),
//	})
//
// Options are typed (Strides, Padding, DilationRate, DepthMultiplier,
// UseBias, Activation, KernelInitializer, BiasInitializer, Interpolation,
// NormAxes, ...), and an option a layer does not take, or an invalid one
// such as Strides(0, 1), is an error when the model is built. Tensors are
// NCHW (an image example is channels, height, width).
//
// A layer of one's own embeds Base, asks for its parameters with
// Base.Param (a layer may only create parameters named after itself),
// builds with ops or plain Gorgonia ops, and, to be saved in model files,
// implements Configurable and registers a Constructor with Register.
// Package gradcheck checks its gradients.
//
// The package knows nothing of models, losses, optimisers or training
// loops; those live in packages model and train.
package layers
