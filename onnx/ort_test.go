package onnx_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The environment variables that tell the tests where the checkers are.
// .ci/run sets both.
const (
	// ortEnv names a directory holding node_modules/onnxruntime-node, as
	// "npm install --ignore-scripts onnxruntime-node@1.30" makes it.
	ortEnv = "GOCNN_ORT_DIR"
	// pythonEnv names a Python interpreter that imports the onnx module
	// (Debian's python3-onnx: /usr/bin/python3); python3 by default.
	pythonEnv = "GOCNN_ONNX_PYTHON"
)

// ortDir returns where onnxruntime-node is installed, or skips.
func ortDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(ortEnv)
	if dir == "" {
		t.Skipf("ONNX Runtime is not available: set %s to a directory where 'npm install --ignore-scripts onnxruntime-node@1.30' ran (.ci/run does)", ortEnv)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node")); err != nil {
		t.Fatalf("%s=%s holds no node_modules/onnxruntime-node: %v", ortEnv, dir, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("%s is set but node is not on PATH: %v", ortEnv, err)
	}
	return dir
}

// ortJob is one model to run in ONNX Runtime on the batch x of shape dims.
type ortJob struct {
	model string
	x     []float32
	dims  []int
}

// runORT runs every job in one node process (testdata/run_ort.js) and
// returns each job's output values.
func runORT(t *testing.T, jobs []ortJob) [][]float32 {
	t.Helper()
	dir := ortDir(t)
	script, err := filepath.Abs(filepath.Join("testdata", "run_ort.js"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	type spec struct {
		Model  string `json:"model"`
		Input  string `json:"input"`
		Dims   []int  `json:"dims"`
		Output string `json:"output"`
	}
	var specs []spec
	for i, j := range jobs {
		s := spec{Model: j.model, Dims: j.dims,
			Input:  filepath.Join(tmp, "in"+strconv.Itoa(i)),
			Output: filepath.Join(tmp, "out"+strconv.Itoa(i))}
		if err := os.WriteFile(s.Input, float32Bytes(j.x), 0o644); err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	b, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	jobsPath := filepath.Join(tmp, "jobs.json")
	if err := os.WriteFile(jobsPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script, jobsPath)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, out)
	}
	outs := make([][]float32, len(specs))
	for i, s := range specs {
		raw, err := os.ReadFile(s.Output)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = make([]float32, len(raw)/4)
		for k := range outs[i] {
			outs[i][k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
		}
	}
	return outs
}

func float32Bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// checkONNX runs onnx.checker.check_model, with full_check (which also
// infers every shape), on the files, or skips when Python's onnx module
// is absent.
func checkONNX(t *testing.T, paths ...string) {
	t.Helper()
	py := os.Getenv(pythonEnv)
	explicit := py != ""
	if !explicit {
		py = "python3"
	}
	const prog = `import sys, onnx
for p in sys.argv[1:]:
    onnx.checker.check_model(onnx.load(p), full_check=True)
print(onnx.__version__)`
	if out, err := exec.Command(py, "-c", "import onnx").CombinedOutput(); err != nil {
		if explicit {
			t.Fatalf("%s=%s cannot import onnx: %v\n%s", pythonEnv, py, err, out)
		}
		t.Skipf("onnx.checker is not available: %s cannot import onnx (install Debian's python3-onnx and set %s=/usr/bin/python3, as .ci/run does)", py, pythonEnv)
	}
	out, err := exec.Command(py, append([]string{"-c", prog}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker: %v\n%s", err, out)
	}
	t.Logf("onnx.checker (onnx %s) accepts %d file(s)", strings.TrimSpace(string(out)), len(paths))
}

// maxDiff returns the largest absolute difference of got and want, which
// must have the same length.
func maxDiff(t *testing.T, got, want []float32) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d", len(got), len(want))
	}
	d := 0.0
	for i := range got {
		if math.IsNaN(float64(got[i])) || math.IsNaN(float64(want[i])) {
			t.Fatalf("value %d: %v and %v", i, got[i], want[i])
		}
		d = max(d, math.Abs(float64(got[i])-float64(want[i])))
	}
	return d
}
