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
// At most -max-inflight requests to /v1/ are served at once; those past it
// get 503 with Retry-After at once, while /healthz and /metrics go on
// answering. Of those, the ones whose bodies would take the bytes of bodies
// being read or decoded past -body-budget wait, unread, for their turn.
//
// -model-dir DIR serves every model under DIR as TensorFlow Serving does:
// DIR/NAME/VERSION/model.gocnn (or the version folder's one *.gocnn file),
// the highest version at /v1/models/NAME and each at
// /v1/models/NAME/versions/VERSION. DIR is read again every -poll: a new
// version is loaded, checked with a predict, and swapped in without
// dropping a request; a broken one is logged and shown in
// /v1/models/NAME's status while the others serve; a removed one is
// unloaded once its requests have finished. Copy a new version's file in
// under another name and rename it into place.
//
// Concurrent requests to one model are batched: up to -max-batch instances
// or -batch-timeout of waiting, whichever comes first; -max-batch 1 turns
// batching off.
//
// On SIGINT or SIGTERM it stops accepting connections, finishes the
// requests in flight, within -shutdown-timeout, and exits 0; connections
// still open after -shutdown-timeout (a slow client's) are closed, with a
// warning in the log, and it still exits 0.
//
// Exit status: 0 success (also for -help); 1 an error (a model that cannot
// be loaded, an address in use); 64 a usage error.
package main

import (
	"os"

	"github.com/gocnn/cnn/serve/demo"
)

func main() { os.Exit(demo.Main(os.Args[1:])) }
