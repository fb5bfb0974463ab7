// Package onnx exports models to ONNX (Open Neural Network Exchange)
// files, which ONNX Runtime and other tools run in Python, C++, the
// browser (onnxruntime-web), Node (onnxruntime-node) and on phones.
//
// Export writes a model of package model as an ONNX model of IR version 8
// and opset 17 (the operators of ONNX 1.12), with float32 tensors and a
// dynamic batch dimension called "N": a model of input [1, 28, 28] takes
// [N, 1, 28, 28]. The weights, and BatchNormalization's running
// statistics, are stored in the file; the graph computes what Predict
// computes.
//
// Every built-in layer has an ONNX form: Conv2D (Conv, with its strides
// and 'same' padding written out as explicit pads, the odd cell after the
// input as in Keras), MaxPooling2D and AveragePooling2D (MaxPool and
// AveragePool, padded cells left out of the average), Dense (Gemm),
// Flatten, the activations (Relu, Sigmoid, Tanh, Softmax, LeakyRelu, Elu,
// and GELU as x·(1+erf(x/√2))/2 since opset 17 has no Gelu), Dropout
// (Identity), Add, Multiply and Concatenate (Add, Mul, Concat on the
// channel axis), BatchNormalization (in inference mode) and the global
// poolings (GlobalAveragePool or GlobalMaxPool, then Flatten). A custom
// layer has none: exporting a model that holds one is an error naming
// the layer and its type.
//
// Import (and Load) read back the files Export writes: the layers, their
// names, the wiring and the weights come back, so that a model can go on
// training in Go.
//
// They also read the files of other tools, such as torch.onnx.export
// (PyTorch 1.13, opsets 11 to 17), for networks of the layers this library
// has: Conv (no groups or dilations), MaxPool and AveragePool, Gemm, and
// MatMul by a constant followed by the Add of a bias (Dense), Relu,
// Sigmoid, Tanh, LeakyRelu, Elu, Softmax, GELU as PyTorch writes it
// (x·(1+erf(x/√2))/2 in five nodes), BatchNormalization in inference
// mode, Add, Mul and Concat of computed values, GlobalAveragePool and
// GlobalMaxPool, Flatten and a Reshape to [batch, values]. Dropout and
// Identity vanish, and the constants are folded: Constant nodes and the
// shape arithmetic PyTorch writes for x.view(x.size(0), -1) (Shape,
// Gather, Unsqueeze, Concat) and for nn.ZeroPad2d (ConstantOfShape,
// Reshape, Slice, Transpose, Cast). A zero Pad of the height and width is
// folded into the Conv that takes it. Each node becomes a layer of its
// own, named after the node with its slashes as dots (/conv1/Conv becomes
// conv1.Conv). This library pads as Keras does, 'valid' or 'same' with
// the odd cell after the input, so a Conv or pool with other padding (a
// stride-2 nn.Conv2d with padding=1 on an even input pads both sides) is
// an error: nn.ZeroPad2d((0, 1, 0, 1)) and padding=0 write Keras's
// padding. Anything else is an error naming the node that does not fit.
//
// Import is bounded: a file of at most MaxFileBytes, of at most MaxNodes
// nodes, whose parameters need at most MaxParamBytes. An initializer that
// several layers share is decoded once; each layer's copy counts.
//
// The package knows models and layers and nothing of training.
package onnx
