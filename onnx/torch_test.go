package onnx_test

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/cnn/onnx"
)

// torchEnv names a Python interpreter that imports torch (Debian's
// python3-torch: /usr/bin/python3, which .ci/run sets); python3 by
// default.
const torchEnv = "GOCNN_TORCH_PYTHON"

// torchPython returns a Python that imports torch, or skips.
func torchPython(t *testing.T) string {
	t.Helper()
	py := os.Getenv(torchEnv)
	if py == "" {
		py = "python3"
	}
	if out, err := exec.Command(py, "-c", "import torch").CombinedOutput(); err != nil {
		t.Skipf("PyTorch is not available (%s -c 'import torch': %v %s): apt-get install python3-torch, or set %s (.ci/run does)",
			py, err, strings.TrimSpace(string(out)), torchEnv)
	}
	return py
}

// torchCase is what testdata/torch_export.py writes beside each network.
type torchCase struct {
	Shape   []int     `json:"shape"`
	X       []float32 `json:"x"`
	Y       []float32 `json:"y"`
	Opset   int       `json:"opset"`
	Dynamic bool      `json:"dynamic"`
}

// torchLayerTypes are layer types that the import of some networks of
// testdata/torch_export.py must hold.
var torchLayerTypes = map[string][]string{
	"depthwise": {"DepthwiseConv2D", "Conv2D"},
	"decoder":   {"Conv2DTranspose", "UpSampling2D", "ZeroPadding2D", "MaxPooling2D"},
	"reshape":   {"Reshape"},
	"layernorm": {"LayerNormalization"},
}

// TestImportPyTorch exports networks like bench/suite's from PyTorch
// (torch.onnx.export, opsets 13 to 17, with a fixed or a dynamic batch),
// imports each and checks that Go predicts what PyTorch did, to 1e-5
// (relative for values over 1).
func TestImportPyTorch(t *testing.T) {
	py := torchPython(t)
	dir := t.TempDir()
	script, err := filepath.Abs(filepath.Join("testdata", "torch_export.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script, dir)
	cmd.Env = append(os.Environ(), "PYTHONWARNINGS=ignore", "OMP_NUM_THREADS=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("%d networks exported (%v)", len(files), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c torchCase
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			m, err := onnx.Load(strings.TrimSuffix(f, ".json") + ".onnx")
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if got := m.InputShape(0); !slices.Equal(got, c.Shape) {
				t.Fatalf("input shape %v, want %v", got, c.Shape)
			}
			y, err := m.Predict(c.X)
			if err != nil {
				t.Fatal(err)
			}
			if len(y) != len(c.Y) {
				t.Fatalf("%d outputs, want %d", len(y), len(c.Y))
			}
			worst := 0.0
			for i := range y {
				d := math.Abs(float64(y[i]-c.Y[i])) / max(1, math.Abs(float64(c.Y[i])))
				worst = max(worst, d)
			}
			t.Logf("opset %d, dynamic batch %v, %d layers, largest difference %.2g", c.Opset, c.Dynamic, len(m.Layers()), worst)
			var types []string
			for _, l := range m.Layers() {
				types = append(types, l.Type())
			}
			for _, typ := range torchLayerTypes[name] {
				if !slices.Contains(types, typ) {
					t.Errorf("no %s layer among %v", typ, types)
				}
			}
			if worst > 1e-5 {
				t.Errorf("Go's predictions differ from PyTorch's by up to %g", worst)
			}
			if err := onnx.Export(m, io.Discard); err != nil {
				t.Errorf("the imported model does not export: %v", err)
			}
		})
	}
}
