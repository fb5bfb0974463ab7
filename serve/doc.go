// Package serve serves trained models over HTTP: TensorFlow Serving's REST
// API, a page to draw a digit on, health and Prometheus metrics.
//
// It owns the HTTP handlers, the decoding of requests (JSON instances and
// PNG or JPEG uploads, scaled as MNIST is), the dynamic batcher that gathers
// concurrent requests to one model into one forward pass, and the metrics.
// It knows nothing of training: it serves whole-model files (model.Load)
// through the concurrency-safe model.Model.Predict.
//
// The routes:
//
//	GET  /v1/models/NAME            the model's status
//	GET  /v1/models/NAME/metadata   input and output shapes, layer summary
//	POST /v1/models/NAME:predict    {"instances": [...]} or a PNG/JPEG body
//	GET  /healthz                   "ok"
//	GET  /metrics                   Prometheus text format
//	GET  /                          the drawing page (embedded)
//	GET  /ui/info, /ui/random       what the page needs: models, a random
//	                                MNIST test image
//
// Every error is JSON, {"error": "..."}, with a 4xx status naming the
// problem for a bad request; no request can crash the server.
package serve
