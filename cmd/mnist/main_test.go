package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args, io.Discard, io.Discard)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v (%T), want a usage error (exit code 2)", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line mentioning %q", err, tc.want)
			}
		})
	}
}

func TestMissingData(t *testing.T) {
	dir := t.TempDir()
	err := run([]string{"-data", dir, "-epochs", "1"}, io.Discard, io.Discard)
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
	if err := run([]string{"-data", dir, "-epochs", "2", "-limit", "500", "-lr", "1e-3", "-out", out}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Total params: 38,390", "Epoch 2/2", "val_acc", "Test: loss"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, f := range []string{"history.json", "history.csv", "accuracy.png", "loss.png", "weights.bin", "result.json"} {
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

	// Loading the saved weights and evaluating with -epochs 0 reproduces
	// the test accuracy exactly.
	out2 := t.TempDir()
	if err := run([]string{"-data", dir, "-epochs", "0", "-limit", "500", "-load", filepath.Join(out, "weights.bin"), "-out", out2}, io.Discard, io.Discard); err != nil {
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
		t.Errorf("reloaded weights: test %v/%v, trained run %v/%v", res2["test_loss"], res2["test_acc"], res["test_loss"], res["test_acc"])
	}
}
