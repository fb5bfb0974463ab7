package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx"
	"github.com/gocnn/cnn/ops"
)

func TestBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative epochs", []string{"-epochs", "-1"}, "-epochs -1"},
		{"zero batch", []string{"-batch", "0"}, "-batch 0"},
		{"zero lr", []string{"-lr", "0"}, "-lr 0"},
		{"negative limit", []string{"-limit", "-5"}, "-limit -5"},
		{"epochs 0 without load", []string{"-epochs", "0"}, "-load"},
		{"not a number", []string{"-batch", "many"}, "-batch"},
		{"unknown flag", []string{"-nope"}, "nope"},
		{"stray argument", []string{"extra"}, "extra"},
		{"unknown optimizer", []string{"-optimizer", "lbfgs", "-data", "."}, "lbfgs"},
		{"bad val split", []string{"-val-split", "1.5"}, "-val-split 1.5"},
		{"negative early stop", []string{"-early-stop", "-1"}, "-early-stop -1"},
		{"negative weight decay", []string{"-weight-decay", "-0.1"}, "-weight-decay -0.1"},
		{"weight decay of 1", []string{"-weight-decay", "1"}, "-weight-decay 1"},
		{"negative clipnorm", []string{"-clipnorm", "-2"}, "-clipnorm -2"},
		{"resume with a new clipnorm", []string{"-resume", ".", "-clipnorm", "3"}, "-clipnorm cannot change"},
		{"resume with a new seed", []string{"-resume", ".", "-seed", "3"}, "-seed cannot change"},
		{"resume and out differ", []string{"-resume", "a", "-out", "b"}, "different directories"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v (%T), want a usage error (exit code 64)", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line mentioning %q", err, tc.want)
			}
		})
	}
}

// TestUsageErrors: a usage error is one line, with a hint for flag syntax
// errors, and exit status 64, never 2 (the Go runtime's status for a crash).
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-nope"}, "-help"},
		{"not a number", []string{"-batch", "many"}, "-help"},
		{"stray argument", []string{"extra"}, "-help"},
		{"batch too large", []string{"-batch", "100000", "-epochs", "1", "-limit", "100"}, "8192"},
		{"unknown model", []string{"-model", "vgg"}, `-model "vgg": want recipe or resnet`},
		{"model and load", []string{"-model", "resnet", "-load", "x.gocnn"}, "-model and -load exclude each other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			err := run(context.Background(), tc.args, io.Discard, &stderr)
			code := exitCode(MNIST, err, &stderr)
			if code != 64 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit code %d, stderr %q; want 64 and one line mentioning %q", code, stderr.String(), tc.want)
			}
		})
	}
	var stderr strings.Builder
	if code := exitCode(MNIST, run(context.Background(), []string{"-help"}, io.Discard, &stderr), &stderr); code != 0 || !strings.Contains(stderr.String(), "-val-split") {
		t.Errorf("-help: exit code %d, output %q", code, stderr.String())
	}
}

func TestMissingData(t *testing.T) {
	dir := t.TempDir()
	err := run(context.Background(), []string{"-data", dir, "-epochs", "1"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v, want one naming %s", err, dir)
	}
}

// TestQuickRun runs the command end to end on a few hundred real MNIST
// images and checks every output file.
func TestQuickRun(t *testing.T) {
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skipf("real MNIST is not available here: %v", err)
	}
	out := t.TempDir()
	var stdout strings.Builder
	if err := run(context.Background(), []string{"-data", dir, "-epochs", "2", "-limit", "500", "-lr", "1e-3", "-out", out}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Total params: 38,390", "Epoch 2/2", "val_acc", "Test: loss"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, f := range []string{"history.json", "history.csv", "accuracy.png", "loss.png", "weights.bin", "model.gocnn", "result.json"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"params", "epochs", "train_images", "median_epoch_s", "images_per_s", "peak_rss_mib",
		"train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc"} {
		if _, ok := res[k]; !ok {
			t.Errorf("result.json lacks %q", k)
		}
	}
	if res["params"] != 38390.0 || res["train_images"] != 500.0 {
		t.Errorf("params %v, train_images %v", res["params"], res["train_images"])
	}

	// Loading the saved weights, or the saved model file, and evaluating
	// with -epochs 0 reproduces the test accuracy exactly.
	for _, file := range []string{"weights.bin", "model.gocnn"} {
		out2 := t.TempDir()
		if err := run(context.Background(), []string{"-data", dir, "-epochs", "0", "-limit", "500", "-load", filepath.Join(out, file), "-out", out2}, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		b2, err := os.ReadFile(filepath.Join(out2, "result.json"))
		if err != nil {
			t.Fatal(err)
		}
		var res2 map[string]any
		if err := json.Unmarshal(b2, &res2); err != nil {
			t.Fatal(err)
		}
		if res2["test_acc"] != res["test_acc"] || res2["test_loss"] != res["test_loss"] {
			t.Errorf("reloaded %s: test %v/%v, trained run %v/%v", file, res2["test_loss"], res2["test_acc"], res["test_loss"], res["test_acc"])
		}
	}
}

// TestModelResNet trains the modern network briefly: its summary, its
// schedule (the rate in the progress line) and a model file of it.
func TestModelResNet(t *testing.T) {
	out := t.TempDir()
	var stdout strings.Builder
	if err := run(context.Background(), quickArgs(t, "-model", "resnet", "-epochs", "2", "-out", out), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"batch_normalization_1 (BatchNormalization)", "global_average_pooling2d_1", "Connected to", "Adam(lr=0.001)", "- lr: 0.0001", "- lr: 0.001", "Test: loss"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	m, _, err := model.Load(filepath.Join(out, "model.gocnn"))
	if err != nil {
		t.Fatal(err)
	}
	if n := m.Params().Count() - m.Params().TrainableCount(); n != 432 {
		t.Errorf("the saved network has %d non-trainable values, want the 432 running statistics (a mean and a variance for each of 24+24+24+48+48+48 channels)", n)
	}
}

// TestLoadAnyModelFile trains a model of another architecture, saved as a
// model file, with -load and no architecture flags.
func TestLoadAnyModelFile(t *testing.T) {
	in := model.Input(1, 28, 28)
	x := model.Apply(layers.Conv2D(4, 3, 3, layers.Padding(layers.Same), layers.Activation(ops.ReLU)), in)
	x = model.Apply(layers.Add(), x, model.Apply(layers.Conv2D(4, 3, 3, layers.Padding(layers.Same)), x))
	x = model.Apply(layers.Flatten(), model.Apply(layers.MaxPool2D(4, 4), x))
	out := model.Apply(layers.Dense(10, layers.Activation(ops.Softmax)), x)
	m, err := model.New([]*model.Node{in}, []*model.Node{out})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "small.gocnn")
	if err := m.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	if err := run(context.Background(), quickArgs(t, "-epochs", "1", "-load", path), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Connected to", "add_1 (Add)", "Total params: 2,158", "Test: loss"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	// A model file whose input is not an image is a clear error.
	mlp, err := model.NewSequential([]int{784}, []layers.Layer{layers.Dense(10, layers.Activation(ops.Softmax))})
	if err != nil {
		t.Fatal(err)
	}
	if err := mlp.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), quickArgs(t, "-epochs", "1", "-load", path), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "MNIST images are channels×height×width") {
		t.Fatalf("a model of vectors gave %v", err)
	}
}

// TestONNX: -onnx writes the trained model, and with -epochs 0 the
// -load'ed one, as ONNX: the very bytes onnx.Export writes for the model
// file the run saved or loaded.
func TestONNX(t *testing.T) {
	out := t.TempDir()
	path := filepath.Join(out, "mnist.onnx")
	var stdout strings.Builder
	if err := run(context.Background(), quickArgs(t, "-epochs", "1", "-out", filepath.Join(out, "run"), "-onnx", path), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "ONNX model written to "+path) {
		t.Errorf("output lacks the ONNX line:\n%s", stdout.String())
	}
	sameAsExport := func(t *testing.T, path, modelPath string) {
		t.Helper()
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := model.Load(modelPath)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := onnx.Export(m, &want); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s holds %d bytes, not the %d bytes of the export of %s", path, len(got), want.Len(), modelPath)
		}
	}
	trained := filepath.Join(out, "run", "model.gocnn")
	sameAsExport(t, path, trained)

	// -load with -epochs 0 exports the loaded model, replacing the file.
	small := filepath.Join(out, "small.gocnn")
	m, err := model.NewSequential([]int{1, 28, 28}, []layers.Layer{layers.Flatten(), layers.Dense(10, layers.Activation(ops.Softmax))})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(small, nil); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), quickArgs(t, "-epochs", "0", "-load", small, "-onnx", path), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	sameAsExport(t, path, small)
}

// quickArgs are the flags of a short run on a few hundred real images.
func quickArgs(t *testing.T, extra ...string) []string {
	t.Helper()
	return append([]string{"-data", mnistDir(t), "-limit", "300", "-batch", "50", "-lr", "1e-3"}, extra...)
}

// TestInterruptAndResume: an interrupted run saves a checkpoint and exits
// with status 130; resuming it ends with the same weights and test result as
// a run that was never interrupted.
func TestInterruptAndResume(t *testing.T) {
	whole := t.TempDir()
	if err := run(context.Background(), quickArgs(t, "-epochs", "2", "-out", whole), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}

	parted := t.TempDir()
	interrupted, cancel := context.WithCancel(context.Background())
	defer cancel()
	// As if Ctrl-C came at the end of the first epoch: the run stops after
	// the first batch of the second.
	err := run(interrupted, quickArgs(t, "-epochs", "2", "-out", parted), &cancelOn{text: "Epoch 1/2", cancel: cancel}, io.Discard)
	if !errors.Is(err, errInterrupted) {
		t.Fatalf("err = %v, want an interruption", err)
	}
	var stderr strings.Builder
	if code := exitCode(MNIST, err, &stderr); code != 130 || !strings.Contains(stderr.String(), "-resume "+parted) || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("exit code %d, message %q", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(parted, "checkpoint.bin")); err != nil {
		t.Fatal(err)
	}
	// A fresh run must not overwrite the interrupted one.
	if err := run(context.Background(), quickArgs(t, "-epochs", "2", "-out", parted), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "-resume") {
		t.Fatalf("fresh run into a directory with a checkpoint: err = %v", err)
	}
	if err := run(context.Background(), []string{"-resume", parted, "-quiet", "-data", quickArgs(t)[1]}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "weights.bin"))
	b, _ := os.ReadFile(filepath.Join(parted, "weights.bin"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the resumed run ended with different weights")
	}
	ra, _ := os.ReadFile(filepath.Join(whole, "result.json"))
	rb, _ := os.ReadFile(filepath.Join(parted, "result.json"))
	var x, y map[string]any
	json.Unmarshal(ra, &x)
	json.Unmarshal(rb, &y)
	if x["test_acc"] == nil || x["test_acc"] != y["test_acc"] || x["test_loss"] != y["test_loss"] {
		t.Errorf("test results differ: %v/%v vs %v/%v", x["test_loss"], x["test_acc"], y["test_loss"], y["test_acc"])
	}
	for _, f := range []string{"filters.png", "feature_maps.png", "confusion.png", "confusion.csv"} {
		if _, err := os.Stat(filepath.Join(parted, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestRunErrors: bad output directories and broken checkpoints give one
// line naming the problem and a non-zero exit status.
func TestRunErrors(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	corrupt := filepath.Join(base, "corrupt")
	interruptedRun(t, "Epoch 1/", quickArgs(t, "-epochs", "2", "-out", corrupt)...)
	os.WriteFile(filepath.Join(corrupt, "checkpoint.bin"), []byte("GOCNNCKP garbage garbage garbage"), 0o644)
	badWeights := filepath.Join(base, "weights.bin")
	os.WriteFile(badWeights, []byte("not weights"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"out is a file", quickArgs(t, "-epochs", "1", "-out", filepath.Join(file, "sub")), "a-file"},
		{"corrupt checkpoint", []string{"-resume", corrupt}, "checkpoint version"},
		{"resume a directory that is not a run", []string{"-resume", base}, "not the -out directory"},
		{"broken weights", quickArgs(t, "-epochs", "0", "-load", badWeights), badWeights},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			var stderr strings.Builder
			code := exitCode(MNIST, err, &stderr)
			if code == 0 || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want one line mentioning %q", code, stderr.String(), tc.want)
			}
		})
	}
}
