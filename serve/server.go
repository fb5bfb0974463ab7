package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pkg/errors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gocnn/cnn/model"
)

// Defaults of the options.
const (
	DefaultMaxBatch     = 32
	DefaultBatchTimeout = 2 * time.Millisecond
	DefaultMaxBody      = 8 << 20
	DefaultMaxInstances = 1024
)

// An Option configures a Server.
type Option func(*config)

type config struct {
	maxBatch     int
	batchTimeout time.Duration
	maxBody      int64
	maxInstances int
	maxPixels    int
	maxInflight  int
	bodyBudget   int64
	modelDir     string
	poll         time.Duration
	logger       *slog.Logger
	converter    Converter
	loader       LoadFunc
}

// MaxBatch sets the most instances one batched forward pass gathers
// (default DefaultMaxBatch); 1 turns batching off, so that each request
// runs on its own.
func MaxBatch(n int) Option { return func(c *config) { c.maxBatch = n } }

// BatchTimeout sets how long a batch waits for more requests after its
// first (default DefaultBatchTimeout).
func BatchTimeout(d time.Duration) Option { return func(c *config) { c.batchTimeout = d } }

// MaxBody sets the largest request body in bytes (default
// DefaultMaxBody).
func MaxBody(n int64) Option { return func(c *config) { c.maxBody = n } }

// MaxInstances sets the most instances one request may hold (default
// DefaultMaxInstances).
func MaxInstances(n int) Option { return func(c *config) { c.maxInstances = n } }

// MaxPixels sets the largest image upload, in pixels (default
// DefaultMaxPixels). Uploads of at most twice as many pixels in all
// decode at once; the others wait their turn.
func MaxPixels(n int) Option { return func(c *config) { c.maxPixels = n } }

// Logger sets the logger (default slog.Default()).
func Logger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// ImageConverter sets how image uploads become model inputs (default
// ConvertImage): c gets each decoded upload with the example shape of the
// model it is for, and must give that many values.
func ImageConverter(c Converter) Option { return func(cfg *config) { cfg.converter = c } }

// Loader sets how the versions of the model directory (ModelDir) are read
// (default Load), so that a loader can add what it knows of a model, such
// as its Metadata, or read other kinds of files. It is called with the
// version's file and the model's name, which the Model it returns must
// keep.
func Loader(f LoadFunc) Option { return func(c *config) { c.loader = f } }

// Server serves models over HTTP; it is an http.Handler. Close it when
// done, after the http.Server that uses it has shut down. Its methods are
// safe for concurrent use: the table of models and versions is guarded by
// a lock that requests hold only to find their version, and a version
// counts the requests using it, so that one removed by a reload is
// unloaded only once they have finished.
type Server struct {
	cfg config
	// mu guards models and order; reloadMu makes reloads run one at a
	// time; unloads counts the poller and the unloads under way.
	mu       sync.RWMutex
	models   map[string]*entry
	order    []string
	reloadMu sync.Mutex
	unloads  sync.WaitGroup
	stopPoll context.CancelFunc

	mux     *http.ServeMux
	handler http.Handler
	reg     *prometheus.Registry
	// The HTTP metrics, labelled by handler, code and method.
	httpRequests *prometheus.CounterVec
	httpLatency  *prometheus.HistogramVec
	// The per-model metrics, labelled by model and version.
	batches       *prometheus.HistogramVec
	queue         *prometheus.GaugeVec
	modelRequests *prometheus.CounterVec
	modelErrors   *prometheus.CounterVec
	modelLatency  *prometheus.HistogramVec
	// decoding holds a slot per image being decoded, and pixels the
	// pixels of the images being decoded: a decoded image may take a dozen
	// bytes a pixel, so only a few decode at once, and at most twice the
	// largest image's worth of pixels.
	decoding chan struct{}
	pixels   *budget
	// inflight holds a slot per request to /v1/ being served, bodies the
	// bytes of the request bodies being read or decoded, and rejected
	// counts the requests refused for overload.
	inflight chan struct{}
	bodies   *budget
	rejected prometheus.Counter
}

// served is a version of a model with its batcher and its summary.
type served struct {
	*Model
	version int64
	summary string
	classes []string // the model's class names, or nil
	batch   *batcher // nil when batching is off
	users   sync.WaitGroup
}

// New makes a server of the models, which must have distinct names, each
// served as version 1, and of those in the model directory (ModelDir),
// which it reads once and then polls (Poll). Without a model
// directory there must be at least one model.
func New(models []*Model, opts ...Option) (*Server, error) {
	c := config{maxBatch: DefaultMaxBatch, batchTimeout: DefaultBatchTimeout, maxBody: DefaultMaxBody,
		maxInstances: DefaultMaxInstances, maxPixels: DefaultMaxPixels, logger: slog.Default(),
		converter: ConvertImage, loader: Load}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case c.maxBatch < 1 || c.maxBatch > 1<<16:
		return nil, errors.Errorf("serve: max batch %d is not in [1, 65536]", c.maxBatch)
	case c.batchTimeout < 0 || c.batchTimeout > time.Minute:
		return nil, errors.Errorf("serve: batch timeout %v is not in [0, 1m]", c.batchTimeout)
	case c.maxBody < 1:
		return nil, errors.Errorf("serve: max body %d is not positive", c.maxBody)
	case c.maxInstances < 1:
		return nil, errors.Errorf("serve: max instances %d is not positive", c.maxInstances)
	case c.maxPixels < 1:
		return nil, errors.Errorf("serve: max pixels %d is not positive", c.maxPixels)
	case c.maxInflight < 0:
		return nil, errors.Errorf("serve: max in-flight %d is negative", c.maxInflight)
	case c.bodyBudget < 0:
		return nil, errors.Errorf("serve: body budget %d is negative", c.bodyBudget)
	case c.poll < 0:
		return nil, errors.Errorf("serve: poll interval %v is negative", c.poll)
	case c.logger == nil:
		return nil, errors.New("serve: nil logger")
	case c.converter == nil:
		return nil, errors.New("serve: nil image converter")
	case c.loader == nil:
		return nil, errors.New("serve: nil loader")
	case len(models) == 0 && c.modelDir == "":
		return nil, errors.New("serve: no models")
	}
	if c.maxInflight == 0 {
		c.maxInflight = DefaultMaxInflight()
	}
	if c.bodyBudget == 0 {
		c.bodyBudget = defaultBodyBudget(c.maxBody)
	}
	s := &Server{cfg: c, models: map[string]*entry{}, mux: http.NewServeMux(), reg: prometheus.NewRegistry(),
		decoding: make(chan struct{}, max(2, runtime.GOMAXPROCS(0))), pixels: newBudget(2 * int64(c.maxPixels)),
		inflight: make(chan struct{}, c.maxInflight), bodies: newBudget(max(c.bodyBudget, c.maxBody)), stopPoll: func() {}}
	s.rejected = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gocnn_serve_overload_rejections_total", Help: "Requests answered 503 because MaxInflight requests were being served.",
	})
	mv := []string{"model", "version"}
	s.batches = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gocnn_serve_batch_size", Help: "Instances per forward pass, by model and version.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 11),
	}, mv)
	s.queue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gocnn_serve_queue_depth", Help: "Predict requests waiting for or in a forward pass, by model and version.",
	}, mv)
	s.modelRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gocnn_serve_model_requests_total", Help: "Predict requests by model, version and status code.",
	}, append(mv, "code"))
	s.modelErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gocnn_serve_model_errors_total", Help: "Predict requests answered with an error status (4xx or 5xx), by model and version.",
	}, mv)
	s.modelLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gocnn_serve_model_request_duration_seconds", Help: "Predict latency by model and version.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, mv)
	s.reg.MustRegister(s.rejected, s.batches, s.queue, s.modelRequests, s.modelErrors, s.modelLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for i, m := range models {
		if m == nil || m.Net == nil {
			s.Close()
			return nil, errors.Errorf("serve: model %d is nil", i)
		}
		if _, ok := s.models[m.Name]; ok {
			s.Close()
			return nil, errors.Errorf("serve: two models are named %q; give them different names (Model.Name)", m.Name)
		}
		sv, err := s.newServed(m, 1)
		if err != nil {
			s.Close()
			return nil, errors.Wrap(err, "serve")
		}
		s.models[m.Name] = &entry{name: m.Name, versions: map[int64]*served{1: sv},
			status: map[int64]*verStat{1: {state: StateAvailable}}, latest: sv}
		s.order = append(s.order, m.Name)
	}
	if c.modelDir != "" {
		if err := s.Reload(); err != nil {
			s.Close()
			return nil, errors.Wrapf(err, "serve: model directory %s", c.modelDir)
		}
		if c.poll > 0 {
			ctx, cancel := context.WithCancel(context.Background())
			s.stopPoll = cancel
			s.unloads.Add(1)
			go s.poll(ctx, c.poll)
		}
	}
	s.routes()
	return s, nil
}

// newServed checks that m can be served and makes version v of it, with
// its batcher.
func (s *Server) newServed(m *Model, v int64) (*served, error) {
	if err := checkName(m.Name); err != nil {
		return nil, err
	}
	if m.Net.NumInputs() != 1 || m.Net.NumOutputs() != 1 {
		return nil, errors.Errorf("model %s has %d inputs and %d outputs; only models of one input and one output are served", m.Name, m.Net.NumInputs(), m.Net.NumOutputs())
	}
	var sum strings.Builder
	if err := m.Net.Summary(&sum); err != nil {
		return nil, errors.Wrapf(err, "model %s", m.Name)
	}
	sv := &served{Model: m, version: v, summary: sum.String(), classes: m.Net.ClassNames()}
	if s.cfg.maxBatch > 1 {
		obs := s.batches.WithLabelValues(sv.labels()...)
		sv.batch = newBatcher(m.Net.Predict, m.Net.OutputSize(), s.cfg.maxBatch, s.cfg.batchTimeout, func(n int) { obs.Observe(float64(n)) })
	}
	return sv, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close stops polling the model directory, waits for the unloads under
// way, and stops the batchers once they have answered the requests they
// hold. Requests that arrive later get 503. Close may be called more than
// once.
func (s *Server) Close() error {
	s.stopPoll()
	s.unloads.Wait()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, e := range s.models {
		for _, sv := range e.versions {
			if sv.batch != nil {
				sv.batch.close()
			}
		}
	}
	return nil
}

// Registry returns the Prometheus registry behind /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

func (s *Server) routes() {
	s.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gocnn_serve_requests_total", Help: "HTTP requests by handler, method and status code.",
	}, []string{"handler", "code", "method"})
	s.httpLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gocnn_serve_request_duration_seconds", Help: "HTTP request latency by handler.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"handler", "code", "method"})
	inFlight := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gocnn_serve_in_flight_requests", Help: "Requests being served.",
	})
	s.reg.MustRegister(s.httpRequests, s.httpLatency, inFlight)
	s.handle("/v1/", "v1", s.limitInflight(http.HandlerFunc(s.serveV1)))
	s.handle("/healthz", "healthz", methods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	}), http.MethodGet, http.MethodHead))
	s.handle("/metrics", "metrics", methods(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}), http.MethodGet))
	s.handle("/", "other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, errors.Errorf("no such endpoint %s", r.URL.Path))
	}))
	s.handler = promhttp.InstrumentHandlerInFlight(inFlight, s.recoverer(s.mux))
}

// handle serves h at pattern, counted in the HTTP metrics under the
// handler label name.
func (s *Server) handle(pattern, name string, h http.Handler) {
	l := prometheus.Labels{"handler": name}
	h = promhttp.InstrumentHandlerDuration(s.httpLatency.MustCurryWith(l), promhttp.InstrumentHandlerCounter(s.httpRequests.MustCurryWith(l), h))
	s.mux.Handle(pattern, h)
}

// Handle serves h at pattern, an http.ServeMux pattern, beside the
// server's own routes (/v1/, /healthz and /metrics; any other path is
// answered 404 with a JSON error unless a pattern given here matches it,
// "/{$}" for the root alone). Its requests pass through the server's
// panic recovery and request log, and are counted in /metrics under the
// handler label name. It returns an error for a nil handler, an empty
// name or a pattern that is malformed or conflicts with one served
// already. Call it before the server takes requests.
func (s *Server) Handle(pattern, name string, h http.Handler) (err error) {
	if h == nil || name == "" {
		return errors.Errorf("serve: route %s: a handler and a name are needed", pattern)
	}
	defer func() {
		// ServeMux.Handle panics on a malformed or conflicting pattern.
		if v := recover(); v != nil {
			err = errors.Errorf("serve: route %s: %v", pattern, v)
		}
	}()
	s.handle(pattern, name, h)
	return nil
}

// A Version is a version of a model that a Server serves, as Models lists
// it.
type Version struct {
	*Model
	// Number is the version's number.
	Number int64
	// Summary is the model's layer summary, as its metadata holds it.
	Summary string
}

// Models returns the highest available version of each model, in the
// order the server came to know them: the models given to New first.
// A model of the model directory none of whose versions is available is
// left out.
func (s *Server) Models() []Version {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var vs []Version
	for _, name := range s.order {
		if sv := s.models[name].latest; sv != nil {
			vs = append(vs, Version{Model: sv.Model, Number: sv.version, Summary: sv.summary})
		}
	}
	return vs
}

// methods answers 405 with a JSON error to any method but those given.
func methods(h http.Handler, allowed ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range allowed {
			if r.Method == m {
				h.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, errors.Errorf("method %s not allowed; use %s", r.Method, strings.Join(allowed, " or ")))
	})
}

// recoverer answers 500 to a request whose handler panicked, and logs the
// panic with its stack.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err := errors.Errorf("panic: %v", v)
				s.cfg.logger.Error("request panicked", "method", r.Method, "path", r.URL.Path, "err", errStack(err))
				writeError(w, http.StatusInternalServerError, errors.New("internal error"))
			}
		}()
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rw, r)
		level := slog.LevelDebug
		switch {
		case rw.code >= 500:
			level = slog.LevelError
		case rw.code >= 400:
			level = slog.LevelInfo
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "code", rw.code, "duration", time.Since(start)}
		if rw.cause != nil {
			attrs = append(attrs, "err", errStack(rw.cause))
		}
		s.cfg.logger.Log(r.Context(), level, "request", attrs...)
	})
}

// errStack formats err with its stack trace (pkg/errors' %+v).
func errStack(err error) string { return fmt.Sprintf("%+v", err) }

// statusWriter records the status code written and the cause of a 5xx
// answer.
type statusWriter struct {
	http.ResponseWriter
	code  int
	cause error
}

// recordCause keeps the first cause recorded.
func (w *statusWriter) recordCause(err error) {
	if w.cause == nil {
		w.cause = err
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// causeRecorder is a ResponseWriter that keeps the cause of a 5xx answer
// for the request's log line (statusWriter is one).
type causeRecorder interface{ recordCause(error) }

// recordCause hands err to the statusWriter under w, if any, so that the
// request's log line carries the cause of the error the client was told
// of only in general terms.
func recordCause(w http.ResponseWriter, err error) {
	for {
		if cr, ok := w.(causeRecorder); ok {
			cr.recordCause(err)
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// writeJSON writes v as JSON with the status code. If v cannot be encoded
// (a NaN among a model's outputs), it answers 500 and records the cause
// for the log.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		recordCause(w, errors.Wrap(err, "encoding the response"))
		code, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// writeError writes {"error": err} with the status code; a 5xx error is
// also recorded as the cause for the log.
func writeError(w http.ResponseWriter, code int, err error) {
	if code >= 500 {
		recordCause(w, err)
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

// serveV1 routes TensorFlow Serving's REST API: /v1/models/NAME,
// /v1/models/NAME/metadata and /v1/models/NAME:predict, each also with
// /versions/N after NAME for version N rather than the highest.
func (s *Server) serveV1(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/models/")
	if !ok || rest == "" {
		writeError(w, http.StatusNotFound, errors.Errorf("no such endpoint %s; try /v1/models/NAME", r.URL.Path))
		return
	}
	name, verb, _ := strings.Cut(rest, ":")
	name, sub, _ := strings.Cut(name, "/")
	var version int64 // 0: the highest available
	if v, ok := strings.CutPrefix(sub, "versions/"); ok {
		num, after, _ := strings.Cut(v, "/")
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n < 1 {
			writeError(w, http.StatusNotFound, errors.Errorf("no such endpoint %s: version %q is not a positive number", r.URL.Path, num))
			return
		}
		version, sub = n, after
	}
	notFound := func() {
		writeError(w, http.StatusNotFound, errors.Errorf("no such endpoint %s; the model's are /v1/models/%s, /v1/models/%[2]s/metadata and /v1/models/%[2]s:predict, each also after /versions/N", r.URL.Path, name))
	}
	switch {
	case verb == "" && sub == "":
		methods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveStatus(w, name, version) }), http.MethodGet).ServeHTTP(w, r)
		return
	case verb == "" && sub == "metadata", verb == "predict" && sub == "":
	default:
		notFound()
		return
	}
	sv, code, err := s.acquire(name, version)
	if err != nil {
		writeError(w, code, err)
		return
	}
	defer sv.release()
	if verb == "" {
		methods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveMetadata(w, sv) }), http.MethodGet).ServeHTTP(w, r)
		return
	}
	start := time.Now()
	cw := &codeWriter{ResponseWriter: w, code: http.StatusOK}
	methods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.servePredict(w, r, sv) }), http.MethodPost).ServeHTTP(cw, r)
	l := sv.labels()
	s.modelRequests.WithLabelValues(append(l, strconv.Itoa(cw.code))...).Inc()
	if cw.code >= 400 {
		s.modelErrors.WithLabelValues(l...).Inc()
	}
	s.modelLatency.WithLabelValues(l...).Observe(time.Since(start).Seconds())
}

// codeWriter records the status code written, for the per-model metrics.
type codeWriter struct {
	http.ResponseWriter
	code int
}

func (w *codeWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController and recordCause reach the
// underlying writer.
func (w *codeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serveStatus answers TensorFlow Serving's model status: every known
// version, highest first, or the one asked for.
func (s *Server) serveStatus(w http.ResponseWriter, name string, version int64) {
	s.mu.RLock()
	e, ok := s.models[name]
	var list []any
	if ok {
		for _, v := range e.versionList() {
			if version != 0 && v != version {
				continue
			}
			st := e.status[v]
			status := map[string]string{"error_code": "OK", "error_message": ""}
			if st.err != "" {
				status = map[string]string{"error_code": "UNKNOWN", "error_message": st.err}
			}
			list = append(list, map[string]any{"version": strconv.FormatInt(v, 10), "state": st.state, "status": status})
		}
	}
	order := strings.Join(s.order, ", ")
	s.mu.RUnlock()
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, errors.Errorf("unknown model %q; this server has %s", name, order))
	case len(list) == 0 && version != 0:
		writeError(w, http.StatusNotFound, errors.Errorf("model %s has no version %d", name, version))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"model_version_status": list})
	}
}

// tensorInfo describes an input or output as TensorFlow Serving's
// metadata does, with -1 for the batch axis.
type tensorInfo struct {
	Dtype string `json:"dtype"`
	Shape []int  `json:"shape"`
}

func (s *Server) serveMetadata(w http.ResponseWriter, m *served) {
	in := append([]int{-1}, m.Net.InputShape(0)...)
	out := append([]int{-1}, m.Net.OutputShape(0)...)
	md := map[string]any{
		"inputs":  map[string]tensorInfo{"input": {Dtype: "DT_FLOAT", Shape: in}},
		"outputs": map[string]tensorInfo{"output": {Dtype: "DT_FLOAT", Shape: out}},
		"summary": m.summary,
	}
	if len(m.classes) > 0 {
		md["class_names"] = m.classes
	}
	for k, v := range m.Metadata {
		if _, ok := md[k]; !ok {
			md[k] = v
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"model_spec": map[string]string{"name": m.Name, "signature_name": "serving_default", "version": strconv.FormatInt(m.version, 10)},
		"metadata":   md,
	})
}

func (s *Server) servePredict(w http.ResponseWriter, r *http.Request, m *served) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Header.Get("Content-Type") == "" || ct == "application/x-www-form-urlencoded" {
		// No type, or curl -d's default, as in TensorFlow Serving's examples.
		ct, err = "application/json", nil
	}
	if err != nil || (ct != "application/json" && ct != "image/png" && ct != "image/jpeg" && ct != "image/gif") {
		writeError(w, http.StatusUnsupportedMediaType, errors.Errorf("unsupported content type %q; send application/json, image/png, image/jpeg or image/gif", r.Header.Get("Content-Type")))
		return
	}
	body, release, ok := s.readBody(w, r)
	if !ok {
		return
	}
	defer release()
	var arrived func()
	if m.batch != nil {
		// Tell the batcher a request is on its way while it decodes.
		arrived = m.batch.arrive()
		defer arrived()
	}
	var x []float32
	n := 1
	image := ct != "application/json"
	shape := m.Net.InputShape(0)
	if image {
		if _, _, _, err := imageInput(shape); err != nil {
			writeError(w, http.StatusBadRequest, errors.Wrapf(err, "model %s", m.Name))
			return
		}
		if x, err = s.decodeImage(r, body, ct, shape); r.Context().Err() != nil {
			return // the client has gone
		}
		if err != nil {
			var tl *tooLargeError
			if errors.As(err, &tl) {
				writeError(w, http.StatusRequestEntityTooLarge, err)
			} else {
				writeError(w, http.StatusBadRequest, err)
			}
			return
		}
	} else if x, n, err = DecodeRequest(body, m.Net.InputShape(0), s.cfg.maxInstances); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	y, err := s.predict(r, m, x, n, arrived)
	if err != nil {
		if errors.Is(err, errClosed) {
			writeError(w, http.StatusServiceUnavailable, err)
			return
		}
		if r.Context().Err() != nil {
			return // the client has gone
		}
		recordCause(w, errors.Wrapf(err, "predict on model %s", m.Name))
		writeError(w, http.StatusInternalServerError, errors.New("predict failed; see the server's log"))
		return
	}
	k := m.Net.OutputSize()
	resp := map[string]any{}
	if out, ok := imageOutput(m.Net); ok {
		// An image model (an autoencoder, a denoiser): each prediction is
		// an image, laid out as the input of an image upload is.
		preds := make([]any, n)
		for i := range n {
			preds[i] = imageRows(y[i*k:(i+1)*k], out)
		}
		resp["predictions"] = preds
	} else {
		preds := make([]json.RawMessage, n)
		for i := range n {
			preds[i] = floats(y[i*k : (i+1)*k])
		}
		resp["predictions"] = preds
		if len(m.classes) > 0 {
			classes := make([]string, n)
			for i := range n {
				classes[i] = m.classes[model.Argmax(y[i*k:(i+1)*k])]
			}
			resp["classes"] = classes
		}
		if image {
			resp["class"] = model.Argmax(y[:k])
		}
	}
	if image {
		resp["input"] = imageRows(x, shape)
	}
	writeJSON(w, http.StatusOK, resp)
}

// imageOutput returns the example shape of net's output when net has one
// output and it is an image [C, H, W].
func imageOutput(net *model.Model) ([]int, bool) {
	if net.NumOutputs() != 1 {
		return nil, false
	}
	s := net.OutputShape(0)
	return s, len(s) == 3
}

// decodeImage is DecodeImage, with the server's converter, once one of
// the few decoding slots and the pixels the image declares are free.
func (s *Server) decodeImage(r *http.Request, body []byte, contentType string, shape []int) ([]float32, error) {
	_, cfg, err := imageConfig(body, contentType, s.cfg.maxPixels)
	if err != nil {
		return nil, err
	}
	n, err := s.pixels.acquire(r.Context(), int64(cfg.Width)*int64(cfg.Height))
	if err != nil {
		return nil, err
	}
	defer s.pixels.release(n)
	select {
	case s.decoding <- struct{}{}:
	case <-r.Context().Done():
		return nil, errors.WithStack(r.Context().Err())
	}
	defer func() { <-s.decoding }()
	return decodeImage(r.Context(), body, contentType, shape, s.cfg.maxPixels, s.cfg.converter)
}

// predict runs x through the model's batcher (arrived is what its arrive
// returned for the request), or straight through the model when batching
// is off.
func (s *Server) predict(r *http.Request, m *served, x []float32, n int, arrived func()) ([]float32, error) {
	q := s.queue.WithLabelValues(m.labels()...)
	q.Inc()
	defer q.Dec()
	if m.batch == nil {
		s.batches.WithLabelValues(m.labels()...).Observe(float64(n))
		return safePredict(m.Net.Predict, x)
	}
	return m.batch.do(r.Context(), x, n, arrived)
}

// floats encodes values as a JSON list, in float32's shortest form.
func floats(v []float32) json.RawMessage {
	b := make([]byte, 0, 12*len(v)+2)
	b = append(b, '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(f), 'g', -1, 32)
	}
	return append(b, ']')
}

// rows lays h×w values out as h JSON lists.
func rows(x []float32, h, w int) []json.RawMessage {
	out := make([]json.RawMessage, h)
	for i := range h {
		out[i] = floats(x[i*w : (i+1)*w])
	}
	return out
}

// imageRows lays out an image input of shape C×H×W as JSON: H rows of W
// values for one channel, C planes of them for several.
func imageRows(x []float32, shape []int) any {
	c, h, w := shape[0], shape[1], shape[2]
	if c == 1 {
		return rows(x, h, w)
	}
	planes := make([][]json.RawMessage, c)
	for i := range c {
		planes[i] = rows(x[i*h*w:(i+1)*h*w], h, w)
	}
	return planes
}
