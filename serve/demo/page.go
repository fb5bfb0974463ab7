package demo

import (
	"embed"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/serve"
)

// static holds the page: one HTML file with its styles and script, so
// that it loads nothing from elsewhere.
//
//go:embed static/index.html
var static embed.FS

// An Option configures the page that Attach adds.
type Option func(*page)

// TestImages gives the images that the page's random button draws from
// (/ui/random), such as MNIST's test set; without them (or with nil) the
// button says there are none.
func TestImages(d *data.Dataset) Option { return func(p *page) { p.test = d } }

// page serves the drawing page and what it asks the server.
type page struct {
	srv  *serve.Server
	test *data.Dataset
}

// Attach adds the drawing page to s:
//
//	GET  /             the page (embedded), which draws or uploads an image
//	                   and sends it to /v1/models/NAME:predict
//	GET  /ui/info      the models: name, summary, input and output shapes,
//	                   class names, whether the model takes MNIST's
//	                   digits, test accuracy (see Load)
//	GET  /ui/random    a random test image (TestImages), its pixels as
//	                   rows, with its label and index
//
// Serve s with ImageConverter(Convert), as Run does, so that uploads to an
// MNIST-shaped model are prepared as the page's drawings are.
func Attach(s *serve.Server, opts ...Option) error {
	p := &page{srv: s}
	for _, o := range opts {
		if o != nil {
			o(p)
		}
	}
	for _, r := range []struct {
		pattern, name string
		h             http.HandlerFunc
	}{
		{"/{$}", "page", p.servePage},
		{"/ui/info", "ui", p.serveInfo},
		{"/ui/random", "ui", p.serveRandom},
	} {
		if err := s.Handle(r.pattern, r.name, r.h); err != nil {
			return errors.Wrap(err, "demo")
		}
	}
	return nil
}

// allow answers 405 with a JSON error unless r's method is one of those
// given, and reports whether it is.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	allowed := methods[0]
	for _, m := range methods[1:] {
		allowed += ", " + m
	}
	w.Header().Set("Allow", allowed)
	writeError(w, http.StatusMethodNotAllowed, errors.Errorf("method %s not allowed; use %s", r.Method, methods[0]))
	return false
}

// servePage serves the drawing page.
func (p *page) servePage(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	b, err := static.ReadFile("static/index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, errors.Wrap(err, "reading the embedded page"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data: blob:")
	w.Write(b)
}

// modelInfo is what the page shows of a model.
type modelInfo struct {
	Name         string   `json:"name"`
	Summary      string   `json:"summary"`
	InputShape   []int    `json:"input_shape"`
	OutputShape  []int    `json:"output_shape"`
	ClassNames   []string `json:"class_names,omitempty"`
	MNIST        bool     `json:"mnist"`
	TestAccuracy *float64 `json:"test_accuracy"`
	TestImages   int      `json:"test_images"`
}

// serveInfo answers the models the page can send to, and how many test
// images its random button has.
func (p *page) serveInfo(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	var ms []modelInfo
	for _, v := range p.srv.Models() {
		acc, n := accuracy(v.Model)
		ms = append(ms, modelInfo{Name: v.Name, Summary: v.Summary, InputShape: v.Net.InputShape(0),
			OutputShape: v.Net.OutputShape(0), ClassNames: v.Net.ClassNames(), MNIST: isMNIST(v.Net.InputShape(0)),
			TestAccuracy: acc, TestImages: n})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": ms, "random_images": p.test.Len()})
}

// serveRandom answers a random test image, its values as rows, with its
// label and index.
func (p *page) serveRandom(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	d := p.test
	if d.Len() == 0 {
		writeError(w, http.StatusNotFound, errors.New("no test images: the page was attached without TestImages (cmd/serve reads them from its -data folder)"))
		return
	}
	i := rand.IntN(d.Len())
	x := d.CopyImage(i, make([]float32, d.ImageSize()))[:d.H*d.W]
	pixels := make([]json.RawMessage, d.H)
	for y := range d.H {
		b := []byte{'['}
		for k, v := range x[y*d.W : (y+1)*d.W] {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		pixels[y] = append(b, ']')
	}
	writeJSON(w, http.StatusOK, map[string]any{"index": i, "label": d.Labels[i], "pixels": pixels})
}

// writeJSON writes v as JSON with the status code, as the server's own
// answers are written.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// writeError writes {"error": err} with the status code.
func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}
