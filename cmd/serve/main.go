// Command serve serves whole-model files over HTTP, with TensorFlow
// Serving's REST API, a page to draw digits on or upload images to,
// /healthz and /metrics.
//
//	go run ./cmd/mnist -out /tmp/run
//	go run ./cmd/serve -model /tmp/run/model.gocnn
//
// Any image model is served: an uploaded PNG, JPEG or GIF of any size is
// converted to the model's input (grey or RGB, resized; MNIST-shaped
// models of 1×28×28 get MNIST's centring instead), and answers name the
// class when the model file holds class names (see package serve).
//
// A -model file whose name ends in .onnx is read as an ONNX model
// (onnx.Load), such as torch.onnx.export writes; any other as a whole-model
// file (model.Load).
//
// -model may be given several times; each model is named after its file
// (model.gocnn → model) unless a -name, matched to the -model flags in
// order, says otherwise. If a result.json sits beside a model file (cmd/mnist
// -out writes one), the page shows its test accuracy. The page's "random
// test image" button draws from MNIST's test set in -data DIR, by default
// the copy in the Go module cache if there is one.
//
// Concurrent requests to one model are batched: up to -max-batch instances
// or -batch-timeout of waiting, whichever comes first; -max-batch 1 turns
// batching off.
//
// On SIGINT or SIGTERM it stops accepting connections, finishes the
// requests in flight, within -shutdown-timeout, and exits 0.
//
// Exit status: 0 success (also for -help); 1 an error (a model that cannot
// be loaded, an address in use); 64 a usage error.
package main

import (
	"os"

	"github.com/gocnn/cnn/serve"
)

func main() { os.Exit(serve.Main(os.Args[1:])) }
