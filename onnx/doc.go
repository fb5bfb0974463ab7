// Package onnx exports models to ONNX (Open Neural Network Exchange)
// files, which ONNX Runtime and other tools run in Python, C++, the
// browser (onnxruntime-web), Node (onnxruntime-node) and on phones, and
// imports them back.
//
// Export writes a model of package model as an ONNX model of IR version 8
// and opset 17 (the operators of ONNX 1.12), with float32 tensors and a
// dynamic batch dimension called "N": a model of input [1, 28, 28] takes
// [N, 1, 28, 28]. The weights, and BatchNormalization's running
// statistics, are stored in the file; the graph computes what Predict
// computes. The model's metadata records each layer's type
// ("gocnn.layer_types"), by which Import finds how to read it back.
//
// # Layer forms
//
// Each layer type's ONNX form is registered in a table of this package,
// keyed by the layer type as layers.Register's is: an Exporter that
// writes a layer's nodes and initializers (see ExportContext), and an
// Importer that reads them back into the layer's configuration and
// weights (see ImportContext). Every built-in layer registers its form
// here:
//
//   - Conv2D: Conv, its strides and 'same' padding written out as
//     explicit pads (the odd cell after the input, as in Keras), and its
//     dilations;
//   - DepthwiseConv2D: Conv with one group per input channel;
//     SeparableConv2D: that, then a 1×1 Conv;
//   - Conv2DTranspose: ConvTranspose, with pads and output_padding that
//     give Keras's output sizes, dilated or not;
//   - MaxPooling2D and AveragePooling2D: MaxPool and AveragePool (padded
//     cells left out of the average);
//   - Dense: Gemm; Flatten: Flatten; Reshape: Reshape;
//   - the activations: Relu, Sigmoid, Tanh, Softmax, LeakyRelu, Elu, and
//     GELU as x·(1+erf(x/√2))/2 since opset 17 has no Gelu;
//   - Dropout: Identity;
//   - Add, Multiply and Concatenate: Add, Mul and Concat on the channels;
//   - BatchNormalization (in inference mode) and LayerNormalization
//     (between Transposes when the axes it normalises are not the last);
//   - GlobalAveragePooling2D and GlobalMaxPooling2D: the global pool,
//     then Flatten;
//   - ZeroPadding2D: Pad; Cropping2D: Slice; UpSampling2D: Resize
//     (nearest, or linear with half-pixel centres).
//
// A layer of one's own gets an ONNX form with RegisterLayer (and, to be
// imported, RegisterImporter); it must be layers.Configurable, for the
// Exporter reads its configuration. Exporting a model that holds a layer
// with no form is an error naming the layer and its type. See the
// example of RegisterLayer.
//
// # Import
//
// Import (and Load) read back the files Export writes: the layers, their
// names, the wiring and the weights come back, so that a model can go on
// training in Go. A file that records no layer types (as Export wrote
// before it did) is read by its nodes, each layer's first node telling
// the built-in types it may be.
//
// They also read the files of other tools, such as torch.onnx.export
// (PyTorch 1.13, opsets 11 to 17), for networks of the layers this library
// has: Conv (plain, dilated, or depthwise: one group per input channel),
// ConvTranspose (whose pads and output_padding keep the cells of Keras's
// 'valid' or 'same' padding, as ConvTranspose2d(c, f, 4, stride=2,
// padding=1) does), MaxPool and AveragePool, Gemm, and MatMul by a
// constant followed by the Add of a bias (Dense), Relu, Sigmoid, Tanh,
// LeakyRelu, Elu, Softmax, GELU as PyTorch writes it (x·(1+erf(x/√2))/2 in
// five nodes), BatchNormalization in inference mode, LayerNormalization
// over the trailing axes (opset 17), Add, Mul and Concat of computed
// values, GlobalAveragePool and GlobalMaxPool, Resize by whole scales
// (nn.Upsample: nearest, and bilinear without align_corners), Flatten and
// Reshape to [batch, sizes...]. Dropout and Identity vanish, and the
// constants are folded: Constant nodes and the shape arithmetic PyTorch
// writes for x.view(x.size(0), -1) (Shape, Gather, Unsqueeze, Concat) and
// for nn.ZeroPad2d (ConstantOfShape, Reshape, Slice, Transpose, Cast). A
// zero Pad of the height and width is folded into the Conv that takes
// it, and is a ZeroPadding2D layer before anything else. Each node
// becomes a layer of its own, named after the node with its slashes as
// dots (/conv1/Conv becomes conv1.Conv). This library pads as Keras does,
// 'valid' or 'same' with the odd cell after the input, so a Conv or pool
// with other padding (a stride-2 nn.Conv2d with padding=1 on an even
// input pads both sides) is an error: nn.ZeroPad2d((0, 1, 0, 1)) and
// padding=0 write Keras's padding. Anything else is an error naming the
// node that does not fit.
//
// Import is bounded: a file of at most MaxFileBytes, of at most MaxNodes
// nodes, whose parameters need at most MaxParamBytes. An initializer that
// several layers share is decoded once; each layer's copy counts.
//
// The package knows models and layers and nothing of training.
package onnx
