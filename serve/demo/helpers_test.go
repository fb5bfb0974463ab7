package demo

import (
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/modeltest"
	"github.com/gocnn/cnn/serve"
)

var resultOnce sync.Once

// modelFile saves the recipe network (modeltest.RecipeFile), untrained,
// with a result.json beside it, once for the package's tests, and returns
// the model file's path.
func modelFile(t testing.TB) string {
	t.Helper()
	path := modeltest.RecipeFile(t)
	resultOnce.Do(func() {
		if err := os.WriteFile(filepath.Join(filepath.Dir(path), ResultFile), []byte(`{"test_acc": 0.25, "test_images": 10000}`), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	return path
}

func TestMain(m *testing.M) {
	code := m.Run()
	modeltest.Cleanup()
	os.Exit(code)
}

// quiet is a logger that discards everything.
var quiet = slog.New(slog.DiscardHandler)

// newPage serves the models as Run does, with the page attached (with a
// few test images unless opts say otherwise); the server closes when the
// test ends.
func newPage(t testing.TB, models []*serve.Model, opts ...Option) *serve.Server {
	t.Helper()
	s, err := serve.New(models, serve.Logger(quiet), serve.ImageConverter(Convert), serve.Loader(Load))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := Attach(s, append([]Option{TestImages(testImages())}, opts...)...); err != nil {
		t.Fatal(err)
	}
	return s
}

// newServer serves the test model, named "digits", as newPage does.
func newServer(t testing.TB, opts ...Option) (*serve.Server, *serve.Model) {
	t.Helper()
	m, err := Load(modelFile(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return newPage(t, []*serve.Model{m}, opts...), m
}

// testImages is three 28×28 images of vertical bars.
func testImages() *data.Dataset {
	d := &data.Dataset{N: 3, C: 1, H: 28, W: 28, Classes: 10, Labels: []int{1, 4, 7}, Pixels: make([]uint8, 3*784)}
	for i := range 3 {
		for y := 4; y < 24; y++ {
			d.Pixels[i*784+y*28+10+i*3] = 255
		}
	}
	return d
}

// moments returns the total, the centre of mass and the bounding box of
// the values above 0.1 of a 28×28 input.
func moments(x []float32) (sum, cx, cy float64, box image.Rectangle) {
	for i, v := range x {
		sum += float64(v)
		cx += float64(v) * (float64(i%28) + 0.5)
		cy += float64(v) * (float64(i/28) + 0.5)
		if v > 0.1 {
			box = box.Union(image.Rect(i%28, i/28, i%28+1, i/28+1))
		}
	}
	return sum, cx / sum, cy / sum, box
}
