package serve

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/cnn/internal/modeltest"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx"
)

// TestLoadONNX: Load reads an ONNX file, by its extension or, under any
// other name, by not being a whole-model file, and it predicts as the
// model it was exported from.
func TestLoadONNX(t *testing.T) {
	net, _, err := model.Load(modeltest.RecipeFile(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "digits.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := onnx.Export(net, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	x := testInput(3)
	want, err := net.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"digits.onnx", "DIGITS.ONNX", "digits.bin"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Load(path, "")
			if err != nil {
				t.Fatal(err)
			}
			defer m.Net.Close()
			if m.Name != strings.TrimSuffix(name, filepath.Ext(name)) {
				t.Errorf("named %q", m.Name)
			}
			got, err := m.Net.Predict(x)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("predicts %v (%v), want %v", got, err, want)
			}
		})
	}
	bad := filepath.Join(dir, "bad.onnx")
	if err := os.WriteFile(bad, []byte("GOCNNMDL but not quite"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad, ""); err == nil || !strings.Contains(err.Error(), "onnx") {
		t.Errorf("a broken .onnx file: error %v", err)
	}
}
