package serve

import (
	"bytes"
	"encoding/json"
	"fmt"

	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/modeltest"
	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

func TestMain(m *testing.M) {
	code := m.Run()
	modeltest.Cleanup()
	os.Exit(code)
}

// quiet is a logger that discards everything.
var quiet = slog.New(slog.DiscardHandler)

// newServer serves the test model, named "digits".
func newServer(t testing.TB, opts ...Option) (*Server, *Model) {
	t.Helper()
	m, err := Load(modeltest.RecipeFile(t), "")
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{Logger(quiet)}, opts...)
	s, err := New([]*Model{m}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, m
}

// instances is a predict request of the given instances.
func instances(xs ...any) []byte {
	b, _ := json.Marshal(map[string]any{"instances": xs})
	return b
}

// nested lays 784 values out as 28 rows.
func nested(x []float32) [][]float32 {
	out := make([][]float32, 28)
	for i := range out {
		out[i] = x[i*28 : (i+1)*28]
	}
	return out
}

// testInput is a deterministic 784-value input, different for each seed.
func testInput(seed int) []float32 {
	x := make([]float32, 784)
	for i := range x {
		x[i] = float32((i*7+seed*131)%97) / 96
	}
	return x
}

// TestEndpoints: every endpoint answers 200 with what it should.
func TestEndpoints(t *testing.T) {
	s, _ := newServer(t)
	for _, tc := range []struct {
		name, method, path string
		contentType, want  string
	}{
		{"healthz", "GET", "/healthz", "text/plain", "ok"},
		{"status", "GET", "/v1/models/digits", "application/json", `"state":"AVAILABLE"`},
		{"status of version 1", "GET", "/v1/models/digits/versions/1", "application/json", `"version":"1"`},
		{"metadata", "GET", "/v1/models/digits/metadata", "application/json", `"shape":[-1,1,28,28]`},
		{"metadata outputs", "GET", "/v1/models/digits/metadata", "application/json", `"shape":[-1,10]`},
		{"metadata summary", "GET", "/v1/models/digits/metadata", "application/json", `Total params: 38,390`},
		{"metrics", "GET", "/metrics", "text/plain", "gocnn_serve_in_flight_requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := testutil.Do(t, s, tc.method, tc.path, "", nil)
			if code != http.StatusOK {
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, code, body)
			}
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %s", ct, tc.contentType)
			}
			if !bytes.Contains(body, []byte(tc.want)) {
				t.Errorf("body lacks %q:\n%s", tc.want, body)
			}
		})
	}
}

// TestMetrics: after requests, /metrics counts them by code and holds the
// latency and batch-size histograms, and per model and version the
// predict requests by code, the errors, the latency, the batch sizes and
// the queue depth.
func TestMetrics(t *testing.T) {
	s, _ := newServer(t)
	testutil.Do(t, s, "POST", "/v1/models/digits:predict", "application/json", instances(testInput(0)))
	testutil.Do(t, s, "POST", "/v1/models/nope:predict", "application/json", instances(testInput(0)))
	testutil.Do(t, s, "POST", "/v1/models/digits/versions/1:predict", "application/json", []byte("{"))
	_, body, _ := testutil.Do(t, s, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`gocnn_serve_requests_total{code="200",handler="v1",method="post"} 1`,
		`gocnn_serve_requests_total{code="404",handler="v1",method="post"} 1`,
		`gocnn_serve_request_duration_seconds_bucket{code="200",handler="v1",method="post",le=`,
		`gocnn_serve_batch_size_count{model="digits",version="1"} 1`,
		`gocnn_serve_model_requests_total{code="200",model="digits",version="1"} 1`,
		`gocnn_serve_model_requests_total{code="400",model="digits",version="1"} 1`,
		`gocnn_serve_model_errors_total{model="digits",version="1"} 1`,
		`gocnn_serve_model_request_duration_seconds_count{model="digits",version="1"} 2`,
		`gocnn_serve_queue_depth{model="digits",version="1"} 0`,
		`gocnn_serve_in_flight_requests 1`,
		`go_goroutines`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestErrors: every bad request gets a JSON error with the 4xx status that
// names the problem.
func TestErrors(t *testing.T) {
	s, _ := newServer(t, MaxBody(64<<10), MaxInstances(4), MaxPixels(10000))
	s2, _ := newServer(t)
	good := instances(testInput(0))
	nan := bytes.Replace(good, []byte("["+fmt.Sprint(testInput(0)[0])), []byte(`["NaN"`), 1)
	inf := bytes.Replace(good, []byte("["+fmt.Sprint(testInput(0)[0])), []byte(`[1e39`), 1)
	for _, tc := range []struct {
		name, method, path, contentType string
		body                            []byte
		server                          http.Handler
		code                            int
		want                            string
	}{
		{"malformed JSON", "POST", "/v1/models/digits:predict", "application/json", []byte(`{"instances": [[1, 2`), s, 400, "malformed JSON"},
		{"trailing data", "POST", "/v1/models/digits:predict", "application/json", append(good, '}'), s, 400, "data after"},
		{"unknown field", "POST", "/v1/models/digits:predict", "application/json", []byte(`{"instance": [[1]]}`), s, 400, "unknown field"},
		{"no instances", "POST", "/v1/models/digits:predict", "application/json", []byte(`{}`), s, 400, `no "instances"`},
		{"empty instances", "POST", "/v1/models/digits:predict", "application/json", []byte(`{"instances": []}`), s, 400, `"instances" is empty`},
		{"wrong shape", "POST", "/v1/models/digits:predict", "application/json", instances([][]float32{{1, 2}, {3, 4}}), s, 400, "wrong shape 2×2"},
		{"too many values", "POST", "/v1/models/digits:predict", "application/json", instances(make([]float32, 785)), s, 400, "more than the 784 values"},
		{"ragged", "POST", "/v1/models/digits:predict", "application/json", []byte(`{"instances": [[[1, 2], [3]]]}`), s, 400, "ragged"},
		{"NaN", "POST", "/v1/models/digits:predict", "application/json", nan, s, 400, "NaN and Inf are refused"},
		{"Inf", "POST", "/v1/models/digits:predict", "application/json", inf, s, 400, "not a finite float32"},
		{"too many instances", "POST", "/v1/models/digits:predict", "application/json", instances(testInput(0), testInput(1), testInput(2), testInput(3), testInput(4)), s, 400, "too many instances"},
		{"unknown model", "POST", "/v1/models/nope:predict", "application/json", good, s, 404, `unknown model "nope"`},
		{"unknown model status", "GET", "/v1/models/nope", "", nil, s, 404, `unknown model "nope"`},
		{"unknown verb", "POST", "/v1/models/digits:classify", "application/json", good, s, 404, "no such endpoint"},
		{"unknown path", "GET", "/v2/models", "", nil, s, 404, "no such endpoint"},
		{"no model", "GET", "/v1/models/", "", nil, s, 404, "no such endpoint"},
		{"wrong method predict", "GET", "/v1/models/digits:predict", "", nil, s, 405, "method GET not allowed"},
		{"wrong method status", "POST", "/v1/models/digits", "application/json", good, s, 405, "method POST not allowed"},
		{"wrong method metadata", "DELETE", "/v1/models/digits/metadata", "", nil, s, 405, "method DELETE not allowed"},
		{"wrong method healthz", "POST", "/healthz", "", nil, s, 405, "not allowed"},
		{"root", "GET", "/", "", nil, s, 404, "no such endpoint /"},
		{"unsupported content type", "POST", "/v1/models/digits:predict", "text/plain", good, s, 415, "unsupported content type"},
		{"webp", "POST", "/v1/models/digits:predict", "image/webp", []byte("RIFF\x00\x00\x00\x00WEBP"), s, 415, "unsupported content type"},
		{"truncated gif", "POST", "/v1/models/digits:predict", "image/gif", []byte("GIF89a"), s, 400, "decoding image/gif"},
		{"body over the limit", "POST", "/v1/models/digits:predict", "application/json", bytes.Repeat([]byte(" "), 64<<10+1), s, 413, "over the limit of 65536 bytes"},
		{"image over the pixel limit", "POST", "/v1/models/digits:predict", "image/png", testutil.EncodePNG(t, testutil.DigitImage(101, 100)), s, 413, "101×100 pixels is over the limit of 10000"},
		{"image declaring 2^31 pixels", "POST", "/v1/models/digits:predict", "image/png", testutil.HugePNG(t, 1<<16, 1<<15), s2, 413, "65536×32768 pixels is over the limit"},
		{"corrupt PNG", "POST", "/v1/models/digits:predict", "image/png", []byte("\x89PNG\r\n\x1a\nnonsense"), s, 400, "decoding image/png"},
		{"JPEG sent as PNG", "POST", "/v1/models/digits:predict", "image/png", []byte("\xff\xd8\xff\xe0"), s, 400, "decoding image/png"},
		{"no page", "GET", "/ui/random", "", nil, s2, 404, "no such endpoint /ui/random"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := testutil.Do(t, tc.server, tc.method, tc.path, tc.contentType, tc.body)
			if code != tc.code {
				t.Errorf("status %d, want %d: %s", code, tc.code, body)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, body)
			}
			if !strings.Contains(e.Error, tc.want) {
				t.Errorf("error %q lacks %q", e.Error, tc.want)
			}
			if code == 405 && h.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

// TestPredict: each form of instance gets the probabilities a serial
// Predict gives, with batching on and off.
func TestPredict(t *testing.T) {
	for _, batch := range []int{1, 8} {
		s, m := newServer(t, MaxBatch(batch))
		x0, x1 := testInput(0), testInput(1)
		want, err := m.Net.Predict(append(append([]float32(nil), x0...), x1...))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			body []byte
			path string
		}{
			{"28x28", instances(nested(x0), nested(x1)), "/v1/models/digits:predict"},
			{"1x28x28", instances([][][]float32{nested(x0)}, [][][]float32{nested(x1)}), "/v1/models/digits:predict"},
			{"flat", instances(x0, x1), "/v1/models/digits:predict"},
			{"mixed, versions/1", instances(x0, nested(x1)), "/v1/models/digits/versions/1:predict"},
			{"curl -d", instances(x0, x1), "/v1/models/digits:predict"},
			{"signature_name", []byte(`{"signature_name": "serving_default", "instances": ` + string(instances(x0, x1))[len(`{"instances":`):]), "/v1/models/digits:predict"},
		} {
			t.Run(fmt.Sprintf("max batch %d/%s", batch, tc.name), func(t *testing.T) {
				ct := "application/json; charset=utf-8"
				if tc.name == "curl -d" {
					ct = "application/x-www-form-urlencoded"
				}
				code, body, _ := testutil.Do(t, s, "POST", tc.path, ct, tc.body)
				if code != 200 {
					t.Fatalf("%d %s", code, body)
				}
				var resp struct{ Predictions [][]float32 }
				if err := json.Unmarshal(body, &resp); err != nil {
					t.Fatal(err)
				}
				if len(resp.Predictions) != 2 {
					t.Fatalf("%d predictions, want 2", len(resp.Predictions))
				}
				for i, p := range resp.Predictions {
					for k, v := range p {
						if v != want[i*10+k] {
							t.Fatalf("prediction %d, class %d: %v, Predict gives %v", i, k, v, want[i*10+k])
						}
					}
				}
			})
		}
	}
}

// TestPredictImage: a PNG upload gets the class and probabilities that
// Predict gives for the input it was scaled to, which the answer holds.
func TestPredictImage(t *testing.T) {
	s, m := newServer(t)
	body := testutil.EncodePNG(t, testutil.DigitImage(90, 120))
	code, out, _ := testutil.Do(t, s, "POST", "/v1/models/digits:predict", "image/png", body)
	if code != 200 {
		t.Fatalf("%d %s", code, out)
	}
	var resp struct {
		Predictions [][]float32
		Class       int
		Input       [][]float32
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	x, err := DecodeImage(body, "image/png", []int{1, 28, 28}, DefaultMaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x {
		if resp.Input[i/28][i%28] != v {
			t.Fatalf("input value %d: %v, DecodeImage gives %v", i, resp.Input[i/28][i%28], v)
		}
	}
	want, err := m.Net.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range resp.Predictions[0] {
		if v != want[k] {
			t.Fatalf("class %d: %v, Predict gives %v", k, v, want[k])
		}
	}
	if resp.Class != model.Argmax(want) {
		t.Errorf("class %d, want %d", resp.Class, model.Argmax(want))
	}
}

// TestNewErrors: New refuses bad options and models.
func TestNewErrors(t *testing.T) {
	m, err := Load(modeltest.RecipeFile(t), "")
	if err != nil {
		t.Fatal(err)
	}
	a, b := model.Input(2), model.Input(2)
	two, err := model.New([]*model.Node{a, b}, []*model.Node{model.Apply(layers.Add(), a, b)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		models []*Model
		opts   []Option
		want   string
	}{
		{"no models", nil, nil, "no models"},
		{"nil model", []*Model{nil}, nil, "model 0 is nil"},
		{"same name", []*Model{m, m}, nil, `two models are named "digits"`},
		{"bad name", []*Model{{Name: "a/b", Net: m.Net}}, nil, "may not contain"},
		{"two inputs", []*Model{{Name: "two", Net: two}}, nil, "has 2 inputs and 1 outputs"},
		{"max batch 0", []*Model{m}, []Option{MaxBatch(0)}, "max batch 0"},
		{"negative timeout", []*Model{m}, []Option{BatchTimeout(-1)}, "batch timeout"},
		{"max body 0", []*Model{m}, []Option{MaxBody(0)}, "max body"},
		{"nil logger", []*Model{m}, []Option{Logger(nil)}, "nil logger"},
		{"nil converter", []*Model{m}, []Option{ImageConverter(nil)}, "nil image converter"},
		{"nil loader", []*Model{m}, []Option{Loader(nil)}, "nil loader"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.models, tc.opts...)
			if err == nil {
				s.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

// TestLoadFile: a model is named after its file, or as asked; a file
// that is missing, or a name that cannot sit in a path, is an error.
func TestLoadFile(t *testing.T) {
	m, err := Load(modeltest.RecipeFile(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "digits" || m.Net == nil || m.Metadata != nil {
		t.Errorf("got %q, %v, %v", m.Name, m.Net, m.Metadata)
	}
	if m, err = Load(modeltest.RecipeFile(t), "mnist"); err != nil || m.Name != "mnist" {
		t.Errorf("named mnist: %v, %v", m, err)
	}
	if _, err = Load(modeltest.RecipeFile(t), "a/b"); err == nil || !strings.Contains(err.Error(), "may not contain") {
		t.Errorf("named a/b: %v", err)
	}
	if _, err = Load(filepath.Join(t.TempDir(), "missing.gocnn"), ""); err == nil {
		t.Error("missing file: no error")
	}
}

// TestClosed: after Close, predict requests get 503.
func TestClosed(t *testing.T) {
	s, _ := newServer(t)
	s.Close()
	code, body, _ := testutil.Do(t, s, "POST", "/v1/models/digits:predict", "application/json", instances(testInput(0)))
	if code != http.StatusServiceUnavailable {
		t.Errorf("%d %s, want 503", code, body)
	}
}

// TestPanicRecovered: a handler that panics gets the client a JSON 500,
// and the log the panic with its stack; the server goes on.
func TestPanicRecovered(t *testing.T) {
	var log bytes.Buffer
	s, _ := newServer(t, Logger(slog.New(slog.NewTextHandler(&log, nil))))
	h := s.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		var m map[string]int
		m["boom"]++
	}))
	code, body, _ := testutil.Do(t, h, "GET", "/x", "", nil)
	if code != http.StatusInternalServerError || !bytes.Contains(body, []byte(`{"error":"internal error"}`)) {
		t.Errorf("%d %s", code, body)
	}
	if !strings.Contains(log.String(), "assignment to entry in nil map") || !strings.Contains(log.String(), "server_test.go") {
		t.Errorf("the log lacks the panic and its stack:\n%s", log.String())
	}
	if code, _, _ := testutil.Do(t, s, "GET", "/healthz", "", nil); code != 200 {
		t.Errorf("after the panic /healthz gives %d", code)
	}
}

// TestVectorModel: a model of vector inputs takes flat instances, and
// refuses images.
func TestVectorModel(t *testing.T) {
	net, err := model.NewSequential([]int{4}, []layers.Layer{layers.Dense(3, layers.Activation(ops.Softmax))})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New([]*Model{{Name: "vec", Net: net}}, Logger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want, err := net.Predict([]float32{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ := testutil.Do(t, s, "POST", "/v1/models/vec:predict", "application/json", []byte(`{"instances": [[1, 2, 3, 4]]}`))
	if code != 200 || !bytes.Contains(body, floats(want)) {
		t.Errorf("%d %s, want %s", code, body, floats(want))
	}
	code, body, _ = testutil.Do(t, s, "POST", "/v1/models/vec:predict", "image/png", testutil.EncodePNG(t, testutil.DigitImage(10, 10)))
	if code != 400 || !bytes.Contains(body, []byte("takes 4 inputs, not grey images")) {
		t.Errorf("an image for a vector model: %d %s", code, body)
	}
	if code, body, _ = testutil.Do(t, s, "GET", "/", "", nil); code != 404 {
		t.Errorf("GET / without a page: %d %s", code, body)
	}
}

// TestErrorCauseLogged: a 500 tells the client little, and the request's
// log line the cause, with its stack.
func TestErrorCauseLogged(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		body    string // in the answer
		cause   string // in the log
	}{
		{"NaN in the response", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"predictions": []json.RawMessage{floats([]float32{float32(math.NaN())})}})
		}, "encoding the response failed", "json: error calling MarshalJSON"},
		{"internal error", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusInternalServerError, errors.New("disk on fire"))
		}, "disk on fire", "disk on fire"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			s, _ := newServer(t, Logger(slog.New(slog.NewTextHandler(&log, nil))))
			code, body, _ := testutil.Do(t, s.recoverer(tc.handler), "GET", "/x", "", nil)
			if code != http.StatusInternalServerError || !bytes.Contains(body, []byte(tc.body)) {
				t.Errorf("%d %s", code, body)
			}
			if !strings.Contains(log.String(), tc.cause) || !strings.Contains(log.String(), "server_test.go") {
				t.Errorf("the log lacks the cause %q and its stack:\n%s", tc.cause, log.String())
			}
		})
	}
}
