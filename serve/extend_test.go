package serve

import (
	"bytes"
	"encoding/json"
	"image"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/modeltest"
	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/model"
)

// TestHandle: a route added with Handle is served beside the API, counted
// in /metrics under its name, and behind the panic recovery; a nil
// handler, an empty name, a malformed pattern or one served already is an
// error, not a panic.
func TestHandle(t *testing.T) {
	s, _ := newServer(t)
	if err := s.Handle("/{$}", "home", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("home"))
	})); err != nil {
		t.Fatal(err)
	}
	if err := s.Handle("/boom", "boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		var m map[string]int
		m["boom"]++
	})); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/", 200, "home"},
		{"/other", 404, "no such endpoint /other"},
		{"/boom", 500, "internal error"},
		{"/healthz", 200, "ok"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, body, _ := testutil.Do(t, s, "GET", tc.path, "", nil)
			if code != tc.code || !bytes.Contains(body, []byte(tc.want)) {
				t.Errorf("%d %s, want %d %s", code, body, tc.code, tc.want)
			}
		})
	}
	_, body, _ := testutil.Do(t, s, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`gocnn_serve_requests_total{code="200",handler="home",method="get"} 1`,
		`gocnn_serve_requests_total{code="404",handler="other",method="get"} 1`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	ok := http.NotFoundHandler()
	for _, tc := range []struct {
		name, pattern, label string
		h                    http.Handler
		want                 string
	}{
		{"nil handler", "/x", "x", nil, "a handler and a name"},
		{"no name", "/x", "", ok, "a handler and a name"},
		{"served already", "/healthz", "again", ok, "route /healthz"},
		{"the fallback", "/", "root", ok, "route /"},
		{"malformed", "GET  /{x", "bad", ok, "route GET  /{x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Handle(tc.pattern, tc.label, tc.h); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestMetadataEntries: a Model's Metadata shows in its metadata answer,
// without replacing the server's own entries.
func TestMetadataEntries(t *testing.T) {
	m, err := Load(modeltest.RecipeFile(t), "")
	if err != nil {
		t.Fatal(err)
	}
	m.Metadata = map[string]any{"trained_on": "nothing", "summary": "not the summary"}
	s, err := New([]*Model{m}, Logger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, body, _ := testutil.Do(t, s, "GET", "/v1/models/digits/metadata", "", nil)
	var md struct {
		Metadata struct {
			TrainedOn string `json:"trained_on"`
			Summary   string
		}
	}
	if err := json.Unmarshal(body, &md); code != 200 || err != nil {
		t.Fatalf("%d %s %v", code, body, err)
	}
	if md.Metadata.TrainedOn != "nothing" || !strings.Contains(md.Metadata.Summary, "Total params") {
		t.Errorf("metadata %s", body)
	}
}

// TestImageConverterOption: the server converts uploads with the
// converter given, whose values the model gets and the answer holds; a
// converter that fails, or gives the wrong number of values, is a 400
// naming the problem.
func TestImageConverterOption(t *testing.T) {
	var shapes [][]int
	half := func(img image.Image, shape []int) ([]float32, error) {
		shapes = append(shapes, shape)
		x := make([]float32, shape[0]*shape[1]*shape[2])
		for i := range x {
			x[i] = 0.5
		}
		return x, nil
	}
	s, m := newServer(t, ImageConverter(half), MaxBatch(1))
	code, out, _ := testutil.Do(t, s, "POST", "/v1/models/digits:predict", "image/png", testutil.EncodePNG(t, testutil.DigitImage(40, 30)))
	if code != 200 {
		t.Fatalf("%d %s", code, out)
	}
	var resp struct {
		Predictions [][]float32
		Input       [][]float32
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if len(shapes) != 1 || !slices.Equal(shapes[0], []int{1, 28, 28}) {
		t.Errorf("the converter was called with %v", shapes)
	}
	if len(resp.Input) != 28 || resp.Input[3][5] != 0.5 {
		t.Errorf("input %v, want 28 rows of 0.5", resp.Input)
	}
	x := make([]float32, 784)
	for i := range x {
		x[i] = 0.5
	}
	want, err := m.Net.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.Predictions[0], want) {
		t.Errorf("predictions %v, Predict gives %v", resp.Predictions[0], want)
	}
	for _, tc := range []struct {
		name string
		conv Converter
		want string
	}{
		{"failing", func(image.Image, []int) ([]float32, error) { return nil, errors.New("no thanks") }, "no thanks"},
		{"short", func(image.Image, []int) ([]float32, error) { return make([]float32, 3), nil }, "gave 3 values, not 784"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t, ImageConverter(tc.conv))
			code, body, _ := testutil.Do(t, s, "POST", "/v1/models/digits:predict", "image/png", testutil.EncodePNG(t, testutil.DigitImage(10, 10)))
			if code != 400 || !bytes.Contains(body, []byte(tc.want)) {
				t.Errorf("%d %s, want 400 %s", code, body, tc.want)
			}
		})
	}
}

// TestModels: Models lists the highest available version of each model,
// in order, with its summary; the models of the model directory follow
// those given to New.
func TestModels(t *testing.T) {
	dir := t.TempDir()
	writeVersion(t, dir, "vec", 1, 1, ModelFile)
	writeVersion(t, dir, "vec", 3, 2, ModelFile)
	s, m := newServer(t, ModelDir(dir))
	got := s.Models()
	if len(got) != 2 {
		t.Fatalf("%d models: %v", len(got), got)
	}
	if got[0].Model != m || got[0].Number != 1 || !strings.Contains(got[0].Summary, "Total params: 38,390") {
		t.Errorf("first: %q version %d", got[0].Name, got[0].Number)
	}
	if got[1].Name != "vec" || got[1].Number != 3 || got[1].Summary == "" {
		t.Errorf("second: %q version %d", got[1].Name, got[1].Number)
	}
}

// TestLoaderOption: the versions of the model directory are read by the
// Loader given, whose Metadata the metadata answer shows; a Loader that
// fails, or renames the model, leaves the version unavailable with its
// error in the status.
func TestLoaderOption(t *testing.T) {
	dir := t.TempDir()
	writeVersion(t, dir, "vec", 1, 1, ModelFile)
	writeVersion(t, dir, "other", 1, 1, ModelFile)
	writeVersion(t, dir, "renamed", 1, 1, ModelFile)
	var paths []string
	loader := func(path, name string, opts ...model.Option) (*Model, error) {
		paths = append(paths, path)
		switch name {
		case "other":
			return nil, errors.New("not this one")
		case "renamed":
			m, err := Load(path, "something-else", opts...)
			return m, err
		}
		m, err := Load(path, name, opts...)
		if err != nil {
			return nil, err
		}
		m.Metadata = map[string]any{"source": "loader"}
		return m, nil
	}
	s, err := New(nil, Logger(quiet), ModelDir(dir), Loader(loader))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(paths) != 3 {
		t.Errorf("the loader read %v", paths)
	}
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/v1/models/vec/metadata", 200, `"source":"loader"`},
		{"/v1/models/other", 200, "not this one"},
		{"/v1/models/renamed", 200, "gave no model named renamed"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, body, _ := testutil.Do(t, s, "GET", tc.path, "", nil)
			if code != tc.code || !bytes.Contains(body, []byte(tc.want)) {
				t.Errorf("%d %s, want %d %s", code, body, tc.code, tc.want)
			}
		})
	}
}
