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
// Import (and Load) read back the files Export writes, and only those: the
// layers, their names, the wiring and the weights come back, so that a
// model can go on training in Go. Files from other tools, which use other
// patterns of nodes, are an error naming the node that does not fit.
//
// The package knows models and layers and nothing of training.
package onnx
