// Package serve serves trained models over HTTP: TensorFlow Serving's REST
// API, health and Prometheus metrics.
//
// It owns the HTTP handlers, the decoding of requests (JSON instances and
// PNG, JPEG or GIF uploads, converted by data.ImageValues to the model's
// colour mode and size, or by the ImageConverter given), the dynamic
// batcher that gathers concurrent requests to one model into one forward
// pass, and the metrics. It knows nothing of training: it serves
// whole-model files (model.Load) and ONNX files through the
// concurrency-safe model.Model.Predict. Handle adds routes of one's own
// beside the API; package serve/demo adds cmd/serve's drawing page that
// way, and is cmd/serve itself.
//
// The routes:
//
//	GET  /v1/models/NAME            the model's status: its versions
//	GET  /v1/models/NAME/metadata   input and output shapes, layer summary
//	POST /v1/models/NAME:predict    {"instances": [...]} or a PNG/JPEG/GIF body
//	GET  /healthz                   "ok"
//	GET  /metrics                   Prometheus text format
//
// The three /v1/models/NAME routes also take /versions/N after NAME
// (/v1/models/NAME/versions/N:predict) for version N rather than the
// highest.
//
// A predict answer is TensorFlow Serving's, {"predictions": [[p0, p1,
// ...], ...]}, one row of output values for each instance. For a model
// with class names (model.ClassNames) it also holds "classes", the name of
// each instance's most probable class, in order:
//
//	{"predictions": [[0.1, 0.7, 0.2]], "classes": ["dog"]}
//
// An image upload's answer also holds "class", the index of that class,
// and "input", the values the model was given: H rows of W values for a
// grey model, 3 planes of them (red, green, blue) for an RGB one. The
// metadata's "metadata" object holds "class_names" for such a model, and
// for any model the entries of its Model.Metadata.
//
// A model of one output that is an image, [C, H, W] (an autoencoder, a
// denoiser), answers each instance with an image laid out as "input" is,
// and without classes: {"predictions": [[[0.1, ...], ...]]}.
//
// Models given to New are version 1. ModelDir serves a directory laid
// out as TensorFlow Serving's, DIR/NAME/VERSION/model.gocnn, and Poll
// reads it again for new versions, swapped in without dropping a request,
// and removed ones; the status lists each version's state
// ({"model_version_status": [{"version": "2", "state": "AVAILABLE",
// "status": {"error_code": "OK", "error_message": ""}}]}), with the error
// of one that failed to load.
//
// Under load, at most MaxInflight requests to /v1/ are served at once
// (the others get 503 with Retry-After; /healthz and /metrics always
// answer), and at most BodyBudget bytes of request bodies are read or
// decoded at once. /metrics holds, per model and version, the predict
// requests by status, the errors, the latency, the batch sizes and the
// queue depth. A 5xx answer's log line holds its cause.
//
// Load reads whole-model files and ONNX files (ONNXExt).
//
// Every error is JSON, {"error": "..."}, with a 4xx status naming the
// problem for a bad request; no request can crash the server.
package serve
