package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/model"
)

// TestMobileNetShape checks the network's layers: depthwise convolutions,
// two of stride 2 (28→14→7), global average pooling to 128 channels and
// ten classes out.
func TestMobileNetShape(t *testing.T) {
	m, err := MobileNet(1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var sum bytes.Buffer
	if err := m.Summary(&sum); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{
		{"first depthwise at full size", "depthwise_conv2d_1 (DepthwiseConv2D)                 (None, 16, 28, 28)"},
		{"first stride 2", "depthwise_conv2d_2 (DepthwiseConv2D)                 (None, 32, 14, 14)"},
		{"second stride 2", "depthwise_conv2d_4 (DepthwiseConv2D)                 (None, 64, 7, 7)"},
		{"pooled", "global_average_pooling2d_1 (GlobalAveragePooling2D)  (None, 128)"},
		{"output", "dense_1 (Dense)                                      (None, 10)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(sum.String(), tc.want) {
				t.Fatalf("summary lacks %q:\n%s", tc.want, sum.String())
			}
		})
	}
	if strings.Contains(sum.String(), "depthwise_conv2d_6") {
		t.Fatalf("more than five blocks:\n%s", sum.String())
	}
}

// TestRun trains the example briefly on MNIST: it must report an accuracy
// above chance on the test images it was given, save a model file that
// loads, and print each network's parameter counts as its model has them.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST; skipped in -short mode")
	}
	if _, err := data.DefaultMNISTDir(); err != nil {
		t.Skipf("MNIST is not available: %v", err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"-limit", "2000", "-test", "500", "-epochs", "1", "-out", dir}, &out); err != nil {
		t.Fatalf("%+v\n%s", err, out.String())
	}
	text := out.String()
	var acc float64
	var n int
	i := strings.Index(text, "test accuracy ")
	if i < 0 {
		t.Fatalf("no test accuracy line:\n%s", text)
	}
	if _, err := fmt.Sscanf(text[i:], "test accuracy %f on %d images", &acc, &n); err != nil {
		t.Fatalf("test accuracy line: %v\n%s", err, text)
	}
	// Ten classes: chance is 0.1. One epoch of 31 steps gets well past it.
	if n != 500 || acc <= 0.2 || acc > 1 {
		t.Fatalf("test accuracy %v on %d images, want above 0.2 on 500", acc, n)
	}

	saved, _, err := model.Load(filepath.Join(dir, "mobilenet.gocnn"))
	if err != nil {
		t.Fatal(err)
	}
	defer saved.Close()
	resnet, err := recipe.ResNet(1)
	if err != nil {
		t.Fatal(err)
	}
	defer resnet.Close()
	keras, err := recipe.Model(1)
	if err != nil {
		t.Fatal(err)
	}
	defer keras.Close()
	for _, tc := range []struct {
		row string
		m   *model.Model
	}{
		{"mobilenet (this example)", saved},
		{"resnet (cmd/mnist -model resnet)", resnet},
		{"recipe (cmd/mnist)", keras},
	} {
		t.Run(tc.row, func(t *testing.T) {
			want := fmt.Sprintf("%-34s %8d %10d\n", tc.row, tc.m.Params().Count(), tc.m.Params().TrainableCount())
			if !strings.Contains(text, want) {
				t.Fatalf("the table lacks the row %q:\n%s", want, text)
			}
		})
	}
	if keras.Params().Count() != 38390 {
		t.Fatalf("the recipe has %d parameters, want its documented 38,390", keras.Params().Count())
	}
}

// TestBadFlags checks that sizes that make no run are errors, not panics.
func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no epochs", []string{"-epochs", "0"}},
		{"negative limit", []string{"-limit", "-1"}},
		{"negative test", []string{"-test", "-5"}},
		{"unknown flag", []string{"-images", "10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := run(tc.args, &bytes.Buffer{}); err == nil {
				t.Fatalf("run(%q) gave no error", tc.args)
			}
		})
	}
}
