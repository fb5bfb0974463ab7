package model

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

var updateGolden = flag.Bool("update", false, "rewrite model/testdata/small.gocnn")

// goldenPath is a model file written before class names existed.
var goldenPath = filepath.Join("testdata", "small.gocnn")

// smallLayers are new layers of the model of the golden file.
func smallLayers() []layers.Layer {
	return []layers.Layer{layers.Conv2D(2, 3, 3), layers.Flatten(), layers.Dense(3, layers.Activation(ops.Softmax))}
}

// small is the model of the golden file.
func small(t testing.TB, opts ...Option) *Model {
	t.Helper()
	m, err := NewSequential([]int{2, 5, 5}, smallLayers(), append([]Option{Seed(7)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGolden: a model without class names writes the bytes it wrote
// before class names existed, and that file still loads.
func TestGolden(t *testing.T) {
	var b bytes.Buffer
	if err := small(t).Write(&b, nil); err != nil {
		t.Fatal(err)
	}
	if *updateGolden {
		if err := os.WriteFile(goldenPath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("Write gives %d bytes that differ from the %d of %s", b.Len(), len(want), goldenPath)
	}
	m, _, err := Load(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	if names := m.ClassNames(); names != nil {
		t.Errorf("class names %q from a file without them", names)
	}
}
