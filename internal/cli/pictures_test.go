package cli

import (
	"encoding/csv"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/viz"
)

// picTrainer is a trainer for the untrained MNIST recipe.
func picTrainer(t *testing.T) *train.Trainer {
	t.Helper()
	model, err := recipe.Model(1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(model)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// picDigits is n random 28x28 "digits" with labels 0, 1, 2, ...
func picDigits(n int) *data.Dataset {
	rng := rand.New(rand.NewPCG(uint64(n), 9))
	ds := &data.Dataset{X: make([]float32, n*784), Y: make([]float32, n*10), Labels: make([]int, n), N: n, C: 1, H: 28, W: 28, Classes: 10}
	for i := range ds.X {
		ds.X[i] = rng.Float32()
	}
	for i := 0; i < n; i++ {
		ds.Labels[i] = i % 10
		ds.Y[i*10+i%10] = 1
	}
	return ds
}

// pngSize decodes the PNG at path and returns its size.
func pngSize(t *testing.T, path string) image.Point {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img.Bounds().Size()
}

// gridSize is the size of a viz.GrayGrid of n cells of h×w in cols columns.
func gridSize(n, h, w, cols, scale int) image.Point {
	rows := (n + cols - 1) / cols
	return image.Pt(cols*w*scale+(cols+1)*viz.GridSeparator, rows*h*scale+(rows+1)*viz.GridSeparator)
}

func TestWritePictures(t *testing.T) {
	tr := picTrainer(t)
	test := picDigits(7)
	tests := []struct {
		name  string
		write func(dir string) (string, error)
		want  image.Point
	}{
		{"filters", func(dir string) (string, error) {
			p := filepath.Join(dir, "filters.png")
			return p, writeFilters(p, tr.Model())
		}, gridSize(10, 5, 5, 10, 16)},
		{"feature maps", func(dir string) (string, error) {
			p := filepath.Join(dir, "features.png")
			return p, writeFeatureMaps(p, tr.Model(), test.Image(3))
		}, gridSize(30, 24, 24, 10, 4)},
		{"confusion", func(dir string) (string, error) {
			p := filepath.Join(dir, "confusion.png")
			return p, writeConfusion(p, filepath.Join(dir, "confusion.csv"), tr.Model(), test)
		}, image.Pt(0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path, err := tc.write(dir)
			if err != nil {
				t.Fatal(err)
			}
			got := pngSize(t, path)
			if tc.want != (image.Point{}) && got != tc.want {
				t.Errorf("picture is %v, want %v", got, tc.want)
			}
		})
	}
}

// TestConfusionCounts checks that the confusion CSV counts every test
// image once, with each row summing to the images of its class.
func TestConfusionCounts(t *testing.T) {
	tr := picTrainer(t)
	test := picDigits(13)
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "confusion.csv")
	if err := writeConfusion("", csvPath, tr.Model(), test); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "confusion.png")); err == nil {
		t.Error("a PNG was written for an empty path")
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 11 {
		t.Fatalf("%d rows, want a header and 10", len(rows))
	}
	total := 0
	for class, row := range rows[1:] {
		sum := 0
		for _, cell := range row[1:] {
			n, err := strconv.Atoi(cell)
			if err != nil {
				t.Fatal(err)
			}
			sum += n
		}
		want := 1
		if class < 3 { // labels 0..9, 0..2
			want = 2
		}
		if sum != want {
			t.Errorf("class %d: %d images counted, want %d", class, sum, want)
		}
		total += sum
	}
	if total != test.N {
		t.Errorf("counted %d images, want %d", total, test.N)
	}
}

func TestPicturesErrors(t *testing.T) {
	tr := picTrainer(t)
	dense, err := model.NewSequential([]int{1, 28, 28}, []layers.Layer{layers.Flatten(), layers.Dense(10, layers.Activation(ops.Softmax))})
	if err != nil {
		t.Fatal(err)
	}
	denseTr, err := train.New(dense)
	if err != nil {
		t.Fatal(err)
	}
	defer denseTr.Close()
	badLabel := picDigits(3)
	badLabel.Labels[1] = 12
	dir := t.TempDir()
	out := filepath.Join(dir, "x.png")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"filters without conv", writeFilters(out, dense), "no Conv2D"},
		{"feature maps without conv", writeFeatureMaps(out, denseTr.Model(), make([]float32, 784)), "no Conv2D"},
		{"feature maps of a wrong image", writeFeatureMaps(out, tr.Model(), make([]float32, 100)), "100 values"},
		{"confusion of nothing", writeConfusion(out, "", tr.Model(), &data.Dataset{}), "empty"},
		{"confusion with a bad label", writeConfusion(out, "", tr.Model(), badLabel), "label 12"},
		{"unwritable filters", writeFilters(filepath.Join(dir, "no", "f.png"), tr.Model()), filepath.Join(dir, "no", "f.png")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", tc.err, tc.want)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a picture was written despite the errors")
	}
}
