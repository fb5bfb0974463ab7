package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/optimizers"
)

// TestMain registers Swish for the tests, or runs main itself when the
// test binary is started as the server.
func TestMain(m *testing.M) {
	if args := os.Getenv("GOCNN_CUSTOMSERVE_ARGS"); args != "" {
		os.Args = append([]string{"customserve"}, strings.Fields(args)...)
		main()
		return
	}
	if err := register(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// trained trains a small model with a Swish layer to map 4 features to
// their sum, difference and product of the first two, and saves it in dir.
func trained(t *testing.T, dir string) (*model.Model, string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	ds := &data.Dataset{X: make([]float32, 4*256), Y: make([]float32, 3*256), N: 256, C: 1, H: 1, W: 4, Classes: 3}
	for i := range ds.N {
		x := ds.X[4*i : 4*i+4]
		for k := range x {
			x[k] = rng.Float32()*2 - 1
		}
		ds.Y[3*i], ds.Y[3*i+1], ds.Y[3*i+2] = x[0]+x[1], x[2]-x[3], x[0]*x[1]
	}
	m, err := model.NewSequential([]int{4}, []layers.Layer{layers.Dense(16), &Swish{}, layers.Dense(3)}, model.Seed(5))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, train.Loss(losses.MSE), train.Optimizer(optimizers.Adam(0.01)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(ds, train.Epochs(5), train.BatchSize(32)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "swish.gocnn")
	if err := m.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	return m, path
}

// TestServeCustomLayer: the command, started as a process, loads a model
// file with a Swish layer, answers predict requests as the model does, and
// stops on SIGTERM with status 0.
func TestServeCustomLayer(t *testing.T) {
	dir := t.TempDir()
	m, path := trained(t, dir)
	if l := m.Layers()[1]; l.Type() != "Swish" {
		t.Fatalf("layer %s", l.Type())
	}
	srv := testutil.StartServer(t, "GOCNN_CUSTOMSERVE_ARGS=-model "+path+" -addr 127.0.0.1:0")
	addr := srv.Addr
	xs := [][]float32{{0.5, -0.25, 1, 0}, {-1, 1, 0.5, 0.75}}
	body, _ := json.Marshal(map[string]any{"instances": xs})
	resp, err := http.Post("http://"+addr+"/v1/models/swish:predict", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("predict: %d %s", resp.StatusCode, b)
	}
	var got struct{ Predictions [][]float64 }
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want, err := m.Predict(append(append([]float32{}, xs[0]...), xs[1]...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Predictions) != 2 {
		t.Fatalf("predictions %s", b)
	}
	for i, row := range got.Predictions {
		for k, v := range row {
			if math.Abs(v-float64(want[3*i+k])) > 1e-6 {
				t.Errorf("instance %d output %d: %v, want %v", i, k, v, want[3*i+k])
			}
		}
	}
	if err := srv.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest := srv.Rest()
	if err := srv.Cmd.Wait(); err != nil {
		t.Errorf("exit: %v\n%s%s", err, srv.Log, rest)
	}
}

// TestUnregistered: without the registration, the model file is an error
// naming the layer type, and the exit status is 1.
func TestUnregistered(t *testing.T) {
	_, path := trained(t, t.TempDir())
	cmd := exec.Command("go", "run", "../../cmd/serve", "-model", path, "-addr", "127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "Swish") {
		t.Errorf("cmd/serve on a Swish model: %v\n%s", err, out)
	}
}
