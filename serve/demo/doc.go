// Package demo is cmd/serve: the server of package serve with a page to
// draw a digit on or upload an image to, for models trained by cmd/mnist
// and any other image model.
//
// Attach adds the page and its /ui/ routes to a serve.Server. Convert
// prepares uploads to a model of MNIST's shape (1×28×28) as MNIST's
// digits are, inverted and centred by mass, and leaves others to
// serve.ConvertImage; the page sends what is drawn on it as a PNG, so
// that drawings are prepared the same way. Load reads, beside a model
// file, the result.json that cmd/mnist -out writes, whose test accuracy
// the page and the metadata answer show. The page's random button draws
// from the test images given to Attach (TestImages).
//
// Main (and Run) is the whole of cmd/serve, flags and signals included,
// so that a program serving models with custom layers is a main that
// registers them and calls Main (see examples/customserve).
package demo
